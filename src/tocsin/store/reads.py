"""The read models (the API's list and incident page) outside a unit of work.

On PostgreSQL a unit of work costs two round trips a single read does not need: BEGIN before
the statement and ROLLBACK after it. Here each read is one statement on a pooled connection
in autocommit. On SQLite, where a round trip is a function call, the reads go through an
ordinary read-only unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine

from tocsin.app.ports import IncidentFilter
from tocsin.store.repositories import SqlIncidentRepository
from tocsin.store.uow import SqlUnitOfWork

T = TypeVar("T")


class SqlIncidentReads:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._autocommit = engine.dialect.name != "sqlite"

    def find_json(self, query: IncidentFilter) -> tuple[list[str], int]:
        return self._run(lambda repo: repo.find_json(query))

    def detail_json(self, number: int) -> str:
        return self._run(lambda repo: repo.detail_json(number))

    def _run(self, read: Callable[[SqlIncidentRepository], T]) -> T:
        if not self._autocommit:
            with SqlUnitOfWork(self._engine, write=False) as uow:
                return read(uow.incidents)
        with self._engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            return read(SqlIncidentRepository(conn))
