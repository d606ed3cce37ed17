"""Schema management: migrations on start, and databases Tocsin must refuse to touch."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tocsin.app.errors import DatabaseCorrupt, DatabaseTooNew, DatabaseUnavailable
from tocsin.store import database


def test_upgrade_is_idempotent_and_reaches_head(engine: Engine) -> None:
    assert database.upgrade(engine) == database.head_revision()
    assert database.current_revision(engine) == database.head_revision()


def test_a_database_from_a_newer_tocsin_is_refused_and_left_alone(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(DatabaseTooNew, match="newer Tocsin .*9999_from_the_future.*never migrated"):
        database.upgrade(engine)
    assert database.current_revision(engine) == "9999_from_the_future"


def test_foreign_tables_without_a_version_are_refused(database_url: str) -> None:
    eng = database.create(database_url)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY)"))
    with pytest.raises(DatabaseCorrupt, match=r"holds tables \(customers\) but no Tocsin schema"):
        database.upgrade(eng)
    eng.dispose()


def test_sqlite_runs_in_wal_mode_with_the_chosen_sync(tmp_path: Path) -> None:
    for sync, expected in (("NORMAL", 1), ("FULL", 2)):
        eng = database.create(f"sqlite:///{tmp_path / sync}.db", sync)
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == expected
        eng.dispose()


def test_a_corrupt_sqlite_file_is_refused_and_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.db"
    path.write_bytes(b"\x13garbage" * 512)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DatabaseCorrupt, match="not a usable Tocsin database.*not overwrite"):
        database.upgrade(database.create(f"sqlite:///{path}"))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_an_unreachable_postgres_says_where_and_what_to_check() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    eng = database.create(f"postgresql+psycopg://tocsin:secret@127.0.0.1:{port}/tocsin")
    with pytest.raises(DatabaseUnavailable, match="cannot reach .*TOCSIN_DATABASE_URL") as caught:
        database.upgrade(eng)
    assert "secret" not in str(caught.value)


def test_migrations_build_exactly_the_schema_the_code_declares(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from tocsin.store.tables import metadata

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_on_sqlite_a_reader_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    from tocsin.app.ports import IncidentFilter
    from tocsin.store.uow import SqlUnitOfWork

    eng = database.create(f"sqlite:///{tmp_path / 'tocsin.db'}")
    database.upgrade(eng)
    with SqlUnitOfWork(eng) as writer:  # holds the write lock (BEGIN IMMEDIATE)
        writer.incidents.next_number()
        with SqlUnitOfWork(eng, write=False) as reader:
            assert reader.incidents.count(IncidentFilter()) == 0
    eng.dispose()


def test_the_head_constant_is_the_newest_migration() -> None:
    assert database.head_revision() == database.HEAD


def test_a_driver_error_inside_a_unit_of_work_reaches_the_caller_as_a_storage_error(
    tmp_path: Path,
) -> None:
    from tocsin.app.ports import IncidentFilter
    from tocsin.store.uow import SqlUnitOfWork

    eng = database.create(f"sqlite:///{tmp_path / 'tocsin.db'}")  # never migrated: no tables
    with (
        pytest.raises(DatabaseUnavailable, match="no such table"),
        SqlUnitOfWork(eng, write=False) as uow,
    ):
        uow.incidents.count(IncidentFilter())
    eng.dispose()


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_connection_the_server_dropped_is_a_storage_error(engine: Engine) -> None:
    from tocsin.app.ports import IncidentFilter
    from tocsin.store.uow import SqlUnitOfWork

    def read_while_the_server_drops_the_connection() -> None:
        with SqlUnitOfWork(engine, write=False) as uow:
            assert uow.incidents.count(IncidentFilter()) == 0
            with engine.connect() as admin:
                admin.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            uow.incidents.count(IncidentFilter())

    with pytest.raises(DatabaseUnavailable, match="terminat"):
        read_while_the_server_drops_the_connection()
    with SqlUnitOfWork(engine, write=False) as uow:  # the pool let the dead connection go
        assert uow.incidents.count(IncidentFilter()) == 0
