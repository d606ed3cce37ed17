"""SQLite's one writer: this process's write transactions queue first come first served
(store/database.py WriterQueue) instead of meeting in SQLite's busy handler, where, under
many writers, some lost every round until the 30 s busy timeout; the job worker's go ahead of
requests' (a page is not held behind every declaration of a burst)."""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest
from sqlalchemy import event

from tocsin.bootstrap import Tocsin
from tocsin.core.jobs import JobSpec
from tocsin.store.database import WriterQueue, writer_queue
from tocsin.store.uow import SqlUnitOfWork


def queued(queue: WriterQueue, count: int) -> None:
    """Wait (bounded) until `count` threads wait in the queue: an ordering barrier, not a
    timing assumption."""
    deadline = time.monotonic() + 10
    while len(queue._waiting) + len(queue._urgent) < count:
        assert time.monotonic() < deadline, "the threads never queued"
        time.sleep(0.001)


def test_writers_get_their_turn_in_the_order_they_came() -> None:
    queue = WriterQueue()
    assert queue.acquire()
    order: list[int] = []

    def write(n: int) -> None:
        assert queue.acquire()
        order.append(n)
        queue.release()

    threads = []
    for n in range(5):
        thread = threading.Thread(target=write, args=(n,))
        thread.start()
        queued(queue, n + 1)
        threads.append(thread)
    queue.release()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4]
    assert queue.acquire()  # free again
    queue.release()


def test_the_job_workers_writers_go_ahead_of_the_requests_waiting() -> None:
    """Among themselves, urgent writers keep their order; each waits only for the writer
    holding the turn and the urgent ones ahead of it."""
    queue = WriterQueue()
    assert queue.acquire()
    order: list[str] = []

    def write(name: str, urgent: bool) -> None:
        lane: AbstractContextManager[Any] = queue.urgent() if urgent else nullcontext()
        with lane:
            assert queue.acquire()
        order.append(name)
        queue.release()

    threads = []
    for n, (name, urgent) in enumerate(
        [("request 1", False), ("worker 1", True), ("request 2", False), ("worker 2", True)]
    ):
        thread = threading.Thread(target=write, args=(name, urgent))
        thread.start()
        queued(queue, n + 1)
        threads.append(thread)
    queue.release()
    for thread in threads:
        thread.join(10)
    assert order == ["worker 1", "worker 2", "request 1", "request 2"]


def test_a_writer_that_waits_too_long_gives_up_and_leaves_the_queue_working() -> None:
    queue = WriterQueue()
    assert queue.acquire()
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(queue.acquire(timeout=0.01)))
    thread.start()
    thread.join(10)
    assert result == [False]
    assert len(queue._waiting) == len(queue._urgent) == 0
    queue.release()
    assert queue.acquire(timeout=0)  # nobody holds it


def test_a_thread_holding_its_turn_passes_straight_through() -> None:
    queue = WriterQueue()
    assert queue.acquire()
    assert queue.acquire(timeout=0)  # nested: no self-deadlock
    queue.release()
    other: list[bool] = []
    thread = threading.Thread(target=lambda: other.append(queue.acquire(timeout=0.01)))
    thread.start()
    thread.join(10)
    assert other == [False]  # still held by the outer one
    queue.release()
    assert queue.acquire(timeout=0)
    queue.release()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_hundred_declarations_at_once_on_sqlite_all_succeed(tocsin: Tocsin) -> None:
    assert writer_queue(tocsin.engine) is not None
    gate = threading.Barrier(100)
    failed: list[BaseException] = []
    numbers: list[int] = []

    def declare(n: int) -> None:
        gate.wait()
        try:
            numbers.append(tocsin.incidents.declare("bot", f"Outage {n}", "P3").incident.number)
        except BaseException as exc:  # every failure is reported
            failed.append(exc)

    threads = [threading.Thread(target=declare, args=(n,)) for n in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failed == []
    assert sorted(numbers) == list(range(1, 101))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_wired_worker_claims_ahead_of_a_declaration_waiting(tocsin: Tocsin) -> None:
    """`tocsin serve`'s job runner writes in the urgent lane: with a declaration and a claim
    both waiting for the writer, the claim commits first."""
    queue = writer_queue(tocsin.engine)
    assert queue is not None
    tocsin.job_runner.handlers.register("probe", lambda job, units: None)
    with SqlUnitOfWork(tocsin.engine) as uow:
        uow.jobs.schedule(JobSpec("probe", {}, tocsin.clock.now()))
        uow.commit()
    commits: list[str] = []
    event.listen(
        tocsin.engine, "commit", lambda conn: commits.append(threading.current_thread().name)
    )
    assert queue.acquire()
    request = threading.Thread(
        target=tocsin.incidents.declare, args=("ann", "Checkout down", "P2"), name="request"
    )
    request.start()
    queued(queue, 1)
    worker = threading.Thread(target=tocsin.job_runner.run_batch, args=("w",), name="worker")
    worker.start()
    queued(queue, 2)
    queue.release()
    request.join(10)
    worker.join(10)
    assert commits[:2] == ["worker", "request"]
