"""The CLI on a Tocsin server: with TOCSIN_URL and TOCSIN_TOKEN set, `app()` is a `Remote`.

`Remote.incidents` and `Remote.accounts` have the methods the commands call on the local
IncidentService and AccountService, with the same arguments and result types, so every
command renders the same output either way. Each change carries the CLI's actor in the
X-Tocsin-Actor header: the server records it as "alice via token:NAME". No tocsin.yaml and
no database are needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from tocsin.app.accounts import ApiToken, User
from tocsin.app.incidents import Outcome, Page
from tocsin.app.ports import IncidentFilter
from tocsin.app.refs import parse_ref
from tocsin.app.views import incident_from_json
from tocsin.cli.remote_alerts import RemoteAlertAdmin, RemoteSuggestions
from tocsin.cli.remote_http import CREATE_CREDENTIAL, Api, Params
from tocsin.cli.remote_oncall import RemoteOncall
from tocsin.cli.remote_postmortems import RemotePostmortems
from tocsin.cli.remote_runbooks import RemoteRunbooks
from tocsin.core.access import AccessRole
from tocsin.core.errors import InvalidInput
from tocsin.core.incident import Incident, format_id
from tocsin.core.scope import Impact, Role, Scope
from tocsin.core.severity import Severity, SeverityModel
from tocsin.core.timeline import EntryKind, TimelineEntry, parse_iso


class RemoteSetupError(InvalidInput):
    """TOCSIN_URL or TOCSIN_TOKEN is missing or malformed: a usage error (exit 2)."""


@dataclass(frozen=True, slots=True)
class Settings:
    url: str
    token: str


def settings_from(env: Mapping[str, str]) -> Settings | None:
    """The server to act on, or None for the local database (TOCSIN_URL unset or empty)."""
    url = env.get("TOCSIN_URL", "").strip().rstrip("/").removesuffix("/api/v1")
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise RemoteSetupError(
            f"TOCSIN_URL {url!r} is not an http(s) address; e.g. https://tocsin.example.com"
        )
    token = env.get("TOCSIN_TOKEN", "").strip()
    if not token:
        raise RemoteSetupError(
            f"TOCSIN_URL is set ({url}) but TOCSIN_TOKEN is not: set it to an API token "
            f"(an admin creates one with `{CREATE_CREDENTIAL}`), or unset TOCSIN_URL "
            "to use the local database"
        )
    if not (token.isascii() and token.isprintable()):
        raise RemoteSetupError("TOCSIN_TOKEN is not a token; copy it again as it was printed")
    return Settings(url, token)


class Remote:
    """The server's incidents and accounts, shaped as the local app's."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        self.url = settings.url
        self._api = Api(settings.url, settings.token, transport)
        self.incidents = RemoteIncidents(self._api)
        self.accounts = RemoteAccounts(self._api)
        self.alert_admin = RemoteAlertAdmin(self._api)
        self.oncall = RemoteOncall(self._api)
        self.suggestions = RemoteSuggestions(self._api)
        self.runbooks = RemoteRunbooks(self._api)
        self.postmortems = RemotePostmortems(self._api)

    def close(self) -> None:
        self._api.close()


class RemoteIncidents:
    """IncidentService's interface over /api/v1/incidents."""

    def __init__(self, api: Api) -> None:
        self._api = api
        self._model: tuple[SeverityModel, str | None] | None = None

    # -- the severity model, read once per command from GET /severities ----------------------

    @property
    def severities(self) -> SeverityModel:
        return self._severity_model()[0]

    @property
    def default_severity(self) -> str | None:
        return self._severity_model()[1]

    def _severity_model(self) -> tuple[SeverityModel, str | None]:
        if self._model is None:
            data = self._api.get("/severities")
            with self._api.reading():
                self._model = severity_model(data)
        return self._model

    # -- queries -----------------------------------------------------------------------------

    def get(self, ref: str | int) -> Incident:
        path, about = incident_path(ref)
        data = self._api.get(path, about=about)
        with self._api.reading():
            return incident_from_json(data)

    def timeline(self, ref: str | int) -> list[TimelineEntry]:
        path, about = incident_path(ref)
        data = self._api.get(f"{path}/timeline", about=about)
        with self._api.reading():
            return [timeline_entry(e) for e in data]

    def find(self, query: IncidentFilter) -> Page:
        data = self._api.get("/incidents", params=filter_params(query))
        with self._api.reading():
            return Page([incident_from_json(i) for i in data["items"]], int(data["total"]))

    # -- commands ----------------------------------------------------------------------------

    def declare(
        self,
        actor: str,
        title: str,
        severity: str | None,
        scope: Scope | None = None,
        impact: Impact | None = None,
        labels: Iterable[str] = (),
        commander: str | None = None,
    ) -> Outcome:
        body = {
            "title": title,
            "severity": severity,
            "scope": scope_body(scope or Scope()),
            "impact": impact_body(impact or Impact()),
            "labels": list(labels),
            "commander": commander,
        }
        return self._outcome(self._api.post("/incidents", body, actor))

    def acknowledge(self, ref: str | int, actor: str, version: int | None = None) -> Outcome:
        return self._act(ref, "acknowledge", actor, version=version)

    def post_update(
        self, ref: str | int, actor: str, text: str, version: int | None = None
    ) -> Outcome:
        return self._act(ref, "updates", actor, text=text, version=version)

    def change_severity(
        self,
        ref: str | int,
        actor: str,
        severity: str,
        reason: str = "",
        version: int | None = None,
    ) -> Outcome:
        return self._act(ref, "severity", actor, severity=severity, reason=reason, version=version)

    def assign(
        self, ref: str | int, actor: str, role: str, person: str | None, version: int | None = None
    ) -> Outcome:
        parsed = Role.parse(role).value  # aliases (ic, comms-lead) as locally; the API wants names
        return self._act(ref, "roles", actor, role=parsed, person=person, version=version)

    def change_scope(
        self, ref: str | int, actor: str, scope: Scope, version: int | None = None
    ) -> Outcome:
        return self._act(ref, "scope", actor, **scope_body(scope), version=version)

    def change_impact(
        self, ref: str | int, actor: str, impact: Impact, version: int | None = None
    ) -> Outcome:
        return self._act(ref, "impact", actor, **impact_body(impact), version=version)

    def relabel(
        self,
        ref: str | int,
        actor: str,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        version: int | None = None,
    ) -> Outcome:
        return self._act(ref, "labels", actor, add=list(add), remove=list(remove), version=version)

    def mitigate(
        self, ref: str | int, actor: str, action: str, version: int | None = None
    ) -> Outcome:
        return self._act(ref, "mitigate", actor, action=action, version=version)

    def resolve(
        self,
        ref: str | int,
        actor: str,
        root_cause: str | None = None,
        fix: str | None = None,
        version: int | None = None,
    ) -> Outcome:
        return self._act(ref, "resolve", actor, root_cause=root_cause, fix=fix, version=version)

    def reopen(
        self, ref: str | int, actor: str, reason: str = "", version: int | None = None
    ) -> Outcome:
        return self._act(ref, "reopen", actor, reason=reason, version=version)

    def close(self, ref: str | int, actor: str, version: int | None = None) -> Outcome:
        return self._act(ref, "close", actor, version=version)

    def note(self, ref: str | int, actor: str, text: str, version: int | None = None) -> Outcome:
        return self._act(ref, "notes", actor, text=text, version=version)

    def _act(self, ref: str | int, endpoint: str, actor: str, /, **body: Any) -> Outcome:
        """POST /incidents/{id}/{endpoint} with `body`, on behalf of `actor`."""
        path, about = incident_path(ref)
        return self._outcome(self._api.post(f"{path}/{endpoint}", body, actor, about=about))

    def _outcome(self, data: Any) -> Outcome:
        with self._api.reading():
            return Outcome(incident_from_json(data), data["message"])


class RemoteAccounts:
    """The account calls the CLI makes, over /api/v1/users and /tokens (admin tokens)."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def create_user(self, username: str, password: str, role: str) -> User:
        body = {"username": username, "password": password, "role": _role(role)}
        data = self._api.post("/users", body)
        with self._api.reading():
            return user(data)

    def users(self) -> list[User]:
        data = self._api.get("/users")
        with self._api.reading():
            return [user(u) for u in data]

    def set_role(self, username: str, role: str) -> User:
        return self._change(username, {"role": _role(role)})

    def disable(self, username: str) -> User:
        return self._change(username, {"disabled": True})

    def enable(self, username: str) -> User:
        return self._change(username, {"disabled": False})

    def change_password(self, username: str, current: str, new: str) -> User:
        """Your own password: the token must act for `username` (the server checks)."""
        body = {"username": username, "current_password": current, "new_password": new}
        data = self._api.post("/me/password", body)
        with self._api.reading():
            return user(data)

    def reset_password(self, username: str, new: str) -> User:
        data = self._api.post(f"{user_path(username)}/password", {"password": new})
        with self._api.reading():
            return user(data)

    def _change(self, username: str, body: dict[str, Any]) -> User:
        data = self._api.patch(user_path(username), body)
        with self._api.reading():
            return user(data)

    def create_token(self, name: str, role: str, created_by: str) -> tuple[ApiToken, str]:
        body = {"name": name, "role": _role(role)}
        data = self._api.post("/tokens", body, actor=created_by)
        with self._api.reading():
            return api_token(data), str(data["token"])

    def tokens(self) -> list[ApiToken]:
        data = self._api.get("/tokens")
        with self._api.reading():
            return [api_token(t) for t in data]

    def revoke_token(self, token_id: int) -> ApiToken:
        data = self._api.delete(f"/tokens/{token_id}")
        with self._api.reading():
            return api_token(data)


# -- requests and answers --------------------------------------------------------------------


def _role(text: str) -> str:
    """Parsed as the local services parse it: " Admin " is admin, "root" the same error."""
    return AccessRole.parse(text).value


def user_path(username: str) -> str:
    """/users/NAME, the name quoted whole: a slash or a space stays part of it."""
    return "/users/" + quote(username, safe="@")


def incident_path(ref: str | int) -> tuple[str, str]:
    """The path of an incident, and its id; a malformed id is refused here, as locally."""
    incident_id = format_id(parse_ref(ref))
    return f"/incidents/{incident_id}", incident_id


def filter_params(query: IncidentFilter) -> Params:
    params: Params = [("status", s.value) for s in query.statuses]
    params += [("severity", key) for key in query.severities]
    if query.service is not None:
        params.append(("service", query.service))
    if query.since is not None:
        params.append(("since", query.since.isoformat()))
    return [*params, ("limit", query.limit), ("offset", query.offset)]


def scope_body(scope: Scope) -> dict[str, Any]:
    """Every part given, so the server's merge yields exactly this scope."""
    return scope.to_dict()


def impact_body(impact: Impact) -> dict[str, Any]:
    """Every part given so the server's merge yields exactly this impact: "" is how the API
    clears users_affected and sets data_loss back to unknown (null would keep the old
    value); data_loss "none" says nothing was lost."""
    return {
        "summary": impact.summary,
        "customer_impact": impact.customer_impact,
        "users_affected": impact.users_affected or "",
        "data_loss": impact.data_loss or "",
    }


def severity_model(data: dict[str, Any]) -> tuple[SeverityModel, str | None]:
    """What GET /severities tells: enough for keys, ranks and titles (emoji key (label))."""
    items = tuple(Severity(s["key"], s["label"], s.get("emoji") or "") for s in data["items"])
    return SeverityModel(items), data.get("default")


def timeline_entry(data: dict[str, Any]) -> TimelineEntry:
    return TimelineEntry(
        seq=int(data["seq"]),
        kind=EntryKind(data["kind"]),
        at=_time(data["at"]),
        actor=data["actor"],
        text=data.get("text", ""),
        data=dict(data.get("data") or {}),
    )


def user(data: dict[str, Any]) -> User:
    """The API shows no user ids or password hashes; the CLI needs neither."""
    return User(
        id=0,
        username=data["username"],
        role=AccessRole(data["role"]),
        password_hash="",
        created_at=_time(data["created_at"]),
        disabled=bool(data["disabled"]),
    )


def api_token(data: dict[str, Any]) -> ApiToken:
    return ApiToken(
        id=int(data["id"]),
        name=data["name"],
        role=AccessRole(data["role"]),
        created_at=_time(data["created_at"]),
        created_by=data["created_by"],
        revoked_at=parse_iso(data.get("revoked_at")),
        owner=data.get("owner"),
    )


def _time(text: str) -> datetime:
    moment = parse_iso(text)
    if moment is None:
        raise ValueError("a required time is missing")
    return moment
