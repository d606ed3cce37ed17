"""CPU seconds from /proc, for processes that come and go during a measurement.

Workers are sampled one by one (a worker about to be SIGKILLed is sampled just before), and
PostgreSQL as its postmaster plus every live backend plus what the postmaster reaped
(`cutime`/`cstime`: the backends of killed workers that exited during the window), so none of
them is lost when it ends. `other` is the machine's busy time minus everything accounted for:
other people's work on a shared machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bench.api_latency.load import CLOCK_TICKS, machine_busy_seconds


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rpartition(")")[2].split()


def process_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process (all its threads); None once it is gone."""
    fields = _stat(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_seconds(root: int) -> float:
    """`root`, its live descendants, and the children each of them reaped."""
    parents: dict[int, list[int]] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is None:
            continue
        pid = int(entry.name)
        parents.setdefault(int(fields[1]), []).append(pid)
        times[pid] = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += times.get(pid, 0)
        todo.extend(parents.get(pid, ()))
    return total / CLOCK_TICKS


def own_seconds() -> float:
    """This process (the benchmark: its producer thread, its polling)."""
    t = os.times()
    return t.user + t.system


@dataclass
class Tracked:
    pid: int
    base: float  # CPU when the window opened, or when a replacement became ready
    startup: float = 0.0  # a replacement's CPU before it was ready (imports, build)
    last: float = 0.0
    starting: bool = False  # a replacement not ready yet: all its CPU is start-up


@dataclass
class Meter:
    """One measurement window over workers (which may be killed and replaced), PostgreSQL
    (by postmaster pid, if any), extra processes (the floor loop) and this process."""

    postmaster: int | None = None
    workers: dict[int, Tracked] = field(default_factory=dict)
    extra: dict[int, Tracked] = field(default_factory=dict)
    _pg0: float = 0.0
    _own0: float = 0.0
    _busy0: float = 0.0
    result: dict[str, float] = field(default_factory=dict)

    def open(self, workers: list[int], extra: tuple[int, ...] = ()) -> None:
        for pid in workers:
            self.workers[pid] = Tracked(pid, process_seconds(pid) or 0.0)
        for pid in extra:
            self.extra[pid] = Tracked(pid, process_seconds(pid) or 0.0)
        self._pg0 = tree_seconds(self.postmaster) if self.postmaster else 0.0
        self._own0 = own_seconds()
        self._busy0 = machine_busy_seconds()

    def starting(self, pid: int) -> None:
        """A replacement worker was started."""
        self.workers[pid] = Tracked(pid, 0.0, starting=True)

    def joined(self, pid: int) -> None:
        """A replacement worker became ready: what it used so far was its start-up."""
        spent = process_seconds(pid) or 0.0
        self.workers[pid] = Tracked(pid, spent, startup=spent)

    def sample(self, pid: int) -> None:
        """Before a worker is killed (or stopped): its CPU so far."""
        tracked = self.workers.get(pid) or self.extra.get(pid)
        if tracked is not None:
            tracked.last = process_seconds(pid) or tracked.last

    def exited(self, pid: int, total: float) -> None:
        """A child that ended by itself, with its whole CPU time (from wait4)."""
        self.extra[pid].last = total

    def close(self, seconds: float) -> dict[str, float]:
        for tracked in [*self.workers.values(), *self.extra.values()]:
            now = process_seconds(tracked.pid)
            if now is not None:
                tracked.last = now
            if tracked.starting:
                tracked.startup = tracked.base = tracked.last
        workers = sum(max(0.0, t.last - t.base) for t in self.workers.values())
        startup = sum(t.startup for t in self.workers.values())
        extra = sum(max(0.0, t.last - t.base) for t in self.extra.values())
        pg = (tree_seconds(self.postmaster) - self._pg0) if self.postmaster else 0.0
        own = own_seconds() - self._own0
        busy = machine_busy_seconds() - self._busy0
        other = busy - workers - startup - extra - pg - own
        self.result = {
            "seconds": round(seconds, 3),
            "workers_s": round(workers, 3),
            "startup_s": round(startup, 3),
            "floor_s": round(extra, 3),
            "postgresql_s": round(pg, 3),
            "bench_s": round(own, 3),
            "other_cores": round(max(0.0, other) / seconds, 2) if seconds > 0 else 0.0,
        }
        return self.result
