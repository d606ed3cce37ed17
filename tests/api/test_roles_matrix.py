"""Every /api/v1 route, every role: who may call it. A new route fails here until classified."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests.conftest import bearer
from tests.support.oncall import oncall_config, wire
from tocsin.api.deps import CSRF_HEADER, SESSION_COOKIE
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin
from tocsin.core.action_items import Draft
from tocsin.core.alerts import AlertAction, AlertIn, Parsed

API = "/api/v1"
CALLERS = (None, "viewer", "responder", "admin")
RANK = {"public": -1, "viewer": 0, "responder": 1, "admin": 2}
INC = f"{API}/incidents/{{ref}}"
PHRASE = "a long passphrase"

# (method, path template) -> the least role that may call it.
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", f"{API}/openapi.json"): "public",
    ("GET", f"{API}/docs"): "public",
    ("GET", f"{API}/incidents"): "viewer",
    ("POST", f"{API}/incidents"): "responder",
    ("GET", INC): "viewer",
    ("GET", f"{INC}/timeline"): "viewer",
    ("GET", f"{INC}/export"): "viewer",
    **{
        ("POST", f"{INC}/{action}"): "responder"
        for action in (
            "acknowledge", "updates", "severity", "roles", "scope", "impact", "labels",
            "mitigate", "resolve", "reopen", "close", "notes",
        )
    },
    ("GET", f"{API}/me"): "viewer",
    ("POST", f"{API}/me/password"): "viewer",
    ("GET", f"{API}/severities"): "viewer",
    ("GET", f"{API}/users"): "admin",
    ("POST", f"{API}/users"): "admin",
    ("PATCH", f"{API}/users/{{username}}"): "admin",
    ("POST", f"{API}/users/{{username}}/password"): "admin",
    ("GET", f"{API}/tokens"): "admin",
    ("POST", f"{API}/tokens"): "admin",
    ("DELETE", f"{API}/tokens/{{token_id}}"): "admin",
    ("GET", f"{API}/alerts"): "viewer",
    ("GET", f"{API}/alerts/suggestions"): "viewer",
    ("POST", f"{API}/alerts/{{alert_ref}}/declare"): "responder",
    ("POST", f"{API}/alerts/{{alert_ref}}/dismiss"): "responder",
    ("GET", f"{API}/silences"): "viewer",
    ("POST", f"{API}/silences"): "responder",
    ("DELETE", f"{API}/silences/{{silence_id}}"): "responder",
    ("GET", f"{API}/maintenance"): "viewer",
    ("POST", f"{API}/maintenance"): "responder",
    ("POST", f"{API}/maintenance/{{window_id}}/end"): "responder",
    ("PATCH", f"{API}/maintenance/{{window_id}}"): "responder",
    ("POST", f"{API}/admin/reload"): "admin",
    ("GET", f"{API}/integrations"): "admin",
    ("GET", f"{API}/oncall"): "viewer",
    ("GET", f"{API}/oncall/check"): "viewer",
    ("GET", f"{API}/insights"): "viewer",
    ("GET", f"{API}/oncall/{{schedule}}"): "viewer",
    ("GET", f"{API}/oncall/{{schedule}}.ics"): "viewer",  # or the feed's own ?token=
    ("GET", f"{API}/people/{{person}}.ics"): "viewer",  # or the feed's own ?token=
    ("GET", f"{API}/oncall/overrides"): "viewer",
    ("POST", f"{API}/oncall/overrides"): "responder",
    ("DELETE", f"{API}/oncall/overrides/{{override_id}}"): "responder",
    ("GET", f"{API}/oncall/feeds"): "viewer",
    ("POST", f"{API}/oncall/feeds"): "responder",
    ("DELETE", f"{API}/oncall/feeds/{{feed_id}}"): "responder",
    ("POST", f"{API}/people/{{person}}/page-tests"): "responder",
    ("GET", f"{API}/people/{{person}}/page-tests"): "viewer",
    ("GET", f"{API}/page-tests"): "viewer",
    ("GET", f"{API}/runbooks"): "viewer",
    ("GET", f"{API}/runbooks/{{name}}"): "viewer",
    ("GET", f"{API}/runbooks/{{name}}/lint"): "viewer",
    ("POST", f"{INC}/runbooks/{{name}}/run"): "responder",
    ("GET", f"{INC}/runbook-runs"): "viewer",
    ("GET", f"{API}/runbook-runs/{{run_id}}"): "viewer",
    ("POST", f"{API}/runbook-runs/{{run_id}}/approve"): "responder",
    ("GET", f"{API}/actions"): "viewer",
    ("POST", f"{INC}/actions/{{action}}"): "responder",
    ("GET", f"{API}/audit"): "admin",
    ("GET", f"{API}/audit/verify"): "admin",
    ("GET", f"{INC}/postmortem"): "viewer",
    ("GET", f"{INC}/postmortem/history"): "viewer",
    ("POST", f"{INC}/postmortem/draft"): "responder",
    ("PUT", f"{INC}/postmortem"): "responder",
    ("POST", f"{INC}/postmortem/review"): "responder",
    ("POST", f"{INC}/postmortem/return"): "responder",
    ("POST", f"{INC}/postmortem/publish"): "responder",
    ("POST", f"{INC}/postmortem/meeting"): "responder",
    ("GET", f"{API}/postmortems"): "viewer",
    ("GET", f"{INC}/action-items"): "viewer",
    ("POST", f"{INC}/action-items"): "responder",
    ("GET", f"{API}/action-items"): "viewer",
    ("GET", f"{API}/action-items/{{item}}"): "viewer",
    ("PATCH", f"{API}/action-items/{{item}}"): "responder",
    ("POST", f"{API}/action-items/{{item}}/export"): "responder",
}  # fmt: skip

# A valid body for each mutating route, so an allowed caller gets past validation.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", f"{API}/incidents"): {"title": "Matrix", "severity": "P2"},
    ("POST", f"{INC}/updates"): {"text": "still looking"},
    ("POST", f"{INC}/severity"): {"severity": "P2", "reason": "wider"},
    ("POST", f"{INC}/roles"): {"role": "comms", "person": "bob"},
    ("POST", f"{INC}/scope"): {"services": ["api"]},
    ("POST", f"{INC}/impact"): {"summary": "slow pages"},
    ("POST", f"{INC}/labels"): {"add": ["database"]},
    ("POST", f"{INC}/mitigate"): {"action": "rolled back"},
    ("POST", f"{INC}/resolve"): {"root_cause": "a bad deploy", "fix": "rollback"},
    ("POST", f"{INC}/reopen"): {"reason": "back again"},
    ("POST", f"{INC}/runbooks/{{name}}/run"): {"step": 1, "confirm": True},
    ("POST", f"{INC}/actions/{{action}}"): {"params": {"cluster": "c"}},
    ("POST", f"{API}/users"): {"username": "nina", "password": PHRASE, "role": "viewer"},
    ("PATCH", f"{API}/users/{{username}}"): {"role": "responder"},
    ("POST", f"{API}/users/{{username}}/password"): {"password": "a new passphrase"},
    ("POST", f"{API}/me/password"): {"current_password": PHRASE, "new_password": "a new one!!!"},
    ("POST", f"{API}/tokens"): {"name": "matrix", "role": "viewer"},
    ("POST", f"{API}/silences"): {
        "matchers": ["alertname=Matrix"],
        "ends_at": "2099-01-01T00:00:00Z",
        "comment": "matrix",
    },
    ("POST", f"{API}/maintenance"): {
        "service": "api",
        "ends_at": "2099-01-01T00:00:00Z",
        "comment": "matrix",
    },
    ("PATCH", f"{API}/maintenance/{{window_id}}"): {"comment": "matrix"},
    ("POST", f"{API}/oncall/overrides"): {
        "schedule": "primary", "person": "bob",
        "from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z",
    },
    ("POST", f"{API}/oncall/feeds"): {"target": "schedule", "name": "primary"},
    ("PUT", f"{INC}/postmortem"): {"text": "# Matrix", "version": 1},
    ("POST", f"{INC}/action-items"): {"title": "Matrix item", "owner": "ann"},
    ("PATCH", f"{API}/action-items/{{item}}"): {"priority": "P2"},
    ("POST", f"{INC}/postmortem/meeting"): {"at": "2099-01-01T00:00:00Z"},
}  # fmt: skip


@pytest.fixture
def tocsin(tmp_path: Path, database_url: str, clock: ManualClock) -> Iterator[Tocsin]:
    """The app with people and schedules, so the on-call routes act on real ones."""
    wired = wire(tmp_path, database_url, clock, oncall_config())
    yield wired
    wired.engine.dispose()


def api_routes(api: TestClient) -> set[tuple[str, str]]:
    found = set()
    for ctx in iter_route_contexts(api.app.routes):  # type: ignore[attr-defined]
        path = ctx.path_format or ""
        if path == API or path.startswith(API + "/"):
            found |= {(m, path) for m in (ctx.methods or {"*"}) - {"HEAD"}}
    return found


def test_every_api_route_is_classified(api: TestClient) -> None:
    assert api_routes(api) == set(EXPECTED)


@pytest.fixture
def params(tocsin: Tocsin, role_tokens: dict[str, str], api: TestClient) -> dict[str, str]:
    """Path parameters naming things that exist, and that the matrix may change freely."""
    body = {"title": "Matrix incident", "severity": "P1"}
    created = api.post(f"{API}/incidents", json=body, headers=bearer(role_tokens["responder"]))
    assert created.status_code == 201
    tocsin.accounts.create_user("spare", PHRASE, "viewer")
    spare, _ = tocsin.accounts.create_token("spare", "viewer", "tests")
    silence = tocsin.alert_admin.silence(
        ["alertname=Spare"], None, tocsin.clock.now() + timedelta(days=1), "tests", "spare"
    )
    warning = AlertIn("generic", "w1", AlertAction.TRIGGER, "Disk full", "warning",
                      labels={"alertname": "DiskFull", "service": "db"})  # fmt: skip
    tocsin.alerts.ingest("matrix", Parsed(alerts=[warning]))
    [suggested] = tocsin.suggestions.list().items
    now = tocsin.clock.now()
    override = tocsin.oncall.add_override("primary", "ann", now, now + timedelta(hours=1), "t")
    feed, _ = tocsin.oncall.add_feed("person", "ann", "tests")
    item = tocsin.action_items.add(created.json()["id"], Draft("Matrix item", "ann"), "tests")
    window = tocsin.alert_admin.maintenance("spare", None, now + timedelta(days=1), "t", "spare")
    return {
        "window_id": str(window.id),
        "ref": created.json()["id"],
        "username": "spare",
        "token_id": str(spare.id),
        "silence_id": str(silence.id),
        "alert_ref": suggested.group.group_key,
        "schedule": "primary",
        "person": "ann",
        "override_id": str(override.id),
        "feed_id": str(feed.id),
        "name": "no-such-runbook",
        "run_id": "999999",
        "action": "ecs.scale",
        "item": item.ref,
    }


def written(api: TestClient, admin: dict[str, str], ref: str) -> tuple[object, ...]:
    """What a refused request must leave alone."""
    incident = api.get(f"{API}/incidents/{ref}", headers=admin).json()
    users = api.get(f"{API}/users", headers=admin).json()
    tokens = api.get(f"{API}/tokens", headers=admin).json()
    total = api.get(f"{API}/incidents", headers=admin).json()["total"]
    overrides = api.get(f"{API}/oncall/overrides", headers=admin).json()
    feeds = api.get(f"{API}/oncall/feeds", headers=admin).json()
    return incident["version"], users, tokens, total, overrides, feeds


def allowed(need: str, caller: str | None) -> bool:
    return need == "public" or (caller is not None and RANK[caller] >= RANK[need])


def verdict(ok: bool, caller: str | None, status: int) -> str | None:
    if status >= 500:
        return f"server error {status}"
    if ok:
        return f"refused with {status}" if status in (401, 403) else None
    expected = 401 if caller is None else 403
    return None if status == expected else f"got {status}, expected {expected}"


def test_each_role_gets_exactly_what_the_table_allows(
    api: TestClient, role_tokens: dict[str, str], params: dict[str, str]
) -> None:
    admin = bearer(role_tokens["admin"])
    problems = []
    for (method, template), need in sorted(EXPECTED.items()):
        url = template.format(**params)
        body: dict[str, Any] = (
            {"json": BODIES.get((method, template), {})} if method != "GET" else {}
        )
        before = written(api, admin, params["ref"])
        for caller in CALLERS:  # the refused ones first, so `before` still holds for them
            headers = bearer(role_tokens[caller]) if caller else {}
            status = api.request(method, url, headers=headers, **body).status_code
            ok, who = allowed(need, caller), f"{method} {template} as {caller or 'nobody'}"
            if problem := verdict(ok, caller, status):
                problems.append(f"{who}: {problem}")
            if not ok and written(api, admin, params["ref"]) != before:
                problems.append(f"{who}: refused, yet wrote")
    assert problems == []


@pytest.fixture
def session(tocsin: Tocsin, api: TestClient) -> str:
    """A responder logged in to the web UI: the cookie is set, the CSRF token returned."""
    tocsin.accounts.create_user("casey", PHRASE, "responder")
    user = tocsin.accounts.authenticate("casey", PHRASE)
    secret, found = tocsin.accounts.start_session(user)
    api.cookies.set(SESSION_COOKIE, secret)
    return found.csrf


@pytest.mark.parametrize("sent", [None, "wrong-token", ""])
def test_a_session_write_without_its_csrf_token_is_refused(
    api: TestClient, session: str, sent: str | None
) -> None:
    headers = {CSRF_HEADER: sent} if sent is not None else {}
    body = {"title": "From a forged form", "severity": "P1"}
    refused = api.post(f"{API}/incidents", json=body, headers=headers)
    assert refused.status_code in (401, 403)
    assert "CSRF" in refused.json()["error"]["message"]
    assert api.get(f"{API}/incidents").json()["total"] == 0


def test_a_session_reads_freely_and_writes_with_its_csrf_token(
    api: TestClient, session: str
) -> None:
    assert api.get(f"{API}/me").json()["name"] == "casey"
    body = {"title": "From the web UI", "severity": "P1"}
    created = api.post(f"{API}/incidents", json=body, headers={CSRF_HEADER: session})
    assert created.status_code == 201
    assert created.json()["declared_by"] == "casey"
