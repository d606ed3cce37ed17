"""The worker loop: it sleeps until woken (in-process, or by PostgreSQL NOTIFY), polls
otherwise, and outlives a database that drops its connections."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from tocsin.app.clock import ManualClock
from tocsin.app.jobs import Batch, JobAdmin, JobHandlers, JobRunner, JobSignal
from tocsin.app.ports import UnitOfWork
from tocsin.bootstrap import Tocsin
from tocsin.core.jobs import Job, JobSpec, JobStatus
from tocsin.store.notify import PgJobWakeups
from tocsin.store.uow import SqlUnitOfWork
from tocsin.worker.loop import MIN_SLEEP_S, Worker, sleep_for

POLL_S = 30.0  # far longer than any wake-up below may take
WOKEN_WITHIN_S = 5.0


class Ran:
    def __init__(self) -> None:
        self.jobs: list[int] = []
        self.event = threading.Event()

    def __call__(self, job: Job, uow: Callable[[], UnitOfWork]) -> None:
        self.jobs.append(job.id)
        self.event.set()


def make_worker(
    engine: Engine, clock: ManualClock, ran: Ran, wakeups: PgJobWakeups | None = None
) -> Worker:
    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    handlers = JobHandlers()
    handlers.register("ping", ran)
    runner = JobRunner(uow, handlers, clock, random.Random(0))  # noqa: S311
    return Worker(runner, JobAdmin(uow, clock), [], wakeups, poll_s=POLL_S, name="test")


@pytest.fixture
def stopped() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def schedule(engine: Engine, clock: ManualClock) -> float:
    """Commit a job due now from another connection; return when it was committed."""
    with SqlUnitOfWork(engine) as uow:
        uow.jobs.schedule(JobSpec("ping", {}, clock.now()))
        uow.commit()
    return time.monotonic()


def test_an_in_process_signal_wakes_a_sleeping_worker(
    engine: Engine, clock: ManualClock, stopped: list[Worker]
) -> None:
    ran, signal = Ran(), JobSignal()
    worker = make_worker(engine, clock, ran)
    signal.listen(worker.wake)
    worker.start()
    stopped.append(worker)
    assert worker.idle.wait(10)  # asleep for up to POLL_S
    committed = schedule(engine, clock)
    signal.notify()  # what a unit of work does after committing a job due now
    assert ran.event.wait(WOKEN_WITHIN_S)
    assert time.monotonic() - committed < WOKEN_WITHIN_S < POLL_S


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_notify_wakes_a_sleeping_worker_on_postgres(
    engine: Engine, database_url: str, clock: ManualClock, stopped: list[Worker]
) -> None:
    ran = Ran()
    wakeups = PgJobWakeups(database_url)
    assert wakeups.wait(0) is True  # connected and listening before the worker sleeps
    worker = make_worker(engine, clock, ran, wakeups)
    worker.start()
    stopped.append(worker)
    assert worker.idle.wait(10)
    committed = schedule(engine, clock)  # no in-process signal: only NOTIFY can wake it
    assert ran.event.wait(WOKEN_WITHIN_S)
    assert time.monotonic() - committed < WOKEN_WITHIN_S < POLL_S


def notify(database_url: str, payload: str) -> None:
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_notify('tocsin_jobs', %s)", (payload,))


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_listener_passes_over_the_commits_that_woke_its_worker_in_process(
    database_url: str,
) -> None:
    """A commit that woke this worker through its JobSignal names that signal in its NOTIFY;
    the worker's listener does not wake it a second time for it (one claim per commit, not
    two), but any other process's notification still wakes it."""
    wakeups = PgJobWakeups(database_url, skip="ours")
    try:
        assert wakeups.wait(0) is True  # connected and listening
        notify(database_url, "ours")
        assert wakeups.wait(0.3) is False  # what the in-process signal already did
        notify(database_url, "ours")
        notify(database_url, "theirs")
        assert wakeups.wait(WOKEN_WITHIN_S) is True  # past ours, to theirs
        notify(database_url, "")
        assert wakeups.wait(WOKEN_WITHIN_S) is True  # an older Tocsin's bare NOTIFY
    finally:
        wakeups.close()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_commit_names_its_in_process_signal_in_its_notify_and_wakes_it(
    tocsin: Tocsin, database_url: str
) -> None:
    woken: list[bool] = []
    tocsin.job_signal.listen(lambda: woken.append(True))
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as listening:
        listening.execute("LISTEN tocsin_jobs")
        tocsin.incidents.declare("ann", "Checkout down", "P2")  # schedules its jobs
        notes = list(listening.notifies(timeout=WOKEN_WITHIN_S, stop_after=1))
    assert [n.payload for n in notes] == [tocsin.job_signal.token]
    assert woken == [True]  # once, after the COMMIT


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_worker_outlives_postgres_dropping_every_connection(
    engine: Engine, database_url: str, clock: ManualClock, stopped: list[Worker]
) -> None:
    ran = Ran()
    worker = make_worker(engine, clock, ran, PgJobWakeups(database_url))
    worker.start()
    stopped.append(worker)
    schedule(engine, clock)
    assert ran.event.wait(WOKEN_WITHIN_S)
    ran.event.clear()
    assert worker.idle.wait(10)
    terminate_backends(database_url)  # what a database restart does to the workers
    deadline = time.monotonic() + 30
    while not ran.event.is_set() and time.monotonic() < deadline:
        schedule(engine, clock)  # each NOTIFY is lost until the listener is back
        ran.event.wait(0.5)
    assert ran.event.is_set()
    assert worker.idle.wait(10)
    with SqlUnitOfWork(engine) as uow:
        counts = uow.jobs.counts()
    assert counts[JobStatus.DEAD] == 0
    assert counts[JobStatus.RUNNING] == 0


class Opened:
    """A unit-of-work factory that counts the transactions it opens."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        self.opened = threading.Event()  # set at each one

    def __call__(self) -> SqlUnitOfWork:
        self.count += 1
        self.opened.set()
        return SqlUnitOfWork(self.engine)


def counted_worker(engine: Engine, clock: ManualClock, ran: Ran) -> tuple[Worker, Opened]:
    opened = Opened(engine)
    handlers = JobHandlers()
    handlers.register("ping", ran)
    runner = JobRunner(opened, handlers, clock, random.Random(0), reader=opened)  # noqa: S311
    return Worker(runner, JobAdmin(opened, clock), [], None, poll_s=POLL_S, name="t"), opened


@pytest.mark.parametrize("jobs", [0, 1])
def test_a_woken_worker_sleeps_again_after_one_transaction_per_job_and_one_more(
    engine: Engine, clock: ManualClock, stopped: list[Worker], jobs: int
) -> None:
    """Woken for nothing (another worker took the job), a worker claims nothing and reads the
    next due time in that one transaction; woken for one job, it claims it, marks it done and
    reads the next due time: no second claim (every wake-up of every worker paid for one,
    and for a separate read; bench/jobs)."""
    ran, signal = Ran(), JobSignal()
    worker, opened = counted_worker(engine, clock, ran)
    signal.listen(worker.wake)
    worker.start()
    stopped.append(worker)
    assert worker.idle.wait(10)
    before = opened.count
    if jobs:
        schedule(engine, clock)
    opened.opened.clear()
    signal.notify()
    assert opened.opened.wait(WOKEN_WITHIN_S)  # awake: idle was cleared before this
    assert worker.idle.wait(10)  # asleep again, for up to POLL_S
    assert len(ran.jobs) == jobs
    assert opened.count - before == 1 + 2 * jobs


def terminate_backends(url: str) -> None:
    parsed = make_url(url)
    with psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (parsed.database,),
        )


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_transaction_sends_one_notify_however_many_jobs_it_schedules(
    engine: Engine, clock: ManualClock
) -> None:
    """PostgreSQL delivers one notification per transaction anyway; a NOTIFY statement per
    job only cost a round trip each (10,000 jobs written at once: half the time; bench/jobs)."""
    sent: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("NOTIFY"):
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        later = clock.now() + timedelta(hours=1)
        with SqlUnitOfWork(engine) as uow:
            uow.jobs.schedule(JobSpec("ping", {}, later, key="step:2"))
            for n in range(3):
                uow.jobs.schedule(JobSpec("ping", {"n": n}, clock.now()))
            uow.commit()
            assert len(sent) == 1
            assert uow.jobs.advance("step:2", clock.now())  # a new transaction
            uow.jobs.schedule(JobSpec("ping", {"n": 3}, clock.now()))
            uow.commit()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(sent) == 2


def test_a_worker_sleeps_until_the_next_job_is_due_however_soon() -> None:
    """A job due in 10 ms is looked for in 10 ms (the 50 ms floor once applied to every
    wait: escalation steps of incidents declared close together each fired ~40 ms late)."""
    assert sleep_for(timedelta(milliseconds=10), poll_s=2.0) == 0.01
    assert sleep_for(timedelta(minutes=5), poll_s=2.0) == 2.0  # the poll bounds it
    assert sleep_for(None, poll_s=2.0) == 2.0  # no job at all
    # due already, yet not claimed: another worker holds it a moment; not a busy loop
    assert sleep_for(timedelta(0), poll_s=2.0) == MIN_SLEEP_S
    assert sleep_for(timedelta(seconds=-1), poll_s=2.0) == MIN_SLEEP_S


class Batches:
    """A runner that counts its batches (`called` is set at each); the batch numbered
    `hold_at` comes back full and runs until `release`."""

    def __init__(self) -> None:
        self.calls = 0
        self.hold_at = 0
        self.called = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def run_batch(self, owner: str, more: Callable[[], None] | None = None) -> Batch:
        with self._lock:
            self.calls += 1
            held = self.calls == self.hold_at
        self.called.set()
        if not held:
            return Batch(0, None)
        assert more is not None
        more()  # the claim came back full
        assert self.release.wait(WOKEN_WITHIN_S)
        return Batch(5, None)


def started(engine: Engine, clock: ManualClock, runner: Batches, threads: int) -> Worker:
    admin = JobAdmin(lambda: SqlUnitOfWork(engine), clock)
    worker = Worker(runner, admin, [], None, threads, POLL_S, "test")  # type: ignore[arg-type]
    worker.start()
    assert worker.idle.wait(10)  # each thread looked once and sleeps for up to POLL_S
    return worker


def test_a_wake_up_sends_one_sleeping_thread_not_all(
    engine: Engine, clock: ManualClock, stopped: list[Worker]
) -> None:
    """One commit, one claim: a second thread looking too would only find nothing."""
    runner = Batches()
    worker = started(engine, clock, runner, 3)
    stopped.append(worker)
    before = runner.calls
    runner.called.clear()
    worker.wake()
    assert worker.asleep == 2  # the other two sleep on (until POLL_S)
    assert runner.called.wait(WOKEN_WITHIN_S)
    assert runner.calls == before + 1


def test_a_full_claim_wakes_another_thread_while_its_jobs_run(
    engine: Engine, clock: ManualClock, stopped: list[Worker]
) -> None:
    runner = Batches()
    worker = started(engine, clock, runner, 2)
    stopped.append(worker)
    runner.hold_at = runner.calls + 1
    try:
        worker.wake()  # one thread: its claim comes back full and it stays busy
        deadline = time.monotonic() + WOKEN_WITHIN_S
        while runner.calls < runner.hold_at + 1:  # the other thread looks meanwhile
            assert time.monotonic() < deadline, "no second thread looked"
            runner.called.clear()
            runner.called.wait(0.5)
        assert not runner.release.is_set()
    finally:
        runner.release.set()
