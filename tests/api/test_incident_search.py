"""Searching incidents by text: the title, updates, notes, mitigations, reopen reasons and
labels; case-insensitive, with `%`, `_` and `\\` taken literally; on SQLite and PostgreSQL,
through the API's read model, the aggregates' list (the CLI) and the web list."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import bearer
from tests.web.conftest import login
from tocsin.app.incidents import IncidentService
from tocsin.app.ports import IncidentFilter
from tocsin.bootstrap import Tocsin
from tocsin.core.lifecycle import Status
from tocsin.store import database


@pytest.fixture
def seeded(tocsin: Tocsin) -> Tocsin:
    s = tocsin.incidents
    s.declare("ann", "Checkout returns 500s", "P1")  # INC-1
    s.declare("ann", "Search is slow", "P2")  # INC-2
    s.post_update("INC-2", "ann", "The Elasticsearch heap is at 100%")
    s.declare("ann", "Cron stuck", "P3")  # INC-3
    s.note("INC-3", "ann", "disk_full on worker-7, path C:\\temp")
    s.declare("ann", "Payments timeouts", "P2")  # INC-4
    s.mitigate("INC-4", "ann", "Failed over to the STANDBY region")
    s.relabel("INC-4", "ann", ["vendor:acme"], [])
    s.resolve("INC-4", "ann", "vendor outage", "waited")
    return tocsin


CASES = [
    ("checkout", ["INC-1"]),  # the title, case-insensitive
    ("CHECKOUT RETURNS", ["INC-1"]),
    ("elasticsearch", ["INC-2"]),  # an update
    ("100%", ["INC-2"]),  # % is a character, not a wildcard
    ("10%", []),
    ("disk_full", ["INC-3"]),  # so is _
    ("disk_ful_", []),
    ("c:\\temp", ["INC-3"]),  # and the escape character itself
    ("standby region", ["INC-4"]),  # a mitigation
    ("vendor:acme", ["INC-4"]),  # a label
    ("s", ["INC-4", "INC-3", "INC-2", "INC-1"]),  # newest first
    ("nothing like this", []),
]


def _api_ids(api: TestClient, token: str, q: str, **extra: Any) -> tuple[list[str], int]:
    answer = api.get(
        "/api/v1/incidents", params={"q": q, "status": "all", **extra}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return [i["id"] for i in body["items"]], body["total"]


def test_the_read_model_and_the_aggregates_find_the_same(
    seeded: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    for q, expected in CASES:  # one seeded database for every case: a loop, not parameters
        ids, total = _api_ids(api, role_tokens["viewer"], q)
        assert (q, ids, total) == (q, expected, len(expected))
        page = seeded.incidents.find(IncidentFilter(text=q))  # what the CLI calls
        assert (q, [i.id for i in page.items]) == (q, expected)


def test_search_combines_with_filters_and_pages_on_the_api_and_the_web(
    seeded: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    token = role_tokens["viewer"]
    assert _api_ids(api, token, "s", status="resolved") == (["INC-4"], 1)
    assert _api_ids(api, token, "s", limit=2, offset=1) == (["INC-3", "INC-2"], 4)
    query = IncidentFilter(statuses=(Status.INVESTIGATING,), text="S", limit=1)
    page = seeded.incidents.find(query)
    assert ([i.id for i in page.items], page.total) == (["INC-3"], 3)
    answer = api.get(
        "/api/v1/incidents", params={"q": "x" * 201}, headers=bearer(role_tokens["viewer"])
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "q"

    # The web list: a search box that keeps its text.
    seeded.accounts.create_user("vic", "correct horse battery staple", "viewer")
    assert login(api, "vic").status_code == 303
    html = api.get("/incidents", params={"q": "elastic<search", "status": "all"}).text
    assert 'name="q"' in html
    assert 'value="elastic&lt;search"' in html
    assert "0 incidents" in html
    html = api.get("/incidents", params={"q": "ELASTIC", "status": "all"}).text
    assert "1 incident." in html
    assert "Search is slow" in html
    assert "Checkout returns 500s" not in html
    older = api.get("/incidents", params={"q": "s", "status": "all"}).text
    assert "4 incidents" in older


def test_the_migration_fills_the_search_text_of_incidents_stored_before_it(
    engine: Engine, service: IncidentService
) -> None:
    service.declare("ann", "Ünïcode TITLE", "P2")
    service.note("INC-1", "ann", "Written BEFORE the search table")
    with engine.connect() as conn:
        config = Config()
        config.set_main_option("script_location", str(database.MIGRATIONS))
        config.attributes["connection"] = conn
        command.downgrade(config, "0010_postmortems")
        conn.commit()
    database.upgrade(engine)
    for q in ("ünïcode title", "before the SEARCH"):
        assert [i.id for i in service.find(IncidentFilter(text=q)).items] == ["INC-1"]
    service.post_update("INC-1", "ann", "and one after it")
    assert [i.id for i in service.find(IncidentFilter(text="ONE AFTER")).items] == ["INC-1"]
