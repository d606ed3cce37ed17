"""The throwaway PostgreSQL server that integration tests run against."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.postgres import fresh_database, running_postgres

pytestmark = pytest.mark.postgres


def _scalar(url: str, query: str) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def _live_postgres_pids() -> set[int]:
    """PIDs of running (not zombie) processes named postgres."""
    pids: set[int] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        name = stat.partition("(")[2].rpartition(")")[0]
        state = stat.rpartition(")")[2].split()[0]
        if name == "postgres" and state != "Z":
            pids.add(int(proc.name))
    return pids


def _assert_port_closed(port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_server_is_postgres_15_and_is_gone_afterwards(tmp_path: Path) -> None:
    before = _live_postgres_pids()
    with running_postgres(tmp_path) as url:
        parsed = make_url(url)
        assert parsed.drivername == "postgresql+psycopg"
        assert parsed.host == "127.0.0.1"
        assert parsed.database == "tocsin_test"
        assert parsed.port is not None
        version = _scalar(url, "select version()")
        assert isinstance(version, str)
        assert version.startswith("PostgreSQL 15"), version
        assert _live_postgres_pids() - before
    _assert_port_closed(parsed.port)
    assert _live_postgres_pids() - before == set()
    assert (tmp_path / "postgres.log").is_file()


def test_server_is_stopped_when_the_body_raises(tmp_path: Path) -> None:
    before = _live_postgres_pids()
    ports: list[int | None] = []

    def body_that_fails() -> None:
        with running_postgres(tmp_path) as url:
            ports.append(make_url(url).port)
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        body_that_fails()
    [port] = ports
    assert port is not None
    _assert_port_closed(port)
    assert _live_postgres_pids() - before == set()


def test_fresh_database_drops_and_recreates(tmp_path: Path) -> None:
    with running_postgres(tmp_path) as url:
        fresh = fresh_database(url, "tocsin_fresh")
        assert make_url(fresh).database == "tocsin_fresh"
        engine = create_engine(fresh)
        try:
            with engine.begin() as conn:
                conn.execute(text("create table leftover (id int)"))
        finally:
            engine.dispose()
        parsed = make_url(fresh)
        # A session still connected to the old database must not stop the re-creation.
        with psycopg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
        ):
            again = fresh_database(url, "tocsin_fresh")
        assert again == fresh
        assert _scalar(fresh, "select to_regclass('leftover') is null") is True
