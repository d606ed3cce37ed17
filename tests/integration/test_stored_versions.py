"""Rows an earlier Tocsin stored, on SQLite and PostgreSQL: the migration that adds the public
JSON, reads of rows whose public JSON an older encoder wrote, and what is stored back."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert, select, update

from tests.unit.test_snapshot import v0_row
from tocsin.app.errors import DatabaseTooNew
from tocsin.app.incidents import IncidentService
from tocsin.app.ports import IncidentFilter
from tocsin.app.views import PUBLIC_VERSION, incident_json, incident_text
from tocsin.core import snapshot
from tocsin.core.lifecycle import Status
from tocsin.core.timeline import parse_iso
from tocsin.store import database
from tocsin.store.reads import SqlIncidentReads
from tocsin.store.repositories import Reencoded
from tocsin.store.tables import counters, incidents
from tocsin.store.uow import SqlUnitOfWork

STALE = '{"written_by": "an older encoder"}'


def migrate_to(engine: Engine, revision: str) -> None:
    with engine.connect() as conn, conn.begin():
        config = Config()
        config.set_main_option("script_location", str(database.MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def stored(engine: Engine, number: int) -> tuple[str, int, dict[str, Any]]:
    c = incidents.c
    with engine.connect() as conn:
        row = conn.execute(
            select(c.public, c.public_version, c.state).where(c.number == number)
        ).one()
    return row.public, row.public_version, row.state


def make_old(
    engine: Engine, number: int, service: IncidentService, public_version: int = 0
) -> None:
    """The row as a Tocsin before versioning left it: state v0 (the API's shape then, see
    test_snapshot) and public JSON from an older encoder."""
    v0 = incident_json(service.get(number))
    with engine.begin() as conn:
        conn.execute(
            update(incidents)
            .where(incidents.c.number == number)
            .values(state=v0, public=STALE, public_version=public_version)
        )


def seed(service: IncidentService) -> None:
    service.declare("alice", "Checkout 500s", "P1")
    service.mitigate("INC-1", "alice", "rollback")
    service.declare("bob", "Search slow", "P3")


def test_the_migration_encodes_the_public_json_of_rows_stored_before_it(
    database_url: str,
) -> None:
    engine = database.create(database_url)
    try:
        migrate_to(engine, "0003_alerts")
        row = v0_row()
        with engine.begin() as conn:
            conn.execute(insert(incidents).values(number=1, state=row, **_columns(row)))
            unreadable = {**row, "number": 2, "v": 99}  # a newer Tocsin's: left for the read
            closed = _columns(row) | {"status": "closed"}
            conn.execute(insert(incidents).values(number=2, state=unreadable, **closed))
            conn.execute(update(counters).values(value=2))
        assert database.upgrade(engine) == database.HEAD
        public, version, state = stored(engine, 1)
        assert (json.loads(public), version) == (row, PUBLIC_VERSION)
        assert state == row  # the state itself is upgraded on read, not rewritten
        assert stored(engine, 2)[:2] == ("", 0)
        with SqlUnitOfWork(engine, write=False) as uow:
            assert uow.incidents.get(1) == snapshot.from_dict(row)
            assert uow.incidents.find_json(IncidentFilter(statuses=(Status.RESOLVED,))) == (
                [public],
                1,
            )
            with pytest.raises(DatabaseTooNew, match="INC-2 was stored by a newer Tocsin"):
                uow.incidents.get(2)
    finally:
        engine.dispose()


def _columns(row: dict[str, Any]) -> dict[str, Any]:
    """The columns of schema 0003's `incidents` row that may not be null, from its state."""
    keys = ("title", "severity", "status", "version")
    times = ("declared_at", "updated_at")
    return {k: row[k] for k in keys} | {k: parse_iso(row[k]) for k in times}


def test_public_json_of_an_older_encoder_is_encoded_again_and_stored(
    engine: Engine, service: IncidentService
) -> None:
    seed(service)
    reads = SqlIncidentReads(engine)
    for query in (IncidentFilter(), IncidentFilter(statuses=(Status.MITIGATED,))):
        make_old(engine, 1, service)
        items, _ = reads.find_json(query)
        assert json.loads(items[-1]) == incident_json(service.get(1))
        assert stored(engine, 1)[:2] == (incident_text(service.get(1)), PUBLIC_VERSION)
    make_old(engine, 1, service)
    detail = json.loads(reads.detail_json(1))
    assert detail == incident_json(*service.detail(1))
    assert stored(engine, 1)[:2] == (incident_text(service.get(1)), PUBLIC_VERSION)
    assert json.loads(reads.find_json(IncidentFilter())[0][0]) == incident_json(service.get(2))


def test_a_row_stored_by_a_newer_encoder_is_served_and_never_written_down(
    engine: Engine, service: IncidentService
) -> None:
    seed(service)
    make_old(engine, 1, service, public_version=PUBLIC_VERSION + 1)
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.incidents.find_json(IncidentFilter())[0][1] == STALE
        assert uow.incidents.reencoded == []
    version = service.get(1).version
    with SqlUnitOfWork(engine) as uow:
        uow.incidents.rewrite_public([Reencoded(1, version, "{}")])
        uow.commit()
    assert stored(engine, 1)[:2] == (STALE, PUBLIC_VERSION + 1)


def test_a_change_since_the_read_wins_over_the_json_encoded_on_read(
    engine: Engine, service: IncidentService
) -> None:
    seed(service)
    make_old(engine, 1, service)
    with SqlUnitOfWork(engine, write=False) as uow:
        uow.incidents.detail_json(1)
        [encoded] = uow.incidents.reencoded
    service.resolve("INC-1", "alice")  # stores the public JSON of the new version
    with SqlUnitOfWork(engine) as uow:
        uow.incidents.rewrite_public([encoded])
        uow.commit()
    assert stored(engine, 1)[:2] == (incident_text(service.get(1)), PUBLIC_VERSION)
    assert json.loads(stored(engine, 1)[0])["status"] == "resolved"


def test_on_sqlite_a_reader_does_not_wait_for_the_lock_to_store_what_it_encoded(
    tmp_path: Path, make_service: Any
) -> None:
    engine = database.create(f"sqlite:///{tmp_path / 'tocsin.db'}")
    try:
        database.upgrade(engine)
        service: IncidentService = make_service(engine)
        seed(service)
        make_old(engine, 1, service)
        reads = SqlIncidentReads(engine)
        with SqlUnitOfWork(engine) as writer:  # holds the write lock (BEGIN IMMEDIATE)
            writer.incidents.next_number()
            started = time.monotonic()
            page = reads.detail_json(1)
            assert time.monotonic() - started < 5  # the busy timeout is 30 s
        assert json.loads(page) == incident_json(*service.detail(1))
        assert stored(engine, 1)[:2] == (STALE, 0)  # not stored this time
        with engine.connect() as conn:  # and the pooled connections wait again as configured
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        reads.detail_json(1)
        assert stored(engine, 1)[:2] == (incident_text(service.get(1)), PUBLIC_VERSION)
    finally:
        engine.dispose()
