"""On call on a server: OncallService's calls over /api/v1/oncall, with the same results."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from tocsin.app.oncall import Gap, Reachability, Unreachable, WhoIsOn
from tocsin.app.oncall_records import CalendarFeed, FeedTarget, OverrideRecord
from tocsin.cli.remote_http import Api, Params
from tocsin.core.oncall import OnCall
from tocsin.core.timeline import iso, parse_iso


class RemoteOncall:
    def __init__(self, api: Api) -> None:
        self._api = api

    def who(self, schedule: str | None = None, at: datetime | None = None) -> list[WhoIsOn]:
        params: Params = [("at", iso(at) or "")] if at else []
        if schedule:
            data = self._api.get(f"/oncall/{quote(schedule, safe='')}", [*params, ("days", 1)])
            with self._api.reading():
                return [who(data)]
        data = self._api.get("/oncall", params)
        with self._api.reading():
            return [who(w) for w in data["schedules"]]

    def check(self) -> Reachability:
        data = self._api.get("/oncall/check")
        with self._api.reading():
            return Reachability(
                _time(data["from"]),
                _time(data["to"]),
                [
                    Unreachable(u["schedule"], u["person"], u["name"], u["reason"])
                    for u in data["unreachable"]
                ],
                [Gap(g["schedule"], _time(g["from"]), _time(g["to"])) for g in data["gaps"]],
            )

    def add_override(
        self,
        schedule: str,
        person: str,
        starts: datetime | None,
        ends: datetime,
        by: str,
        reason: str = "",
    ) -> OverrideRecord:
        body: dict[str, Any] = {"schedule": schedule, "person": person, "to": iso(ends)}
        if starts is not None:
            body["from"] = iso(starts)
        if reason:
            body["reason"] = reason
        data = self._api.post("/oncall/overrides", body, actor=by)
        with self._api.reading():
            return override(data)

    def overrides(
        self, schedule: str | None = None, include_past: bool = False
    ) -> list[OverrideRecord]:
        params: Params = [("include_past", str(include_past).lower())]
        if schedule:
            params.append(("schedule", schedule))
        data = self._api.get("/oncall/overrides", params)
        with self._api.reading():
            return [override(o) for o in data]

    def remove_override(self, override_id: int) -> OverrideRecord:
        data = self._api.delete(f"/oncall/overrides/{override_id}")
        with self._api.reading():
            return override(data)

    def add_feed(self, target: str, name: str, by: str) -> tuple[CalendarFeed, str]:
        data = self._api.post("/oncall/feeds", {"target": target, "name": name}, actor=by)
        with self._api.reading():
            return feed(data), str(data["token"])

    def feeds(self) -> list[CalendarFeed]:
        data = self._api.get("/oncall/feeds")
        with self._api.reading():
            return [feed(f) for f in data]

    def remove_feed(self, feed_id: int) -> CalendarFeed:
        data = self._api.delete(f"/oncall/feeds/{feed_id}")
        with self._api.reading():
            return feed(data)


def _time(text: Any) -> datetime:
    moment = parse_iso(str(text))
    if moment is None:
        raise ValueError("a time is missing")
    return moment


def _span(data: dict[str, Any] | None, names: dict[str, str]) -> OnCall | None:
    if data is None:
        return None
    if data["person"] is not None:
        names[data["person"]] = data["name"]
    return OnCall(data["person"], parse_iso(data["since"]), parse_iso(data["until"]))


def who(data: dict[str, Any]) -> WhoIsOn:
    names: dict[str, str] = {}
    current = _span(data["on_call"], names)
    following = _span(data["next"], names)
    if current is None:
        raise ValueError("on_call is missing")
    return WhoIsOn(
        data["schedule"], data["time_zone"], _time(data["at"]), current, following, names
    )


def override(data: dict[str, Any]) -> OverrideRecord:
    return OverrideRecord(
        int(data["id"]),
        data["schedule"],
        data["person"],
        _time(data["from"]),
        _time(data["to"]),
        data["created_by"],
        _time(data["created_at"]),
        data["reason"],
    )


def feed(data: dict[str, Any]) -> CalendarFeed:
    return CalendarFeed(
        int(data["id"]),
        FeedTarget(data["target"]),
        data["name"],
        data["created_by"],
        _time(data["created_at"]),
    )
