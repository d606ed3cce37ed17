"""The API's incident JSON is the one encoder's output (app/views.py `incident_json`), whatever
the stored state's version, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.conftest import bearer
from tocsin.app.views import PUBLIC_VERSION, incident_json
from tocsin.bootstrap import Tocsin
from tocsin.core import snapshot
from tocsin.core.scope import Impact, Scope
from tocsin.store.tables import incidents


def _seed(tocsin: Tocsin) -> None:
    s = tocsin.incidents
    s.declare("alice", "Checkout 500s", "P1", Scope(("checkout",), "all"), Impact("50%"))
    s.mitigate("INC-1", "alice", "rollback")
    s.declare("bob", 'Quotes "and" ünïcode 太郎', "P3", Scope(("search",)))


def _expected_list(tocsin: Tocsin, numbers: list[int]) -> list[dict[str, object]]:
    return [incident_json(tocsin.incidents.get(n)) for n in numbers]


def test_the_list_and_the_page_are_the_encoders_output(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    _seed(tocsin)
    auth = bearer(role_tokens["viewer"])
    for query, numbers in (("", [2, 1]), ("?status=mitigated", [1]), ("?service=search", [2])):
        got = api.get(f"/api/v1/incidents{query}", headers=auth)
        assert got.status_code == 200, got.text
        assert got.json()["items"] == _expected_list(tocsin, numbers)
    for n in (1, 2):
        page = api.get(f"/api/v1/incidents/INC-{n}", headers=auth)
        assert page.json() == incident_json(*tocsin.incidents.detail(n))
    assert "v" in snapshot.to_dict(tocsin.incidents.get(2))
    assert "v" not in page.json()  # the storage format stays inside


def test_a_row_an_older_tocsin_stored_is_served_by_todays_encoder_and_upgraded(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    _seed(tocsin)
    before = tocsin.incidents.get(1)
    with tocsin.engine.begin() as conn:  # state v0 (the API's shape then), no public JSON yet
        conn.execute(
            update(incidents)
            .where(incidents.c.number == 1)
            .values(state=incident_json(before), public="", public_version=0)
        )
    auth = bearer(role_tokens["responder"])
    page = api.get("/api/v1/incidents/INC-1", headers=auth)
    assert page.json() == incident_json(before, tocsin.incidents.timeline(1))
    assert api.get("/api/v1/incidents", headers=auth).json()["items"][1] == incident_json(before)
    with tocsin.engine.connect() as conn:
        c = incidents.c
        public, version, state = conn.execute(
            select(c.public, c.public_version, c.state).where(c.number == 1)
        ).one()
    assert (json.loads(public), version) == (incident_json(before), PUBLIC_VERSION)
    assert "v" not in state  # read through the upgrade; rewritten by the next change:
    done = api.post("/api/v1/incidents/INC-1/resolve", json={"fix": "pinned v41"}, headers=auth)
    assert done.status_code == 200, done.text
    with tocsin.engine.connect() as conn:
        state = conn.execute(select(incidents.c.state).where(incidents.c.number == 1)).scalar()
    assert state["v"] == snapshot.VERSION
    assert snapshot.from_dict(state).fix == "pinned v41"
