"""The lean list and incident page (api/fast_reads.py) answer exactly what the routes answer,
and leave every case they do not fully understand to the routes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from tests.conftest import bearer
from tocsin.app.clock import ManualClock
from tocsin.app.incidents import IncidentService
from tocsin.app.ports import IncidentFilter
from tocsin.app.views import incident_json
from tocsin.bootstrap import Tocsin
from tocsin.core.lifecycle import Status
from tocsin.core.scope import Impact, Scope


def _seed(tocsin: Tocsin) -> None:
    s = tocsin.incidents
    s.declare("alice", "Checkout 500s", "P1", Scope(("checkout", "api"), "all"), Impact("50%"))
    s.declare("bob", 'Quotes "and" \\ slashes, ünïcode 太郎', "P3", Scope(("search",)))
    clock = tocsin.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(seconds=61, microseconds=250))  # times with and without micros
    s.post_update("INC-1", "carol", "Rolled back to v41 \N{FIRE}")
    s.mitigate("INC-1", "carol", "rollback")
    s.declare("dave", "Cron stuck", "P2", Scope(("cron",)))
    s.acknowledge("INC-3", "dave")
    s.resolve("INC-3", "dave", "disk full", "cleaned up")


def _route_list(s: IncidentService, query: IncidentFilter) -> dict[str, Any]:
    page = IncidentService.find(s, query)  # the class's: the instance's is patched to fail
    items = [incident_json(i) for i in page.items]
    return {"items": items, "total": page.total, "limit": query.limit, "offset": query.offset}


@pytest.fixture
def served_fast(tocsin: Tocsin, monkeypatch: pytest.MonkeyPatch) -> Tocsin:
    """The routes' own reads fail the test: a 200 then proves the lean path answered."""

    def refused(*_: object, **__: object) -> None:
        raise AssertionError("the FastAPI route answered, not the fast path")

    _seed(tocsin)
    monkeypatch.setattr(tocsin.incidents, "find", refused)
    monkeypatch.setattr(tocsin.incidents, "detail", refused)
    return tocsin


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", IncidentFilter()),
        ("?status=open", IncidentFilter((Status.INVESTIGATING, Status.MITIGATED))),
        (
            "?status=resolved&status=investigating",
            IncidentFilter(statuses=(Status.INVESTIGATING, Status.RESOLVED)),
        ),
        ("?status=all&severity=p1", IncidentFilter(severities=("P1",))),
        ("?service=search", IncidentFilter(service="search")),
        ("?service=", IncidentFilter(service="")),
        ("?limit=1&offset=1", IncidentFilter(limit=1, offset=1)),
        ("?limit=2&unknown=ignored", IncidentFilter(limit=2)),
    ],
)
def test_list_matches_the_route(
    served_fast: Tocsin,
    api: TestClient,
    role_tokens: dict[str, str],
    query: str,
    expected: IncidentFilter,
) -> None:
    got = api.get(f"/api/v1/incidents{query}", headers=bearer(role_tokens["viewer"]))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/json"
    want = _route_list(served_fast.incidents, expected)
    assert got.json() == want


def test_incident_page_matches_the_route(
    served_fast: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    s = served_fast.incidents
    for ref in ("INC-1", "inc-2", "3", "INC-0003"):
        got = api.get(f"/api/v1/incidents/{ref}", headers=bearer(role_tokens["viewer"]))
        assert got.status_code == 200, got.text
        incident, timeline = IncidentService.detail(s, ref)
        assert got.json() == incident_json(incident, timeline)
    page = api.get("/api/v1/incidents/INC-2", headers=bearer(role_tokens["viewer"])).json()
    assert page["title"] == 'Quotes "and" \\ slashes, ünïcode 太郎'


@pytest.mark.parametrize(
    ("path", "status", "names"),
    [
        ("/api/v1/incidents?limit=0", 422, "limit"),
        ("/api/v1/incidents?limit=", 422, "limit"),
        ("/api/v1/incidents?limit=1001", 422, "limit"),
        ("/api/v1/incidents?offset=-1", 422, "offset"),
        ("/api/v1/incidents?status=bogus", 422, "status"),
        ("/api/v1/incidents?severity=P9", 422, "P1, P2, P3, P4"),
        ("/api/v1/incidents?since=yesterday", 422, "since"),
        ("/api/v1/incidents/INC-99", 404, "INC-99"),
        ("/api/v1/incidents/INC-0", 422, "ref"),
    ],
)
def test_what_the_fast_path_cannot_judge_gets_the_routes_error(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str], path: str, status: int, names: str
) -> None:
    _seed(tocsin)
    got = api.get(path, headers=bearer(role_tokens["viewer"]))
    assert got.status_code == status, got.text
    assert names in got.json()["error"]["message"]


def test_since_and_credentials_are_judged_by_the_route(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    _seed(tocsin)
    since = api.get(
        "/api/v1/incidents?since=2000-01-01T00:00:00Z", headers=bearer(role_tokens["viewer"])
    )
    assert (since.status_code, since.json()["total"]) == (200, 3)
    assert api.get("/api/v1/incidents").status_code == 401
    assert api.get("/api/v1/incidents/INC-1", headers=bearer("tcn_nope")).status_code == 401
    assert api.get("/api/v1/incidents", headers={"Authorization": "Basic x"}).status_code == 401


def test_a_revoked_token_is_refused_at_once(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    _seed(tocsin)
    auth = bearer(role_tokens["viewer"])
    assert api.get("/api/v1/incidents/INC-1", headers=auth).status_code == 200
    viewer = next(t for t in tocsin.accounts.tokens() if t.name == "viewer-token")
    tocsin.accounts.revoke_token(viewer.id)
    assert api.get("/api/v1/incidents/INC-1", headers=auth).status_code == 401
    assert api.get("/api/v1/incidents", headers=auth).status_code == 401


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_reads_survive_the_database_dropping_their_connections(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    """PostgreSQL restarts, or a proxy drops idle connections: the lean path's pool has no
    liveness ping, so its first read fails, the route answers, and the next read reconnects."""
    _seed(tocsin)
    auth = bearer(role_tokens["viewer"])
    before = api.get("/api/v1/incidents/INC-1", headers=auth).json()
    admin = create_engine(tocsin.engine.url)  # not from the pool whose connections are dropped
    try:
        with admin.connect() as conn:
            dropped = conn.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).scalar_one()
    finally:
        admin.dispose()
    assert dropped >= 1
    for _ in range(3):
        again = api.get("/api/v1/incidents/INC-1", headers=auth)
        assert again.status_code == 200, again.text
        assert again.json() == before
    assert api.get("/api/v1/incidents", headers=auth).json()["total"] == 3
