"""The `jobs` table on SQLAlchemy Core: schedule once per key, claim under a lease.

Claiming is one `WITH picked AS (SELECT … LIMIT n FOR UPDATE SKIP LOCKED) UPDATE … FROM picked
RETURNING …`. On PostgreSQL the CTE locks the rows it picks and skips rows another claimer holds,
so concurrent workers never take the same job and never wait for each other. SQLite renders
no FOR UPDATE: there the unit of work's `BEGIN IMMEDIATE` already makes one writer at a time.
A running job whose lease has expired (its worker died) is claimable again.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Update

from tocsin.core.jobs import Job, JobSpec, JobStatus
from tocsin.store.tables import jobs
from tocsin.store.types import utc_from_db

CHANNEL = "tocsin_jobs"  # PostgreSQL NOTIFY channel: a job was scheduled
_TOKEN = re.compile(r"[0-9A-Za-z]*")  # a NOTIFY payload written into the statement
_Q, _R = JobStatus.QUEUED.value, JobStatus.RUNNING.value
_LEASE_LOST = "lease expired: the worker {owner} stopped or ran past its lease; claimed again"


class SqlJobRepository:
    def __init__(self, conn: Connection, source: str = "") -> None:
        """`source`: the NOTIFY's payload (the in-process JobSignal's token: the workers it
        wakes after COMMIT skip this notification instead of being woken twice)."""
        self._conn = conn
        self._postgres = conn.dialect.name == "postgresql"
        self._notify = _notify_statement(source)
        self.scheduled = 0  # jobs this transaction added or moved: the unit of work wakes

    def schedule(self, spec: JobSpec) -> bool:
        values = _row(spec)
        if spec.key is None:
            self._conn.execute(_INSERT, values)
        else:
            stmt = _INSERT_KEYED_PG if self._postgres else _INSERT_KEYED_SQLITE
            if self._conn.execute(stmt, values).first() is None:
                return False
        self._scheduled()
        return True

    def _scheduled(self) -> None:
        """A job to run: other processes' workers learn it from NOTIFY (delivered at COMMIT,
        one per transaction), this process's from the unit of work after COMMIT."""
        if self._postgres and self.scheduled == 0:
            self._conn.exec_driver_sql(self._notify)
        self.scheduled += 1

    def claim(self, owner: str, now: datetime, lease: timedelta, limit: int) -> list[Job]:
        params = {"now": now, "owner": owner, "expires": now + lease, "limit": limit}
        claimed = [_job(r._mapping) for r in self._conn.execute(_CLAIM, params)]
        return sorted(claimed, key=lambda j: (j.due, j.id))

    def complete(self, job_id: int, owner: str) -> bool:
        return self._finish(_FINISH, job_id, owner, status=JobStatus.DONE.value)

    def fail(self, job_id: int, owner: str, error: str, retry_at: datetime | None) -> bool:
        if retry_at is None:
            return self._finish(_FAILED, job_id, owner, status=JobStatus.DEAD.value, error=error)
        return self._finish(_RETRIED, job_id, owner, status=_Q, error=error, due=retry_at)

    def _finish(self, stmt: Update, job_id: int, owner: str, **values: Any) -> bool:
        return self._conn.execute(stmt, {"job": job_id, "owner": owner, **values}).rowcount == 1

    def next_due(self) -> datetime | None:
        c = jobs.c
        queued = select(func.min(c.due)).where(c.status == _Q).scalar_subquery()
        leased = select(func.min(c.lease_expires)).where(c.status == _R).scalar_subquery()
        first, second = self._conn.execute(select(queued, leased)).one()
        times = [t for t in (utc_from_db(first), utc_from_db(second)) if t is not None]
        return min(times, default=None)

    def get(self, job_id: int) -> Job | None:
        row = self._conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else _job(row._mapping)

    def find(self, statuses: tuple[JobStatus, ...] = (), limit: int = 100) -> list[Job]:
        stmt = select(jobs).order_by(jobs.c.due, jobs.c.id).limit(limit)
        if statuses:
            stmt = stmt.where(jobs.c.status.in_([s.value for s in statuses]))
        return [_job(r._mapping) for r in self._conn.execute(stmt)]

    def counts(self) -> dict[JobStatus, int]:
        stmt = select(jobs.c.status, func.count()).group_by(jobs.c.status)
        found = {JobStatus(status): int(n) for status, n in self._conn.execute(stmt)}
        return {s: found.get(s, 0) for s in JobStatus}

    def requeue(self, job_id: int, due: datetime) -> bool:
        stmt = (
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == JobStatus.DEAD.value)
            .values(status=_Q, due=due, attempts=0)
        )
        done = self._conn.execute(stmt).rowcount == 1
        if done:
            self._scheduled()
        return done

    def advance(self, key: str, due: datetime) -> bool:
        """Bring a queued job forward to `due` (never back): a breached response target
        fires the next escalation step at once."""
        stmt = (
            update(jobs)
            .where(jobs.c.key == key, jobs.c.status == _Q, jobs.c.due > due)
            .values(due=due)
        )
        done = self._conn.execute(stmt).rowcount == 1
        if done:
            self._scheduled()
        return done

    def prune(self, before: datetime) -> int:
        stmt = delete(jobs).where(jobs.c.status == JobStatus.DONE.value, jobs.c.due < before)
        return self._conn.execute(stmt).rowcount


# The statements run for every job, built once (SQLAlchemy builds and keys a statement anew
# on each `update(...)`; these only bind their parameters).
_c = jobs.c
_PICKED = (
    select(_c.id)
    .where(
        or_(
            and_(_c.status == _Q, _c.due <= bindparam("now")),
            and_(_c.status == _R, _c.lease_expires <= bindparam("now")),
        )
    )
    .order_by(_c.due, _c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
    .cte("picked")  # a locking CTE runs once: each picked row is locked, then updated
)
_CLAIM = (
    update(jobs)
    .where(_c.id == _PICKED.c.id)
    .values(
        status=_R,
        lease_owner=bindparam("owner"),
        lease_expires=bindparam("expires"),
        attempts=_c.attempts + 1,
        last_error=case(
            (
                _c.status == _R,
                func.replace(_LEASE_LOST, "{owner}", func.coalesce(_c.lease_owner, "?")),
            ),
            else_=_c.last_error,
        ),
    )
    .returning(*jobs.c)
)
_FINISH = (
    update(jobs)
    .where(_c.id == bindparam("job"), _c.lease_owner == bindparam("owner"), _c.status == _R)
    .values(lease_owner=None, lease_expires=None, status=bindparam("status"))
)
_INSERT = insert(jobs)  # VALUES: the row's columns, from the parameters
_INSERT_KEYED_PG = (
    postgresql.insert(jobs).on_conflict_do_nothing(index_elements=[_c.key]).returning(_c.id)
)
_INSERT_KEYED_SQLITE = (
    sqlite.insert(jobs).on_conflict_do_nothing(index_elements=[_c.key]).returning(_c.id)
)
_FAILED = _FINISH.values(last_error=bindparam("error"))
_RETRIED = _FAILED.values(due=bindparam("due"))


@functools.cache
def _notify_statement(source: str) -> str:
    """The NOTIFY a transaction sends, its payload written into it: checked once per source
    (one per process), not once per transaction."""
    if not _TOKEN.fullmatch(source):
        raise ValueError(f"a NOTIFY source is letters and digits, not {source!r}")
    return f"NOTIFY {CHANNEL}, '{source}'" if source else f"NOTIFY {CHANNEL}"


def _row(spec: JobSpec) -> dict[str, Any]:
    return {
        "kind": spec.kind,
        "payload": spec.payload,
        "status": _Q,
        "due": spec.due,
        "attempts": 0,
        "incident": spec.incident,
        "key": spec.key,
    }


def _job(row: Any) -> Job:
    due = utc_from_db(row["due"])
    assert due is not None  # noqa: S101 - NOT NULL
    return Job(
        id=row["id"],
        kind=row["kind"],
        payload=row["payload"],
        due=due,
        attempts=row["attempts"],
        last_error=row["last_error"],
        lease_owner=row["lease_owner"],
        lease_expires=utc_from_db(row["lease_expires"]),
        incident=row["incident"],
        key=row["key"],
        status=JobStatus(row["status"]),
    )
