"""The unit of work: one connection, one transaction, committed only when the caller says."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DatabaseError, OperationalError

from tocsin.app.errors import DatabaseCorrupt, DatabaseUnavailable
from tocsin.store.accounts import SqlAccountRepository
from tocsin.store.alerts import SqlAlertRepository
from tocsin.store.health import SqlHealthSamples
from tocsin.store.jobs import SqlJobRepository
from tocsin.store.repositories import SqlIncidentRepository


class SqlUnitOfWork:
    incidents: SqlIncidentRepository
    accounts: SqlAccountRepository
    alerts: SqlAlertRepository
    jobs: SqlJobRepository
    health: SqlHealthSamples

    def __init__(self, engine: Engine, write: bool = True) -> None:
        """`write=False` for reads: on SQLite they then take no write lock."""
        self._engine = engine
        self._write = write
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        try:
            self._conn = self._engine.connect()
            if not self._write:
                self._conn.execution_options(tocsin_read_only=True)
            self._conn.begin()
        except OperationalError as exc:
            raise DatabaseUnavailable(f"database unavailable: {exc.orig}") from None
        except DatabaseError as exc:
            raise DatabaseCorrupt(f"database unusable: {exc.orig}") from None
        self.incidents = SqlIncidentRepository(self._conn)
        self.accounts = SqlAccountRepository(self._conn)
        self.alerts = SqlAlertRepository(self._conn)
        self.jobs = SqlJobRepository(self._conn)
        self.health = SqlHealthSamples(self._conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None  # noqa: S101 - entered
        try:
            if self._conn.in_transaction():
                self._conn.rollback()
        finally:
            self._conn.close()
            self._conn = None

    def commit(self) -> None:
        assert self._conn is not None  # noqa: S101 - entered
        self._conn.commit()
