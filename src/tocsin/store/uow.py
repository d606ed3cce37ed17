"""The unit of work: one connection, one transaction, committed only when the caller says.

`commit` runs the outbox's handlers inside the transaction first (app/uow.py), then commits,
then announces the committed entries. A write that lost a race to another transaction (a
unique key, a deadlock, a serialization failure) surfaces as `WriteConflict`, which the caller
may retry whole."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError

from tocsin.app.errors import DatabaseCorrupt, DatabaseUnavailable, WriteConflict
from tocsin.app.uow import Outbox
from tocsin.store.accounts import SqlAccountRepository
from tocsin.store.action_items import SqlActionItemRepository
from tocsin.store.alerts import SqlAlertRepository
from tocsin.store.database import WRITER_WAIT_S, writer_queue
from tocsin.store.health import SqlHealthSamples
from tocsin.store.jobs import SqlJobRepository
from tocsin.store.notices import SqlNoticeRepository
from tocsin.store.oncall import SqlOncallRepository
from tocsin.store.postmortems import SqlPostmortemRepository
from tocsin.store.repositories import SqlIncidentRepository
from tocsin.store.runbooks import SqlAuditLog, SqlRunRepository


class SqlUnitOfWork:
    incidents: SqlIncidentRepository
    accounts: SqlAccountRepository
    alerts: SqlAlertRepository
    jobs: SqlJobRepository
    health: SqlHealthSamples
    oncall: SqlOncallRepository
    runs: SqlRunRepository
    audit: SqlAuditLog
    postmortems: SqlPostmortemRepository
    action_items: SqlActionItemRepository
    notices: SqlNoticeRepository

    def __init__(self, engine: Engine, write: bool = True, outbox: Outbox | None = None) -> None:
        """`write=False` for reads: on SQLite they then take no write lock."""
        self._engine = engine
        self._write = write
        self._outbox = outbox or Outbox()
        self._conn: Connection | None = None
        self._queue = writer_queue(engine) if write else None  # SQLite: one writer at a time

    def __enter__(self) -> Self:
        if self._queue is not None and not self._queue.acquire():
            raise DatabaseUnavailable(
                f"database is locked: no turn to write within {WRITER_WAIT_S:.0f} s"
            )
        try:
            self._conn = self._engine.connect()
            if not self._write:
                self._conn.execution_options(tocsin_read_only=True)
            self._conn.begin()
        except OperationalError as exc:
            self._leave()
            raise DatabaseUnavailable(f"database unavailable: {exc.orig}") from None
        except DatabaseError as exc:
            self._leave()
            raise DatabaseCorrupt(f"database unusable: {exc.orig}") from None
        except BaseException:
            self._leave()
            raise
        self.incidents = SqlIncidentRepository(self._conn)
        self.accounts = SqlAccountRepository(self._conn)
        self.alerts = SqlAlertRepository(self._conn)
        self.jobs = SqlJobRepository(self._conn, self._outbox.source)
        self.health = SqlHealthSamples(self._conn)
        self.oncall = SqlOncallRepository(self._conn)
        self.runs = SqlRunRepository(self._conn)
        self.audit = SqlAuditLog(self._conn)
        self.postmortems = SqlPostmortemRepository(self._conn)
        self.action_items = SqlActionItemRepository(self._conn)
        self.notices = SqlNoticeRepository(self._conn)
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
            try:
                self._conn.close()
            finally:
                self._conn = None
                self._leave()
        if exc is not None and is_conflict(exc):
            raise WriteConflict(f"lost a race to another writer: {exc}") from exc
        if isinstance(exc, OperationalError):  # the entrypoints know StorageError, not SQLAlchemy
            raise DatabaseUnavailable(f"database unavailable: {exc.orig}") from exc

    def _leave(self) -> None:
        if self._queue is not None:
            self._queue.release()

    def commit(self) -> None:
        assert self._conn is not None  # noqa: S101 - entered
        recorded = self._outbox.before_commit(self)
        self._conn.commit()
        self._outbox.after_commit(recorded, jobs_scheduled=self.jobs.scheduled > 0)
        self.jobs.scheduled = 0


CONFLICT_STATES = {"23505", "40001", "40P01"}  # unique violation, serialization, deadlock


def is_conflict(exc: BaseException) -> bool:
    """A lost race, from SQLAlchemy or straight from the driver (the ingestion path writes
    on the DB-API cursor), that running the transaction again resolves."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    return getattr(exc, "sqlstate", None) in CONFLICT_STATES
