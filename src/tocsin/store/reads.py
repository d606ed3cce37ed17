"""The read models (the API's list and incident page) outside a unit of work.

On PostgreSQL a unit of work costs round trips a single read does not need: the pool's
liveness ping, BEGIN before the statement and ROLLBACK after it. Here each read is one
statement on a small pool of its own, in autocommit and without the ping. A connection the
server dropped (a restart, a proxy's idle timeout) fails its read: the pool is then emptied
and the read runs once more on a fresh connection, so the caller sees the answer, or
`DatabaseUnavailable` if the server is really gone. The pool is disposed with the main
engine. On SQLite, where a round trip is a function call, the reads go through an ordinary
read-only unit of work.

A read that had to encode an incident's public JSON again (written by an older encoder) stores
it afterwards, best effort and without waiting for a lock: the answer is right either way,
and the next read or change of that incident stores it otherwise.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from tocsin.app.errors import DatabaseUnavailable
from tocsin.app.ports import IncidentFilter
from tocsin.core.errors import ErrorKind, TocsinError
from tocsin.store import tables
from tocsin.store.database import unavailable
from tocsin.store.repositories import Reencoded, SqlIncidentRepository
from tocsin.store.uow import SqlUnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")
READ_POOL = 8  # kept connections per process, at least the reading threads (api/offload.py)


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
            try:
                return self._direct_read(self._direct, read)
            except _Dropped:
                self._direct.dispose()  # its other idle connections died with this one
            return self._direct_read(self._direct, read)
        except _Dropped as exc:
            raise DatabaseUnavailable(f"database unavailable: {exc.__cause__}") from None
        except OperationalError as exc:  # unreachable
            raise unavailable(exc) from exc

    def _direct_read(self, engine: Engine, read: Callable[[SqlIncidentRepository], T]) -> T:
        with engine.connect() as conn:
            repo = SqlIncidentRepository(conn)
            try:
                result = read(repo)
            except DBAPIError as exc:  # through SQLAlchemy: it has judged the connection
                if exc.connection_invalidated:
                    raise _Dropped from exc
                raise
            except engine.dialect.loaded_dbapi.Error as exc:  # the raw cursor's own error
                if engine.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None):
                    conn.invalidate(exc)
                    raise _Dropped from exc
                raise
            if repo.reencoded:  # autocommit: one UPDATE per row, each on its own
                self._store(lambda: repo.rewrite_public(repo.reencoded))
            return result

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


class _Dropped(TocsinError):
    """The server had closed the connection the read ran on (caught here, never shown)."""

    kind = ErrorKind.UNAVAILABLE


def change_markers(
    engine: Engine, numbers: frozenset[int], now: datetime
) -> tuple[tuple[object, ...], tuple[object, ...], dict[int, int]]:
    """What the live streams compare between two looks (web/changes.py), in one connection
    and two statements of index lookups: the incidents lists' marker (the newest incident
    and the latest change to any: `ix_incidents_updated_at`), the alert lists' (the newest
    alert, the latest seen, dismissed suggestions, the silences and maintenance windows in
    force), and the version of each incident in `numbers`."""
    i, a, g = tables.incidents.c, tables.alerts.c, tables.alert_groups.c
    s, w = tables.silences.c, tables.maintenance_windows.c
    parts = [
        select(func.max(i.number)), select(func.max(i.updated_at)),
        select(func.max(a.id)), select(func.max(a.last_seen)),
        select(func.count(g.dismissed_at)),
        select(func.count()).where(s.ends_at > now), select(func.max(s.id)),
        select(func.count()).where(w.ends_at > now), select(func.max(w.id)),
    ]  # fmt: skip
    lists = select(*(p.scalar_subquery() for p in parts))
    try:
        with engine.connect() as conn:
            row = tuple(conn.execute(lists).one())
            versions: dict[int, int] = {}
            if numbers:
                watched = select(i.number, i.version).where(i.number.in_(sorted(numbers)))
                versions = {int(num): int(v) for num, v in conn.execute(watched)}
    except SQLAlchemyError as exc:
        raise unavailable(exc) from exc
    return row[:2], row[2:], versions
