"""Running durable jobs: the handler registry, the runner a worker calls, and admin reads.

A handler runs outside the transaction that claimed its job and may open its own. A handler
whose work is all in the database marks its job done inside its last transaction
(`JobUnits.finish`), so the work and the done mark commit together and a worker killed after
that COMMIT leaves nothing to run again. Otherwise a handler can run more than once for one
job: a worker may die, or run past its lease, after the work and before the job is marked
done. So every handler is idempotent: it checks the state it would change (is the sample for
this slot stored? is the alert already firing?) or hands an idempotency key to the remote
side, and schedules follow-up jobs with keys.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tocsin.app.ports import Clock, UnitOfWork
from tocsin.core.errors import ErrorKind, InvalidInput, NotFound, TocsinError
from tocsin.core.jobs import (
    DEFAULT_RETRY,
    Job,
    JobSpec,
    JobStatus,
    RetryPolicy,
    Rng,
    next_attempt,
    slot,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 5
MAX_ERROR = 2000  # characters of an exception kept in last_error
DONE_KEPT = timedelta(days=2)  # done jobs older than this are deleted (keys stay longer than
# any interval, so a slot's key is not reused while its chain could still see it)


class RetryNotBefore(TocsinError):
    """A handler's far side said when to come back (429 with Retry-After): the job is retried
    with the usual backoff, but never before `not_before`."""

    kind = ErrorKind.UNAVAILABLE

    def __init__(self, message: str, not_before: datetime | None = None) -> None:
        super().__init__(message)
        self.not_before = not_before


class GiveUp(TocsinError):
    """Trying again cannot help (a rejected credential, a missing project): the job is dead
    at once, its error saying the fix; `tocsin jobs retry` once it is fixed."""

    kind = ErrorKind.UNAVAILABLE


class LeaseLost(TocsinError):
    """The job's lease passed to another worker before the handler finished: its transaction
    is rolled back and the other worker runs the job."""

    kind = ErrorKind.CONFLICT


class JobUnits:
    """The unit-of-work factory a handler gets: each call opens a transaction. `finish(uow)`
    marks the job done inside one of them (the handler's last), so the done mark commits with
    the work; the runner then has nothing left to write."""

    def __init__(self, factory: Callable[[], UnitOfWork], job: Job, owner: str) -> None:
        self._factory = factory
        self._job = job
        self._owner = owner
        self.finished = False  # marked done in a handler's transaction

    def __call__(self) -> UnitOfWork:
        return self._factory()

    def finish(self, uow: UnitOfWork) -> None:
        """Mark the job done in `uow`'s transaction, before its COMMIT. Raises LeaseLost
        (rolling the transaction back) when another worker holds the job now."""
        if not uow.jobs.complete(self._job.id, self._owner):
            raise LeaseLost(f"job {self._job.id} ({self._job.kind}) is held by another worker")
        self.finished = True


JobHandler = Callable[[Job, JobUnits], None]
"""A handler: the job, and a unit-of-work factory for the transactions it opens."""


@dataclass(frozen=True, slots=True)
class Recurring:
    """A job that runs once per `every`, in whichever process gets it: a chain of jobs, each
    keyed by its name and slot, each scheduling the next before doing its work. Seeding the
    current slot at every worker start is harmless (the key exists) and restarts a chain that
    broke."""

    kind: str
    name: str  # unique per chain, at most 200 characters
    every: timedelta
    payload: dict[str, Any] = field(default_factory=dict)

    def at(self, moment: datetime) -> JobSpec:
        key = f"{self.name}@{int(moment.timestamp())}"
        return JobSpec(self.kind, {**self.payload, "slot": moment.isoformat()}, moment, key=key)

    def first(self, now: datetime) -> JobSpec:
        return self.at(slot(now, self.every))

    def after(self, now: datetime) -> JobSpec:
        return self.at(slot(now, self.every) + self.every)


def job_slot(job: Job) -> datetime:
    """The slot a recurring job stands for (its due time moves when it is retried)."""
    found = job.payload.get("slot")
    return datetime.fromisoformat(found) if isinstance(found, str) else job.due


class JobHandlers:
    """kind -> handler. Registered once, in bootstrap."""

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}

    def register(self, kind: str, handler: JobHandler, replace: bool = False) -> None:
        """`replace`: on purpose (a test wiring its own fakes), never by accident."""
        if kind in self._handlers and not replace:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._handlers[kind] = handler

    def get(self, kind: str) -> JobHandler | None:
        return self._handlers.get(kind)

    @property
    def kinds(self) -> list[str]:
        return sorted(self._handlers)


@dataclass(frozen=True, slots=True)
class Batch:
    """What one claim did: how many jobs it ran, and how long from now until the next job is
    claimable (zero or less: now, as after a full batch; None: no job at all)."""

    claimed: int
    until_next: timedelta | None


class JobRunner:
    """`run_due(owner)`: claim a batch in one short transaction, run each handler outside it,
    then mark each done, retried later or dead in a short transaction of its own."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        handlers: JobHandlers,
        clock: Clock,
        rng: Rng,
        policy: RetryPolicy = DEFAULT_RETRY,
        lease: timedelta = LEASE,
        batch: int = BATCH,
        reader: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        """`reader`: read-only units of work (on SQLite they take no write lock)."""
        self._uow = uow
        self._reader = reader or uow
        self.handlers = handlers
        self._clock = clock
        self._rng = rng
        self.policy = policy
        self.lease = lease
        self._batch = batch

    def run_due(self, owner: str) -> int:
        """Run the jobs due now (one batch); return how many were claimed."""
        return self.run_batch(owner).claimed

    def run_batch(self, owner: str, more: Callable[[], None] | None = None) -> Batch:
        """Claim a batch of due jobs, run them, and say when to look again. A claim that
        finds nothing reads the next due time in its own transaction, so a worker woken for
        a job another worker took pays one transaction, not two; after a short batch the
        next due time is read afresh (the jobs just run may have been retried), with no
        second claim. `more` is called when the claim came back full, before the jobs run:
        more may be due, for another thread to claim meanwhile."""
        with self._uow() as uow:
            claimed = uow.jobs.claim(owner, self._clock.now(), self.lease, self._batch)
            next_due = None if claimed else uow.jobs.next_due()
            uow.commit()
        if not claimed:
            return Batch(0, None if next_due is None else next_due - self._clock.now())
        if more is not None and len(claimed) >= self._batch:
            more()
        for job in claimed:
            self._run(job, owner)
        if len(claimed) >= self._batch:
            return Batch(len(claimed), timedelta(0))  # there may be more due now
        return Batch(len(claimed), self.until_next_due())

    def until_next_due(self) -> timedelta | None:
        """How long until the next job is claimable (zero or less: now); None: no job."""
        with self._reader() as uow:
            due = uow.jobs.next_due()
        return None if due is None else due - self._clock.now()

    def _run(self, job: Job, owner: str) -> None:
        if job.lease_expires is not None and self._clock.now() >= job.lease_expires:
            return  # the batch ran long: another worker may hold it now; leave it to them
        if job.attempts > self.policy.max_attempts:  # its workers kept dying mid-run
            self._finish(job, owner, f"gave up after {job.attempts - 1} attempts; {job.last_error}")
            return
        handler = self.handlers.get(job.kind)
        if handler is None:
            known = ", ".join(self.handlers.kinds) or "none"
            error = (
                f"no handler for job kind {job.kind!r} (this Tocsin runs: {known}); "
                f"after upgrading, requeue it with `tocsin jobs retry {job.id}`"
            )
            self._finish(job, owner, error, retry=False)
            return
        units = JobUnits(self._uow, job, owner)
        try:
            handler(job, units)
        except LeaseLost:
            log.warning(
                "job %s (%s): lease lost before it finished; it runs again", job.id, job.kind
            )
            return
        except GiveUp as exc:
            log.warning("job %s (%s) cannot succeed: %s", job.id, job.kind, exc)
            self._finish(job, owner, f"{type(exc).__name__}: {exc}"[:MAX_ERROR], retry=False)
            return
        except RetryNotBefore as exc:
            log.warning("job %s (%s) deferred on attempt %s", job.id, job.kind, job.attempts)
            self._finish(job, owner, f"{type(exc).__name__}: {exc}"[:MAX_ERROR],
                         not_before=exc.not_before)  # fmt: skip
            return
        except Exception as exc:
            log.warning("job %s (%s) failed on attempt %s", job.id, job.kind, job.attempts)
            self._finish(job, owner, f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
            return
        if not units.finished:
            self._finish(job, owner, None)

    def _finish(
        self,
        job: Job,
        owner: str,
        error: str | None,
        retry: bool = True,
        not_before: datetime | None = None,
    ) -> None:
        now = self._clock.now()
        with self._uow() as uow:
            if error is None:
                kept = uow.jobs.complete(job.id, owner)
            else:
                again = next_attempt(job.attempts, now, self._rng, self.policy) if retry else None
                if again is not None and not_before is not None:
                    again = max(again, not_before)
                kept = uow.jobs.fail(job.id, owner, error, again)
                if again is None:
                    log.error("job %s (%s) is dead: %s", job.id, job.kind, error)
            uow.commit()
        if not kept:
            log.warning(
                "job %s (%s): lease lost before it finished; it runs again", job.id, job.kind
            )


class JobSignal:
    """In-process wake-up: whoever commits a job due now calls `notify()`, and the worker
    threads listening wake at once instead of at their next poll. `token` names the commits
    that wake them so (on PostgreSQL, their NOTIFY's payload), so that those workers' LISTEN
    skips them instead of waking them a second time for one commit."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self.token = secrets.token_hex(8)

    def listen(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(callback)

    def notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for callback in listeners:
            callback()


class JobAdmin:
    """What operators see and do: list jobs (dead ones above all), counts, requeue."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        signal: JobSignal | None = None,
        reader: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._signal = signal
        self._reader = reader or uow

    def find(self, statuses: tuple[JobStatus, ...] = (), limit: int = 100) -> list[Job]:
        with self._reader() as uow:
            return uow.jobs.find(statuses, limit)

    def counts(self) -> dict[JobStatus, int]:
        with self._reader() as uow:
            return uow.jobs.counts()

    def retry(self, job_id: int) -> Job:
        """Queue a dead job again, due now, with its attempts reset."""
        with self._uow() as uow:
            job = uow.jobs.get(job_id)
            if job is None:
                raise NotFound(f"no job {job_id}; list them with `tocsin jobs list`")
            if job.status != JobStatus.DEAD:
                raise InvalidInput(
                    f"job {job_id} is {job.status.value}; only a dead job can be retried"
                )
            uow.jobs.requeue(job_id, self._clock.now())
            requeued = uow.jobs.get(job_id)
            uow.commit()
        if self._signal is not None:
            self._signal.notify()
        assert requeued is not None  # noqa: S101 - read in the same transaction
        return requeued

    def seed(self, chains: Iterable[Recurring]) -> int:
        """Schedule the current slot of each chain; return how many were new."""
        now = self._clock.now()
        with self._uow() as uow:
            added = sum(uow.jobs.schedule(chain.first(now)) for chain in chains)
            uow.commit()
        if added and self._signal is not None:
            self._signal.notify()
        return added


PRUNE = Recurring("jobs.prune", "jobs.prune", timedelta(hours=1))


def prune_done(clock: Clock) -> JobHandler:
    """The hourly job deleting done jobs older than DONE_KEPT (dead ones stay to be seen)."""

    def handle(job: Job, units: JobUnits) -> None:
        with units() as tx:
            tx.jobs.schedule(PRUNE.after(clock.now()))
            removed = tx.jobs.prune(clock.now() - DONE_KEPT)
            units.finish(tx)
            tx.commit()
        log.info("pruned %s done jobs", removed)

    return handle
