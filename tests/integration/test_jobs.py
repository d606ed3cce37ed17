"""Durable jobs on SQLite and PostgreSQL: keys, claims under concurrency, leases, retries."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from tocsin.app.clock import ManualClock
from tocsin.app.jobs import (
    PRUNE,
    Batch,
    JobAdmin,
    JobHandlers,
    JobRunner,
    JobUnits,
    Recurring,
    prune_done,
)
from tocsin.app.ports import UnitOfWork
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.jobs import Job, JobSpec, JobStatus, RetryPolicy
from tocsin.store.uow import SqlUnitOfWork

LEASE = timedelta(minutes=1)


class Fixed:
    """An rng that always answers the same fraction: backoff without randomness."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def uow_of(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(engine)


def schedule(engine: Engine, *specs: JobSpec) -> list[bool]:
    with SqlUnitOfWork(engine) as uow:
        added = [uow.jobs.schedule(spec) for spec in specs]
        uow.commit()
    return added


def claim(engine: Engine, owner: str, clock: ManualClock, limit: int = 10) -> list[Job]:
    with SqlUnitOfWork(engine) as uow:
        claimed = uow.jobs.claim(owner, clock.now(), LEASE, limit)
        uow.commit()
    return claimed


def jobs(engine: Engine, *statuses: JobStatus) -> list[Job]:
    with SqlUnitOfWork(engine) as uow:
        return uow.jobs.find(statuses, 1000)


def test_a_key_schedules_one_job_however_often_it_is_scheduled(
    engine: Engine, clock: ManualClock
) -> None:
    spec = JobSpec("page", {"to": "alice"}, clock.now(), incident=3, key="page:3:1")
    assert schedule(engine, spec, spec) == [True, False]
    assert schedule(engine, spec) == [False]
    unkeyed = JobSpec("page", {}, clock.now())
    assert schedule(engine, unkeyed, unkeyed) == [True, True]  # no key: no deduplication
    [keyed] = [j for j in jobs(engine) if j.key]
    assert (keyed.kind, keyed.payload, keyed.incident, keyed.status) == (
        "page",
        {"to": "alice"},
        3,
        JobStatus.QUEUED,
    )
    assert len(jobs(engine)) == 3


def test_only_due_jobs_are_claimed_earliest_first(engine: Engine, clock: ManualClock) -> None:
    now = clock.now()
    schedule(
        engine,
        JobSpec("b", {}, now - timedelta(seconds=5)),
        JobSpec("later", {}, now + timedelta(minutes=2)),
        JobSpec("a", {}, now - timedelta(seconds=10)),
    )
    claimed = claim(engine, "w1", clock)
    assert [j.kind for j in claimed] == ["a", "b"]
    assert all(j.lease_owner == "w1" and j.lease_expires == now + LEASE for j in claimed)
    assert all(j.attempts == 1 and j.status == JobStatus.RUNNING for j in claimed)
    with SqlUnitOfWork(engine) as uow:  # the later job, or a lease's end, whichever is first
        assert uow.jobs.next_due() == now + LEASE


def test_concurrent_claimers_never_share_a_job(engine: Engine, clock: ManualClock) -> None:
    total = 120
    schedule(engine, *(JobSpec("x", {"n": n}, clock.now()) for n in range(total)))
    taken: dict[str, list[int]] = {}
    barrier = threading.Barrier(6)

    def claimer(owner: str) -> None:
        mine = taken.setdefault(owner, [])
        for _ in range(total // (6 * 3) + 2):  # rounds in which all six claim at once
            barrier.wait()
            mine += [j.id for j in claim(engine, owner, clock, limit=3)]

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [job_id for ids in taken.values() for job_id in ids]
    assert len(every) == total
    assert len(set(every)) == total
    assert sum(1 for ids in taken.values() if ids) > 1  # they really did compete
    assert claim(engine, "late", clock) == []
    owners = {j.id: j.lease_owner for j in jobs(engine)}
    assert all(owners[job_id] == owner for owner, ids in taken.items() for job_id in ids)


def test_an_expired_lease_lets_another_worker_claim_the_job(
    engine: Engine, clock: ManualClock
) -> None:
    schedule(engine, JobSpec("slow", {}, clock.now()))
    [first] = claim(engine, "dead-worker", clock)
    clock.advance(LEASE - timedelta(seconds=1))
    assert claim(engine, "w2", clock) == []  # still leased
    clock.advance(timedelta(seconds=1))
    [again] = claim(engine, "w2", clock)
    assert (again.id, again.attempts, again.lease_owner) == (first.id, 2, "w2")
    assert again.last_error is not None
    assert "dead-worker" in again.last_error
    with SqlUnitOfWork(engine) as uow:
        assert uow.jobs.complete(first.id, "dead-worker") is False  # it lost the lease
        assert uow.jobs.complete(first.id, "w2") is True
        uow.commit()
    assert [j.status for j in jobs(engine)] == [JobStatus.DONE]


def runner_for(
    engine: Engine, clock: ManualClock, handlers: JobHandlers, max_attempts: int = 3
) -> JobRunner:
    policy = RetryPolicy(timedelta(seconds=10), timedelta(minutes=5), max_attempts)
    return JobRunner(uow_of(engine), handlers, clock, Fixed(0.5), policy, LEASE)


def test_a_failing_job_backs_off_then_dies_with_its_error(
    engine: Engine, clock: ManualClock
) -> None:
    calls: list[int] = []

    def boom(job: Job, uow: Callable[[], UnitOfWork]) -> None:
        calls.append(job.attempts)
        raise RuntimeError(f"smtp refused on attempt {job.attempts}")

    handlers = JobHandlers()
    handlers.register("mail", boom)
    runner = runner_for(engine, clock, handlers)
    schedule(engine, JobSpec("mail", {}, clock.now()))
    waits = []
    for _ in range(3):
        assert runner.run_due("w") == 1
        [job] = jobs(engine)
        if job.status == JobStatus.DEAD:
            break
        waits.append(job.due - clock.now())
        assert runner.run_due("w") == 0  # not due before its backoff
        clock.set(job.due)
    # Full jitter at 0.5 of 10 s, then of 20 s (the floor is 1 s).
    assert waits == [timedelta(seconds=5), timedelta(seconds=10)]
    assert calls == [1, 2, 3]
    [dead] = jobs(engine, JobStatus.DEAD)
    assert dead.last_error == "RuntimeError: smtp refused on attempt 3"
    assert dead.lease_owner is None
    clock.advance(timedelta(days=1))
    assert runner.run_due("w") == 0  # never retried on its own


def test_a_job_of_an_unknown_kind_is_dead_at_once_and_says_why(
    engine: Engine, clock: ManualClock
) -> None:
    handlers = JobHandlers()
    handlers.register("known", lambda job, uow: None)
    schedule(engine, JobSpec("escalate", {}, clock.now()))
    assert runner_for(engine, clock, handlers).run_due("w") == 1
    [dead] = jobs(engine, JobStatus.DEAD)
    assert dead.last_error is not None
    assert "no handler for job kind 'escalate'" in dead.last_error
    assert f"tocsin jobs retry {dead.id}" in dead.last_error


def test_a_job_whose_workers_keep_dying_is_dead_after_the_limit(
    engine: Engine, clock: ManualClock
) -> None:
    ran: list[int] = []
    handlers = JobHandlers()
    handlers.register("crashy", lambda job, uow: ran.append(job.id))
    schedule(engine, JobSpec("crashy", {}, clock.now()))
    for n in range(3):  # three workers claim it and die before finishing
        assert len(claim(engine, f"w{n}", clock)) == 1
        clock.advance(LEASE)
    assert runner_for(engine, clock, handlers).run_due("w") == 1
    assert ran == []
    [dead] = jobs(engine, JobStatus.DEAD)
    assert dead.last_error is not None
    assert dead.last_error.startswith("gave up after 3 attempts")


def test_a_dead_job_can_be_retried_and_then_runs(engine: Engine, clock: ManualClock) -> None:
    ran: list[int] = []
    handlers = JobHandlers()
    handlers.register("once", lambda job, uow: ran.append(job.attempts))
    schedule(engine, JobSpec("later-known", {}, clock.now()))
    runner = runner_for(engine, clock, handlers)
    runner.run_due("w")
    [dead] = jobs(engine, JobStatus.DEAD)
    admin = JobAdmin(uow_of(engine), clock)
    with pytest.raises(NotFound, match="no job 999"):
        admin.retry(999)
    schedule(engine, JobSpec("once", {}, clock.now()))
    runner.run_due("w")
    [done] = jobs(engine, JobStatus.DONE)
    with pytest.raises(InvalidInput, match=f"job {done.id} is done; only a dead job"):
        admin.retry(done.id)
    handlers.register("later-known", lambda job, uow: ran.append(-job.attempts))
    requeued = admin.retry(dead.id)
    assert (requeued.status, requeued.attempts, requeued.due) == (JobStatus.QUEUED, 0, clock.now())
    runner.run_due("w")
    assert ran == [1, -1]
    assert admin.counts() == {
        JobStatus.QUEUED: 0,
        JobStatus.RUNNING: 0,
        JobStatus.DONE: 2,
        JobStatus.DEAD: 0,
    }


def test_recurring_chains_seed_once_per_slot_and_old_done_jobs_are_pruned(
    engine: Engine, clock: ManualClock
) -> None:
    admin = JobAdmin(uow_of(engine), clock)
    chain = Recurring("tick", "tick:api", timedelta(seconds=30), {"check": "api"})
    assert admin.seed([chain]) == 1
    assert admin.seed([chain]) == 0  # a second process starting in the same slot
    clock.advance(timedelta(seconds=30))
    assert admin.seed([chain]) == 1  # a new slot
    handlers = JobHandlers()
    handlers.register("tick", lambda job, uow: None)
    handlers.register(PRUNE.kind, prune_done(clock))
    runner = runner_for(engine, clock, handlers)
    assert runner.run_due("w") == 2
    clock.advance(timedelta(days=3))
    assert admin.seed([PRUNE]) == 1
    assert runner.run_due("w") == 1
    left = {(j.kind, j.status) for j in jobs(engine)}
    assert left == {(PRUNE.kind, JobStatus.DONE), (PRUNE.kind, JobStatus.QUEUED)}


def test_a_handler_may_schedule_follow_up_jobs_in_its_own_transaction(
    engine: Engine, clock: ManualClock
) -> None:
    def first(job: Job, uow: Callable[[], UnitOfWork]) -> None:
        with uow() as tx:
            tx.jobs.schedule(JobSpec("second", {}, clock.now(), key=f"after:{job.id}"))
            tx.commit()

    handlers = JobHandlers()
    handlers.register("first", first)
    handlers.register("second", lambda job, uow: None)
    schedule(engine, JobSpec("first", {}, clock.now()))
    runner = runner_for(engine, clock, handlers)
    assert runner.run_due("w") == 1
    assert runner.until_next_due() == timedelta(0)
    assert runner.run_due("w") == 1
    assert {j.kind: j.status for j in jobs(engine)} == {
        "first": JobStatus.DONE,
        "second": JobStatus.DONE,
    }
    assert runner.until_next_due() is None


class Opened:
    """A unit-of-work factory that counts the transactions it opens."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def __call__(self) -> SqlUnitOfWork:
        self.count += 1
        return SqlUnitOfWork(self.engine)


def test_a_claim_that_finds_nothing_reads_the_next_due_time_in_its_transaction(
    engine: Engine, clock: ManualClock
) -> None:
    later = clock.now() + timedelta(minutes=5)
    schedule(engine, JobSpec("x", {}, later))
    opened = Opened(engine)
    runner = JobRunner(opened, JobHandlers(), clock, Fixed(0.5), reader=opened)
    assert runner.run_batch("w") == Batch(0, timedelta(minutes=5))
    assert opened.count == 1


def test_after_a_short_batch_the_next_due_time_is_read_afresh_without_a_second_claim(
    engine: Engine, clock: ManualClock
) -> None:
    later = clock.now() + timedelta(minutes=5)
    schedule(engine, JobSpec("ok", {}, clock.now()), JobSpec("ok", {}, later))
    schedule(engine, JobSpec("fails", {}, clock.now()))
    handlers = JobHandlers()
    handlers.register("ok", lambda job, uow: None)
    handlers.register("fails", lambda job, uow: 1 / 0)
    opened = Opened(engine)
    runner = JobRunner(opened, handlers, clock, Fixed(0.0), batch=5, reader=opened)
    # the failed job is due again after the policy's floor of 1 s: sooner than the later one
    assert runner.run_batch("w") == Batch(2, timedelta(seconds=1))
    assert opened.count == 4  # the claim, each job marked done or failed, the read
    clock.advance(timedelta(minutes=5))
    assert runner.run_batch("w") == Batch(2, timedelta(seconds=1))  # the retry failed again


def test_a_full_batch_says_more_may_be_due_now(engine: Engine, clock: ManualClock) -> None:
    """Once after its claim, before its jobs run (so another thread may claim the rest
    meanwhile), and again in what it returns."""
    schedule(engine, *(JobSpec("x", {"n": n}, clock.now()) for n in range(3)))
    events: list[str] = []
    handlers = JobHandlers()
    handlers.register("x", lambda job, uow: events.append(f"ran {job.payload['n']}"))
    runner = JobRunner(uow_of(engine), handlers, clock, Fixed(0.5), batch=2)
    more = lambda: events.append("more")  # noqa: E731
    assert runner.run_batch("w", more) == Batch(2, timedelta(0))
    assert events == ["more", "ran 0", "ran 1"]
    assert runner.run_batch("w", more) == Batch(1, None)
    assert events[3:] == ["ran 2"]  # a short claim: nothing more
    assert runner.run_batch("w", more) == Batch(0, None)
    assert events[4:] == []


class Killed(BaseException):
    """The worker process dying mid-job: nothing in the runner catches it."""


def test_a_handler_that_finishes_in_its_transaction_is_not_run_again_after_a_kill(
    engine: Engine, clock: ManualClock
) -> None:
    def counted(finish: bool) -> Callable[[Job, JobUnits], None]:
        def handle(job: Job, units: JobUnits) -> None:
            with units() as tx:
                tx.jobs.schedule(JobSpec("effect", {}, clock.now() + timedelta(days=9)))
                if finish:
                    units.finish(tx)
                tx.commit()
            raise Killed  # the worker dies after the COMMIT, before the runner's own mark

        return handle

    handlers = JobHandlers()
    handlers.register("inline", counted(finish=True))
    handlers.register("after", counted(finish=False))
    for kind in ("inline", "after"):
        schedule(engine, JobSpec(kind, {}, clock.now()))
        with pytest.raises(Killed):
            runner_for(engine, clock, handlers).run_due("dies")
    clock.advance(LEASE)
    statuses = {j.kind: j.status for j in jobs(engine) if j.kind != "effect"}
    # the work and its done mark committed together: nothing to claim again
    assert statuses == {"inline": JobStatus.DONE, "after": JobStatus.RUNNING}
    assert [j.kind for j in claim(engine, "w2", clock)] == ["after"]  # runs a second time
    assert len(jobs(engine)) == 4  # two effects: one per handler run


def test_a_handler_whose_lease_passed_on_rolls_back_and_leaves_the_job_to_its_holder(
    engine: Engine, clock: ManualClock
) -> None:
    def slow(job: Job, units: JobUnits) -> None:
        clock.advance(LEASE)  # the handler ran past its lease...
        [taken] = claim(engine, "w2", clock)  # ...and another worker took the job
        assert taken.id == job.id
        with units() as tx:
            tx.jobs.schedule(JobSpec("effect", {}, clock.now()))
            units.finish(tx)  # raises: the effect is rolled back
            tx.commit()

    handlers = JobHandlers()
    handlers.register("slow", slow)
    schedule(engine, JobSpec("slow", {}, clock.now()))
    opened = Opened(engine)
    runner = JobRunner(opened, handlers, clock, Fixed(0.5), lease=LEASE, reader=opened)
    assert runner.run_due("w1") == 1
    [job] = jobs(engine)  # no effect stored
    assert (job.status, job.lease_owner) == (JobStatus.RUNNING, "w2")
    assert opened.count == 3  # the claim, the handler's, the next-due read: no failure mark
