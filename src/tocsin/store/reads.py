"""The read models (the API's list and incident page) outside a unit of work.

On PostgreSQL a unit of work costs round trips a single read does not need: the pool's
liveness ping, BEGIN before the statement and ROLLBACK after it. Here each read is one
statement on a small pool of its own, in autocommit and without the ping: a connection the
server dropped fails that one read, the caller (api/fast_reads.py) lets the regular route
answer instead, and SQLAlchemy discards the dead connections. The pool is disposed with the
main engine. On SQLite, where a round trip is a function call, the reads go through an
ordinary read-only unit of work.

A read that had to encode an incident's public JSON again (written by an older encoder) stores
it afterwards, best effort and without waiting for a lock: the answer is right either way,
and the next read or change of that incident stores it otherwise.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from tocsin.app.ports import IncidentFilter
from tocsin.store import tables
from tocsin.store.database import unavailable
from tocsin.store.repositories import Reencoded, SqlIncidentRepository
from tocsin.store.uow import SqlUnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")
READ_POOL = 8  # kept connections per process, at least the reading threads (api/fast_reads.py)


class SqlIncidentReads:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._direct: Engine | None = None
        if engine.dialect.name != "sqlite":
            self._direct = direct = create_engine(
                engine.url, pool_size=READ_POOL, max_overflow=0, isolation_level="AUTOCOMMIT"
            )
            event.listen(engine, "engine_disposed", lambda _engine: direct.dispose())

    def find_json(self, query: IncidentFilter) -> tuple[list[str], int]:
        return self._run(lambda repo: repo.find_json(query))

    def detail_json(self, number: int) -> str:
        return self._run(lambda repo: repo.detail_json(number))

    def _run(self, read: Callable[[SqlIncidentRepository], T]) -> T:
        if self._direct is None:
            with SqlUnitOfWork(self._engine, write=False) as uow:
                result = read(uow.incidents)
                reencoded = uow.incidents.reencoded
            if reencoded:
                self._store_sqlite(reencoded)
            return result
        try:
            with self._direct.connect() as conn:
                repo = SqlIncidentRepository(conn)
                result = read(repo)
                if repo.reencoded:  # autocommit: one UPDATE per row, each on its own
                    self._store(lambda: repo.rewrite_public(repo.reencoded))
                return result
        except OperationalError as exc:  # unreachable, or the server dropped the connection
            raise unavailable(exc) from exc

    def _store_sqlite(self, reencoded: list[Reencoded]) -> None:
        """A write transaction that gives up at once if another writer holds the lock,
        rather than making a reader wait for it (busy_timeout 0 for this one BEGIN)."""

        def write() -> None:
            with self._engine.connect() as conn:
                cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                try:
                    waits = int(cursor.execute("PRAGMA busy_timeout").fetchone()[0])
                    cursor.execute("PRAGMA busy_timeout=0")
                    try:
                        with conn.begin():
                            SqlIncidentRepository(conn).rewrite_public(reencoded)
                    finally:
                        cursor.execute(f"PRAGMA busy_timeout={waits}")
                finally:
                    cursor.close()

        self._store(write)

    @staticmethod
    def _store(write: Callable[[], None]) -> None:
        try:
            write()
        except (SQLAlchemyError, sqlite3.Error) as exc:
            log.info("public JSON encoded on read not stored (a later read will): %s", exc)


def incident_counts(engine: Engine) -> dict[tuple[str, str], int]:
    """(status, severity) -> how many incidents, in one GROUP BY (for /metrics)."""
    c = tables.incidents.c
    stmt = select(c.status, c.severity, func.count()).group_by(c.status, c.severity)
    try:
        with engine.connect() as conn:
            return {(status, severity): int(n) for status, severity, n in conn.execute(stmt)}
    except SQLAlchemyError as exc:
        raise unavailable(exc) from exc
