"""Alerts, suggestions, silences, maintenance windows and integrations on a server, shaped
as local."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tocsin.app.alert_admin import AlertPage
from tocsin.app.alert_records import AlertGroup, AlertRow, Dismissal, Integration, Suggestion
from tocsin.app.incidents import Outcome
from tocsin.app.ports import AlertFilter
from tocsin.app.suggestions import AlertRef, SuggestionPage
from tocsin.app.views import incident_from_json
from tocsin.cli.remote_http import Api, Params
from tocsin.core.alerts import AlertStatus
from tocsin.core.routing import Matcher
from tocsin.core.silences import MaintenanceWindow, Silence
from tocsin.core.timeline import iso, parse_iso


class RemoteAlertAdmin:
    def __init__(self, api: Api) -> None:
        self._api = api

    def alerts(self, query: AlertFilter) -> AlertPage:
        params: list[tuple[str, str | int]] = [("limit", query.limit), ("offset", query.offset)]
        for name in ("service", "integration", "incident", "suppressed"):
            if (value := getattr(query, name)) is not None:
                params.append((name, str(value).lower() if isinstance(value, bool) else value))
        if query.status is not None:
            params.append(("status", query.status.value))
        data = self._api.get("/alerts", params)
        with self._api.reading():
            return AlertPage([_alert(a) for a in data["items"]], int(data["total"]))

    def silences(self, include_expired: bool = False) -> list[Silence]:
        data = self._api.get("/silences", [("include_expired", str(include_expired).lower())])
        with self._api.reading():
            return [_silence(s) for s in data]

    def silence(
        self,
        matchers: Iterable[str],
        starts: datetime | None,
        ends: datetime,
        author: str,
        comment: str,
    ) -> Silence:
        body = {"matchers": list(matchers), "ends_at": iso(ends), "comment": comment}
        if starts is not None:
            body["starts_at"] = iso(starts)
        data = self._api.post("/silences", body, actor=author)
        with self._api.reading():
            return _silence(data)

    def expire_silence(self, silence_id: int, actor: str) -> None:
        self._api.delete(f"/silences/{silence_id}", actor=actor)

    def windows(self, include_expired: bool = False) -> list[MaintenanceWindow]:
        data = self._api.get("/maintenance", [("include_expired", str(include_expired).lower())])
        with self._api.reading():
            return [_window(w) for w in data]

    def maintenance(
        self, service: str, starts: datetime | None, ends: datetime, author: str, comment: str
    ) -> MaintenanceWindow:
        body = {"service": service, "ends_at": iso(ends), "comment": comment}
        if starts is not None:
            body["starts_at"] = iso(starts)
        data = self._api.post("/maintenance", body, actor=author)
        with self._api.reading():
            return _window(data)

    def end_maintenance(self, window_id: int, actor: str) -> MaintenanceWindow:
        data = self._api.post(f"/maintenance/{window_id}/end", {}, actor=actor)
        with self._api.reading():
            return _window(data)

    def edit_maintenance(
        self,
        window_id: int,
        actor: str,
        starts: datetime | None = None,
        ends: datetime | None = None,
        comment: str | None = None,
    ) -> MaintenanceWindow:
        body: dict[str, Any] = {}
        if starts is not None:
            body["starts_at"] = iso(starts)
        if ends is not None:
            body["ends_at"] = iso(ends)
        if comment is not None:
            body["comment"] = comment
        data = self._api.patch(f"/maintenance/{window_id}", body)
        with self._api.reading():
            return _window(data)

    def integrations(self) -> list[Integration]:
        data = self._api.get("/integrations")
        with self._api.reading():
            return [
                Integration(i["name"], i["source"], i["key"], _time(i["created_at"])) for i in data
            ]


def _maybe_time(text: Any) -> datetime | None:
    return None if text is None else _time(text)


def _time(text: Any) -> datetime:
    moment = parse_iso(str(text))
    if moment is None:
        raise ValueError("a time is missing")
    return moment


def _alert(a: dict[str, Any]) -> AlertRow:
    incident = a["incident"]
    return AlertRow(
        a["integration"],
        a["dedup_key"],
        AlertStatus(a["status"]),
        a["summary"],
        a["source_severity"],
        a["severity"],
        a["service"],
        a["group_key"],
        dict(a["labels"]),
        dict(a["annotations"]),
        a.get("source_url"),
        _time(a["first_seen"]),
        _time(a["last_seen"]),
        _maybe_time(a.get("starts_at")),
        _maybe_time(a.get("ends_at")),
        int(a["count"]),
        int(a["flaps"]),
        int(str(incident).removeprefix("INC-")) if incident else None,
        a["suppressed_by"],
        bool(a["acknowledged"]),
        int(a["id"]),
    )


def _silence(s: dict[str, Any]) -> Silence:
    matchers = tuple(Matcher.parse(m) for m in s["matchers"])
    return Silence(
        int(s["id"]),
        matchers,
        _time(s["starts_at"]),
        _time(s["ends_at"]),
        s["author"],
        s["comment"],
    )


def _window(w: dict[str, Any]) -> MaintenanceWindow:
    return MaintenanceWindow(
        int(w["id"]),
        w["service"],
        _time(w["starts_at"]),
        _time(w["ends_at"]),
        w["author"],
        w["comment"],
    )


class RemoteSuggestions:
    """Suggestions' interface over /api/v1/alerts/suggestions, …/declare and …/dismiss."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def list(self, dismissed: bool = False, limit: int = 50, offset: int = 0) -> SuggestionPage:
        params: Params = [("dismissed", str(dismissed).lower()), ("limit", limit)]
        data = self._api.get("/alerts/suggestions", [*params, ("offset", offset)])
        with self._api.reading():
            return SuggestionPage([_suggestion(s) for s in data["items"]], int(data["total"]))

    def declare(self, ref: str, actor: str, title: str | None = None) -> Outcome:
        body = {} if title is None else {"title": title}
        data = self._api.post(f"/alerts/{AlertRef.parse(ref)}/declare", body, actor)
        with self._api.reading():
            return Outcome(incident_from_json(data), data["message"])

    def dismiss(self, ref: str, actor: str) -> Dismissal:
        data = self._api.post(f"/alerts/{AlertRef.parse(ref)}/dismiss", {}, actor)
        with self._api.reading():
            return Dismissal(
                data["group_key"], data["service"], _time(data["dismissed_at"]),
                data["dismissed_by"],
            )  # fmt: skip


def _suggestion(s: dict[str, Any]) -> Suggestion:
    """What suggestion_json shows: the group's counts and times, its worst alert's severity
    and summary (the rest of that alert stays on the server)."""
    first = _time(s["first_at"])
    group = AlertGroup(
        s["group_key"], s["service"], first, _time(s["last_at"]), None, int(s["alerts"]),
        0, int(s["firing"]), firing_since=_maybe_time(s["firing_since"]),
        dismissed_at=_maybe_time(s["dismissed_at"]), dismissed_by=s["dismissed_by"],
    )  # fmt: skip
    worst = AlertRow(
        s["integration"], "", AlertStatus.FIRING, s["summary"], None, s["severity"],
        s["service"], s["group_key"], {}, {}, None, first, first, None, None,
        id=int(s["alert_id"]),
    )  # fmt: skip
    return Suggestion(group, worst)
