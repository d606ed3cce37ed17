"""The read models (the API's list and incident page) outside a unit of work.

On PostgreSQL a unit of work costs round trips a single read does not need: the pool's
liveness ping, BEGIN before the statement and ROLLBACK after it. Here each read is one
statement on a small pool of its own, in autocommit and without the ping: a connection the
server dropped fails that one read, the caller (api/fast_reads.py) lets the regular route
answer instead, and SQLAlchemy discards the dead connections. The pool is disposed with the
main engine. On SQLite, where a round trip is a function call, the reads go through an
ordinary read-only unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event

from tocsin.app.ports import IncidentFilter
from tocsin.store.repositories import SqlIncidentRepository
from tocsin.store.uow import SqlUnitOfWork

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
                return read(uow.incidents)
        with self._direct.connect() as conn:
            return read(SqlIncidentRepository(conn))
