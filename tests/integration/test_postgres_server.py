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


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a live process, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[0], int(fields[1])


def _server_pids(postmaster: int) -> set[int]:
    """The postmaster and its children (backends, autovacuum, checkpointer), zombies aside.
    Only this server's: the suite's own PostgreSQL and anyone else's are not counted."""
    pids = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and (found := _stat(int(proc.name))) is not None:
            state, parent = found
            if state != "Z" and postmaster in (int(proc.name), parent):
                pids.add(int(proc.name))
    return pids


def _postmaster_of(url: str) -> int:
    """The parent of our own backend, read while the connection (and so the backend) lives."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            backend = conn.execute(text("select pg_backend_pid()")).scalar_one()
            found = _stat(int(backend))
    finally:
        engine.dispose()
    assert found is not None
    return found[1]


def _assert_port_closed(port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_server_is_postgres_15_and_is_gone_afterwards(tmp_path: Path) -> None:
    with running_postgres(tmp_path) as url:
        parsed = make_url(url)
        assert parsed.drivername == "postgresql+psycopg"
        assert parsed.host == "127.0.0.1"
        assert parsed.database == "tocsin_test"
        assert parsed.port is not None
        version = _scalar(url, "select version()")
        assert isinstance(version, str)
        assert version.startswith("PostgreSQL 15"), version
        postmaster = _postmaster_of(url)
        assert postmaster in _server_pids(postmaster)
    _assert_port_closed(parsed.port)
    assert _server_pids(postmaster) == set()
    assert (tmp_path / "postgres.log").is_file()


def test_server_is_stopped_when_the_body_raises(tmp_path: Path) -> None:
    ports: list[int | None] = []
    postmasters: list[int] = []

    def body_that_fails() -> None:
        with running_postgres(tmp_path) as url:
            ports.append(make_url(url).port)
            postmasters.append(_postmaster_of(url))
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        body_that_fails()
    [port] = ports
    assert port is not None
    _assert_port_closed(port)
    assert _server_pids(postmasters[0]) == set()


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
