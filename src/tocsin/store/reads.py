"""The read models (the API's list and incident page) outside a unit of work.

On PostgreSQL a unit of work costs round trips a single read does not need: the pool's
liveness ping, BEGIN before the statement and ROLLBACK after it. Here each read is one
statement on a small pool of its own, in autocommit and without the ping. A connection the
server dropped (a restart, a proxy's idle timeout) fails its read: the pool is then emptied
and the read runs once more on a fresh connection, so the caller sees the answer, or
`DatabaseUnavailable` if the server is really gone. The pool is disposed with the main
engine. On SQLite, where a round trip is a function call, the reads go through an ordinary
read-only unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

from tocsin.app.errors import DatabaseUnavailable
from tocsin.app.ports import IncidentFilter
from tocsin.store.repositories import SqlIncidentRepository
from tocsin.store.uow import SqlUnitOfWork

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
                return read(uow.incidents)
        try:
            try:
                return self._direct_read(self._direct, read)
            except _Dropped:
                self._direct.dispose()  # its other idle connections died with this one
            return self._direct_read(self._direct, read)
        except (_Dropped, OperationalError) as exc:
            raise DatabaseUnavailable(f"database unavailable: {exc.__cause__ or exc}") from None

    @staticmethod
    def _direct_read(engine: Engine, read: Callable[[SqlIncidentRepository], T]) -> T:
        with engine.connect() as conn:
            try:
                return read(SqlIncidentRepository(conn))
            except DBAPIError as exc:  # through SQLAlchemy: it has judged the connection
                if exc.connection_invalidated:
                    raise _Dropped from exc
                raise
            except engine.dialect.loaded_dbapi.Error as exc:  # the raw cursor's own error
                if engine.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None):
                    conn.invalidate(exc)
                    raise _Dropped from exc
                raise


class _Dropped(Exception):
    """The server had closed the connection the read ran on."""
