"""The benchmark's own record of job runs, kept apart from the `jobs` table.

Each run of a `bench.record` job appends one line to its process's file (`runs-<pid>.log`,
opened O_APPEND: one write(2) per line, which a SIGKILL cannot split), before the worker
marks the job done. So the lines count executions whatever the `jobs` table says: a job
whose worker was killed after the line and before its COMMIT shows up twice.

    <job id> <pid> <started, epoch s> <due, epoch s> <attempt> <claimed, epoch s>

`claimed` is when the worker claimed it (the job's lease expiry minus the lease): started minus
claimed is the time the job waited behind the others of its batch.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

KIND = "bench.record"
RECORDS_ENV = "TOCSIN_BENCH_RECORDS"  # the directory the handler appends to
EFFECT_ENV = "TOCSIN_BENCH_EFFECT"  # "1": each run also writes its effect in the database
EFFECT = "bench.effect"  # the effect: a job of this kind, never due, {"of": <job id>}
NEVER = datetime(2999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Run:
    job: int
    pid: int
    started: float
    due: float
    attempt: int
    claimed: float


class Recorder:
    """The `bench.record` handler: append the line. With `effect`, then also write the run's
    effect in the database (an unkeyed `bench.effect` job naming this one, never due) and
    mark the job done in that same transaction (`JobUnits.finish`): a worker killed after
    the line and before that COMMIT leaves a line without an effect, and the job runs again;
    an effect stored twice would be a job whose work committed twice. `lease`: the runner's
    lease, read at each run (`tocsin worker --lease` sets it after this is registered)."""

    def __init__(
        self, directory: Path, lease: Callable[[], timedelta] | None = None, effect: bool = False
    ) -> None:
        self._path = directory / f"runs-{os.getpid()}.log"
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._lease = lease
        self._effect = effect

    def __call__(self, job: Any, uow: Callable[[], Any]) -> None:
        started = time.time()
        claimed = started
        if self._lease is not None and job.lease_expires is not None:
            claimed = (job.lease_expires - self._lease()).timestamp()
        due = job.due.timestamp()
        self.append(line(job.id, os.getpid(), started, due, job.attempts, claimed))
        if self._effect:
            from tocsin.core.jobs import JobSpec

            with uow() as tx:
                tx.jobs.schedule(JobSpec(EFFECT, {"of": job.id}, NEVER))
                uow.finish(tx)  # type: ignore[attr-defined]  # JobUnits
                tx.commit()

    def append(self, line: str) -> None:
        if self._fd is None:
            with self._lock:
                if self._fd is None:
                    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
                    self._fd = os.open(self._path, flags, 0o644)
        os.write(self._fd, line.encode())


def line(job: int, pid: int, started: float, due: float, attempt: int, claimed: float) -> str:
    return f"{job} {pid} {started:.6f} {due:.6f} {attempt} {claimed:.6f}\n"


def read_runs(directory: Path) -> list[Run]:
    runs = []
    for path in sorted(directory.glob("runs-*.log")):
        for text in path.read_text().splitlines():
            job, pid, started, due, attempt, claimed = text.split()
            runs.append(
                Run(int(job), int(pid), float(started), float(due), int(attempt), float(claimed))
            )
    return runs


class Progress:
    """How many lines the record files hold, read incrementally (cheap enough to poll)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._offsets: dict[Path, int] = {}
        self.lines = 0

    def count(self) -> int:
        for path in self._directory.glob("runs-*.log"):
            offset = self._offsets.get(path, 0)
            with path.open("rb") as f:
                f.seek(offset)
                chunk = f.read()
            complete = chunk.rfind(b"\n") + 1
            self.lines += chunk.count(b"\n", 0, complete)
            self._offsets[path] = offset + complete
        return self.lines


@dataclass(frozen=True, slots=True)
class Tally:
    """Executions per job from the record, against the jobs that were scheduled."""

    runs: int
    jobs_run: int
    never_run: list[int]
    twice: int  # jobs with two runs or more
    twice_after_kill: int  # ... whose earlier run's worker was killed (at-least-once)
    twice_unexplained: list[int]  # ... whose earlier runner lived: a real double run
    retried: int  # jobs whose first recorded run was not their first claim
    first: dict[int, Run]


def tally(runs: Iterable[Run], scheduled: Iterable[int], killed: dict[int, float]) -> Tally:
    """`killed`: pid -> when it was SIGKILLed (epoch s)."""
    by_job: dict[int, list[Run]] = {}
    count = 0
    for run in runs:
        by_job.setdefault(run.job, []).append(run)
        count += 1
    wanted = set(scheduled)
    twice = after_kill = 0
    unexplained: list[int] = []
    first: dict[int, Run] = {}
    for job, found in by_job.items():
        found.sort(key=lambda r: r.started)
        first[job] = found[0]
        if len(found) < 2:
            continue
        twice += 1
        earlier = found[:-1]
        if all(r.pid in killed and killed[r.pid] >= r.started for r in earlier):
            after_kill += 1
        else:
            unexplained.append(job)
    return Tally(
        runs=count,
        jobs_run=len(wanted & by_job.keys()),
        never_run=sorted(wanted - by_job.keys()),
        twice=twice,
        twice_after_kill=after_kill,
        twice_unexplained=sorted(unexplained),
        retried=sum(1 for r in first.values() if r.attempt > 1),
        first=first,
    )
