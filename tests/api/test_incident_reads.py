"""GET /api/v1/incidents and /api/v1/incidents/{ref} answer with the stored JSON (the read
models), the same objects the aggregate would give, with the routes' own errors, on SQLite and
PostgreSQL; their OpenAPI entries still document the bodies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from tests.conftest import bearer
from tests.web.conftest import PASSWORD, login
from tocsin.app.accounts import TOKEN_CACHE
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


def _aggregate_list(s: IncidentService, query: IncidentFilter) -> dict[str, Any]:
    """The list as the aggregates would give it: what the stored JSON must equal."""
    page = IncidentService.find(s, query)  # the class's: the instance's is patched to fail
    items = [incident_json(i) for i in page.items]
    return {"items": items, "total": page.total, "limit": query.limit, "offset": query.offset}


@pytest.fixture
def seeded(tocsin: Tocsin, monkeypatch: pytest.MonkeyPatch) -> Tocsin:
    """Reading through the aggregate fails the test: a 200 proves the read model answered."""

    def refused(*_: object, **__: object) -> None:
        raise AssertionError("the route built aggregates instead of reading the stored JSON")

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
        ("?offset=5", IncidentFilter(offset=5)),  # past the end: no items, the total still
    ],
)
def test_the_list_is_the_stored_json_of_the_matching_incidents(
    seeded: Tocsin,
    api: TestClient,
    role_tokens: dict[str, str],
    query: str,
    expected: IncidentFilter,
) -> None:
    got = api.get(f"/api/v1/incidents{query}", headers=bearer(role_tokens["viewer"]))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/json"
    assert got.headers["cache-control"] == "no-store"
    assert got.json() == _aggregate_list(seeded.incidents, expected)


def test_since_filters_by_declared_time(
    seeded: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    auth = bearer(role_tokens["viewer"])
    since = api.get("/api/v1/incidents?since=2000-01-01T00:00:00Z", headers=auth)
    assert (since.status_code, since.json()["total"]) == (200, 3)
    declared = seeded.incidents.get("INC-3").declared_at.isoformat().replace("+00:00", "Z")
    late = api.get("/api/v1/incidents", params={"since": declared}, headers=auth).json()
    assert [i["id"] for i in late["items"]] == ["INC-3"]


def test_the_incident_page_is_the_stored_json_with_its_timeline(
    seeded: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    s = seeded.incidents
    for ref in ("INC-1", "inc-2", "3", "INC-0003"):
        got = api.get(f"/api/v1/incidents/{ref}", headers=bearer(role_tokens["viewer"]))
        assert got.status_code == 200, got.text
        assert got.headers["content-type"] == "application/json"
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
def test_bad_parameters_and_missing_incidents_get_the_documented_errors(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str], path: str, status: int, names: str
) -> None:
    _seed(tocsin)
    got = api.get(path, headers=bearer(role_tokens["viewer"]))
    assert got.status_code == status, got.text
    assert names in got.json()["error"]["message"]


def test_credentials_are_required_and_judged(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    _seed(tocsin)
    assert api.get("/api/v1/incidents").status_code == 401
    assert api.get("/api/v1/incidents/INC-1", headers=bearer("tcn_nope")).status_code == 401
    assert api.get("/api/v1/incidents", headers={"Authorization": "Basic x"}).status_code == 401
    assert api.get("/api/v1/incidents", headers={"Authorization": "Bearer "}).status_code == 401


def test_a_web_session_reads_the_same_json(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    _seed(tocsin)
    tocsin.accounts.create_user("vic", PASSWORD, "viewer")
    by_token = api.get("/api/v1/incidents/INC-1", headers=bearer(role_tokens["viewer"])).json()
    assert login(api, "vic").status_code == 303
    assert api.get("/api/v1/incidents/INC-1").json() == by_token
    assert api.get("/api/v1/incidents").json()["total"] == 3


def test_a_revoked_token_is_refused_at_once(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    _seed(tocsin)
    auth = bearer(role_tokens["viewer"])
    assert api.get("/api/v1/incidents/INC-1", headers=auth).status_code == 200  # now cached
    viewer = next(t for t in tocsin.accounts.tokens() if t.name == "viewer-token")
    tocsin.accounts.revoke_token(viewer.id)
    assert api.get("/api/v1/incidents/INC-1", headers=auth).status_code == 401
    assert api.get("/api/v1/incidents", headers=auth).status_code == 401


def test_a_token_is_answered_from_the_cache_only_within_its_lifetime(
    tocsin: Tocsin, clock: ManualClock, role_tokens: dict[str, str]
) -> None:
    """What lets the auth dependency answer on the event loop, without a thread."""
    accounts, secret = tocsin.accounts, role_tokens["viewer"]
    assert accounts.cached_principal(secret) is None
    principal = accounts.principal_for_token(secret)
    assert accounts.cached_principal(secret) == principal
    clock.advance(TOKEN_CACHE)
    assert accounts.cached_principal(secret) is None
    assert accounts.cached_principal("tcn_unknown") is None


def test_the_openapi_document_describes_both_bodies(api: TestClient) -> None:
    paths = api.get("/api/v1/openapi.json").json()["paths"]

    def ok_schema(path: str) -> Any:
        return paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    assert ok_schema("/api/v1/incidents") == {"$ref": "#/components/schemas/IncidentPage"}
    assert ok_schema("/api/v1/incidents/{ref}") == {"$ref": "#/components/schemas/IncidentDetail"}
    params = {p["name"] for p in paths["/api/v1/incidents"]["get"]["parameters"]}
    assert {"status", "severity", "service", "since", "limit", "offset"} <= params


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_reads_survive_the_database_dropping_their_connections(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    """PostgreSQL restarts, or a proxy drops idle connections: the read models' pool has no
    liveness ping, so a read that meets a dead connection empties the pool and runs again on
    a fresh one; no request fails."""
    _seed(tocsin)
    auth = bearer(role_tokens["viewer"])
    before = api.get("/api/v1/incidents/INC-1", headers=auth).json()
    listed = api.get("/api/v1/incidents", headers=auth).json()
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
    assert api.get("/api/v1/incidents?status=open", headers=auth).status_code == 200
    assert api.get("/api/v1/incidents", headers=auth).json() == listed
