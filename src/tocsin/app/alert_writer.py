"""Group commit: one thread per process writes every queued ingestion batch.

Requests queue their batch and wait on a future. The writer thread takes whatever has
queued (up to MAX_JOBS), applies it in one transaction and resolves each future only after
the COMMIT, so a 2xx still means committed. One writer means no fight for SQLite's write
lock between request threads (busy-handler sleeps made the tail seconds long), one fsync
per group under synchronous=FULL, and fewer statements: a group or incident touched by
several batches is written once.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from tocsin.app.errors import StorageError
from tocsin.core.alerts import Parsed

MAX_JOBS = 256  # batches per transaction
MAX_QUEUED = 4_096  # batches waiting; beyond, senders get 503 and retry
MAX_QUEUED_BYTES = 64 * 1024 * 1024  # request bodies waiting, likewise
IDLE_EXIT = 0.5  # seconds without work before the thread ends (the next batch restarts it)


class IngestOverloaded(StorageError):
    """Too many batches are waiting for the writer: answer 503 so the sender retries."""


@dataclass
class Job:
    """One request's batch: parsed in the writer thread, off the event loop."""

    integration: str
    parse: Callable[[], Parsed]
    drop_unknown_resolves: bool = False
    size: int = 0  # bytes of the request body the parse holds
    future: Future[object] = field(default_factory=Future)


class IngestWriter:
    def __init__(self, apply: Callable[[list[Job]], None], max_queued: int = MAX_QUEUED) -> None:
        """`apply` commits the jobs and resolves every job's future (result or error)."""
        self._apply = apply
        self._max_queued = max_queued
        self._queue: deque[Job] = deque()
        self._queued_bytes = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, job: Job) -> Future[object]:
        with self._cond:
            full = self._queued_bytes + job.size > MAX_QUEUED_BYTES and self._queue
            if len(self._queue) >= self._max_queued or full:
                raise IngestOverloaded(
                    f"{len(self._queue)} alert batches are waiting to be written; retry"
                )
            self._queue.append(job)
            self._queued_bytes += job.size
            self._cond.notify()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="tocsin-ingest-writer", daemon=True
                )
                self._thread.start()
        return job.future

    def _run(self) -> None:
        while jobs := self._take():
            try:
                self._apply(jobs)
            except Exception as exc:  # every waiting sender gets an answer
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)

    def _take(self) -> list[Job]:
        with self._cond:
            if not self._queue:
                self._cond.wait(IDLE_EXIT)
            if not self._queue:
                self._thread = None  # under the lock: the next submit starts a new thread
                return []
            jobs = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_JOBS))]
            self._queued_bytes -= sum(job.size for job in jobs)
            return jobs
