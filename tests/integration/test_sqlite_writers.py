"""SQLite's one writer: this process's write transactions queue first come first served
(store/database.py WriterQueue) instead of meeting in SQLite's busy handler, where, under
many writers, some lost every round until the 30 s busy timeout."""

from __future__ import annotations

import threading
import time

import pytest

from tocsin.bootstrap import Tocsin
from tocsin.store.database import WriterQueue, writer_queue


def queued(queue: WriterQueue, count: int) -> None:
    """Wait (bounded) until `count` threads wait in the queue: an ordering barrier, not a
    timing assumption."""
    deadline = time.monotonic() + 10
    while len(queue._waiting) < count:
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


def test_a_writer_that_waits_too_long_gives_up_and_leaves_the_queue_working() -> None:
    queue = WriterQueue()
    assert queue.acquire()
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(queue.acquire(timeout=0.01)))
    thread.start()
    thread.join(10)
    assert result == [False]
    assert len(queue._waiting) == 0
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
