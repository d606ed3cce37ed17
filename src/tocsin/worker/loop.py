"""The worker: threads that run due jobs, then sleep until the next one is due or a wake-up.

`tocsin worker` runs it on its own (several may share one PostgreSQL database); `tocsin
serve` runs one in a thread. A thread sleeps at most `poll_s`, so a job scheduled by another
process is found within that even without a wake-up; on PostgreSQL a listener thread turns
`NOTIFY tocsin_jobs` into a wake-up, and in-process commits call `wake()` (via JobSignal).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from tocsin.app.jobs import JobAdmin, JobRunner, Recurring
from tocsin.app.ports import JobWakeups
from tocsin.bootstrap import Tocsin

log = logging.getLogger(__name__)
POLL_S = 2.0  # the longest a thread sleeps without a wake-up
RETRY_S = 1.0  # after a database error, before the next try (doubling up to POLL_S * 5)
LISTEN_TIMEOUT_S = 1.0
MIN_SLEEP_S = 0.05  # a job due but held by another worker: look again after this


class Worker:
    def __init__(
        self,
        runner: JobRunner,
        admin: JobAdmin,
        recurring: list[Recurring],
        wakeups: JobWakeups | None = None,
        concurrency: int = 1,
        poll_s: float = POLL_S,
        name: str | None = None,
    ) -> None:
        self._runner = runner
        self._admin = admin
        self._recurring = recurring
        self._wakeups = wakeups
        self._poll_s = poll_s
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.on_start: Callable[[], object] | None = None
        self._stop = threading.Event()
        self.idle = threading.Event()  # set while every job thread sleeps (tests, stop)
        self._sleeping = 0
        self._lock = threading.Lock()
        self._wake = [threading.Event() for _ in range(concurrency)]
        self._asleep = [False] * concurrency
        self._threads = [
            threading.Thread(target=self._loop, args=(i,), name=f"tocsin-worker-{i}", daemon=True)
            for i in range(concurrency)
        ]
        if wakeups is not None:
            self._threads.append(
                threading.Thread(target=self._listen, name="tocsin-worker-listen", daemon=True)
            )

    @classmethod
    def wired(cls, tocsin: Tocsin, concurrency: int = 1, poll_s: float = POLL_S) -> Worker:
        worker = cls(
            tocsin.job_runner,
            tocsin.jobs,
            tocsin.recurring(),
            tocsin.job_wakeups(),
            concurrency,
            poll_s,
        )
        tocsin.job_signal.listen(worker.wake)
        worker.on_start = tocsin.runbooks.reap  # runs left `running` by a process that died
        return worker

    def rewire(self, tocsin: Tocsin) -> None:
        """A reload (bootstrap.LiveWiring): the next batch runs with the new wiring's handlers
        (policies, channels, health checks), and its recurring chains are seeded. A job in
        hand finishes with the wiring it started with."""
        self._runner, self._admin, self._recurring = (
            tocsin.job_runner,
            tocsin.jobs,
            tocsin.recurring(),
        )
        if not self._stop.is_set():
            self._seed()
        self._wake_all()

    def start(self) -> None:
        self._seed()
        if self.on_start is not None:
            try:
                self.on_start()
            except Exception:
                log.exception("worker %s: the start-up check failed; going on", self.name)
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """Jobs were scheduled: one sleeping thread looks for due ones now (it claims up to a
        batch; a full claim wakes the next, so threads join in as the work grows); when none
        sleeps, each looks again after its batch. One commit costs one claim, not one per
        thread."""
        with self._lock:
            for index, asleep in enumerate(self._asleep):
                if asleep:
                    self._asleep[index] = False
                    self._wake[index].set()
                    return
        self._wake_all()

    def _wake_all(self) -> None:
        for event in self._wake:
            event.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the jobs in hand, then stop (a job still running at the timeout is left
        to its lease)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._wake_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=timeout_s)
        if self._wakeups is not None:
            self._wakeups.close()
        log.info("worker %s stopped", self.name)

    @property
    def asleep(self) -> int:
        """How many job threads sleep now, not yet sent off by a wake-up."""
        with self._lock:
            return sum(self._asleep)

    @property
    def listens(self) -> bool:
        return self._wakeups is not None

    def _seed(self) -> None:
        try:
            added = self._admin.seed(self._recurring)
        except Exception:
            log.exception("could not seed the recurring jobs; the chains already stored go on")
            return
        log.info("worker %s: %s recurring jobs seeded", self.name, added)

    def _loop(self, index: int) -> None:
        owner = f"{self.name}:{index}"
        wake = self._wake[index]
        backoff = RETRY_S
        while not self._stop.is_set():
            wake.clear()  # before looking: a wake-up during the run is not lost
            try:
                batch = self._runner.run_batch(owner, more=self.wake)
                backoff = RETRY_S
                if batch.claimed and _now(batch.until_next):
                    continue  # a full batch, or a job fell due while the batch ran
                sleep = sleep_for(batch.until_next, self._poll_s)
            except Exception:
                log.exception("worker %s: running jobs failed; trying again", owner)
                sleep, backoff = backoff, min(backoff * 2, self._poll_s * 5)
            self._nap(index, sleep)

    def _nap(self, index: int, sleep_s: float) -> None:
        with self._lock:
            self._sleeping += 1
            self._asleep[index] = True
            if self._sleeping == len(self._wake):
                self.idle.set()
        try:
            self._wake[index].wait(sleep_s)
        finally:
            with self._lock:
                self._sleeping -= 1
                self._asleep[index] = False
                self.idle.clear()

    def _listen(self) -> None:
        assert self._wakeups is not None  # noqa: S101 - started only with one
        backoff = RETRY_S
        while not self._stop.is_set():
            try:
                if self._wakeups.wait(LISTEN_TIMEOUT_S):
                    self.wake()
                backoff = RETRY_S
            except Exception as exc:
                log.warning("worker %s: %s; polling until it is back", self.name, exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)


def sleep_for(until_next: timedelta | None, poll_s: float) -> float:
    """How long a thread sleeps after a batch: until the next job is due (never longer than
    the poll), however soon; MIN_SLEEP_S when one is due already but was not claimed
    (another worker holds it for a moment). The floor once applied to every wait, so a job
    due 10 ms later ran 40 ms late."""
    if until_next is None:
        return poll_s
    wait = until_next.total_seconds()
    return MIN_SLEEP_S if wait <= 0 else min(poll_s, wait)


def _now(until_next: timedelta | None) -> bool:
    return until_next is not None and until_next <= timedelta(0)
