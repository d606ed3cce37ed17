"""Open-loop load: requests sent on a schedule fixed in advance, whatever the answers' speed.

The schedule (`plan`) is drawn before the run: arrival times at `rate` per second, evenly
spaced or as a Poisson process, each with its kind drawn from the mix (by default 70 % the
incident list, 25 % one incident page, 5 % writes). A dispatcher fires each request at its
time on a connection from a pool that grows as needed (up to `connection_limit`), so a slow
answer never delays the next send. Latency runs from the **scheduled** send time to the last
byte of the answer, so time spent waiting for the client, a connection or the server all
counts (no coordinated omission); the send lag (actual send minus scheduled) and the service
time (from the actual send) are reported beside it.

Writes are what responders do during an incident: a status update (50 %) or a note (35 %)
on a random open incident, with the version last read (the answer carries the new one; an
incident is not written twice at once, so a 409 means someone else changed it), or a new
incident declared (15 %), which then takes writes too.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.api_latency.load import (
    IO_ERRORS,
    Connection,
    cpu_seconds,
    machine_busy_seconds,
    percentile,
)

LIST_PATH = "/api/v1/incidents?limit=50"
INCIDENTS_PATH = "/api/v1/incidents"
DEFAULT_MIX = "list=70,incident=25,write=5"
WRITE_MIX = {"update": 50, "note": 35, "declare": 15}
READS = ("list", "incident")
KEEPALIVE_S = 4.0
"""Reuse an idle connection for this long at most: uvicorn closes them after 5 s idle."""
DRAIN_TIMEOUT_S = 60.0
SERVICES = ("checkout-api", "search-api", "auth-api", "billing-worker", "orders-db")
TEXTS = (
    "Error rate is back under 1% after the rollback; we keep watching the dashboards.",
    "We scaled the worker pool from 12 to 30 replicas; the backlog is draining slowly.",
    "Next update in 30 minutes, or earlier if anything changes.",
    "Paged the payments team; Heidi joins the bridge.",
)


@dataclass(frozen=True, slots=True)
class Planned:
    at: float
    """Seconds after the start of the schedule."""
    kind: str
    """list, incident, update, note or declare."""
    path: str
    """The target of a read; a write's incident is chosen when it is sent."""
    measured: bool
    """False during the warm-up."""


def parse_mix(text: str) -> dict[str, float]:
    """`list=70,incident=25,write=5` -> shares that add up to 1."""
    found: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in (*READS, "write"):
            raise ValueError(f"--mix: unknown kind {name!r}; use list, incident and write")
        try:
            found[name] = float(value)
        except ValueError:
            raise ValueError(f"--mix: {part!r} is not NAME=NUMBER") from None
        if found[name] < 0:
            raise ValueError(f"--mix: {name} must not be negative")
    total = sum(found.values())
    if total <= 0:
        raise ValueError("--mix: give at least one positive share")
    return {name: share / total for name, share in found.items()}


def plan(
    rate: float,
    warmup_s: float,
    seconds: float,
    mix: dict[str, float],
    incidents: int,
    rng: random.Random,
    *,
    poisson: bool = False,
) -> list[Planned]:
    """The whole schedule, warm-up first: the same for every server given the same rng."""
    if rate <= 0:
        raise ValueError("--rate must be positive")
    kinds, weights = list(mix), list(mix.values())
    writes, write_weights = list(WRITE_MIX), list(WRITE_MIX.values())
    found: list[Planned] = []
    at, n, end = 0.0, 0, warmup_s + seconds
    while True:
        at = at + rng.expovariate(rate) if poisson else n / rate
        if at >= end:
            return found
        n += 1
        kind = rng.choices(kinds, weights)[0]
        path = ""
        if kind == "list":
            path = LIST_PATH
        elif kind == "incident":
            path = f"{INCIDENTS_PATH}/INC-{rng.randint(1, incidents)}"
        else:
            kind = rng.choices(writes, write_weights)[0]
        found.append(Planned(at, kind, path, at >= warmup_s))


class Pool:
    """Keep-alive connections: the most recently used first, a new one when none is idle,
    and a wait (counted) only at `limit`."""

    def __init__(self, base_url: str, headers: dict[str, str], limit: int) -> None:
        self.base_url, self.headers, self.limit = base_url, headers, limit
        self._idle: list[tuple[Connection, float]] = []
        self._waiters: deque[asyncio.Future[Connection]] = deque()
        self._closing: set[asyncio.Task[None]] = set()
        self.open = self.opened = self.peak = self.waits = 0

    async def take(self) -> Connection:
        now = time.perf_counter()
        while self._idle:
            conn, last = self._idle.pop()
            if now - last < KEEPALIVE_S:
                return conn
            self._drop(conn)
        if self.open < self.limit:
            self.open += 1
            self.opened += 1
            self.peak = max(self.peak, self.open)
            return Connection(self.base_url, self.headers)
        self.waits += 1
        waiter: asyncio.Future[Connection] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return await waiter

    def give(self, conn: Connection) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self._idle.append((conn, time.perf_counter()))

    def _drop(self, conn: Connection) -> None:
        self.open -= 1
        task = asyncio.ensure_future(conn.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        for conn, _ in self._idle:
            await conn.close()
        self._idle.clear()
        if self._closing:
            await asyncio.gather(*self._closing)


@dataclass(slots=True)
class Sample:
    kind: str
    scheduled: float
    sent: float = math.nan
    done: float = math.nan
    status: int = 0
    error: str = ""


@dataclass(slots=True)
class Writes:
    """What the writers know: open incidents and the version each was last seen at."""

    versions: dict[int, int]
    rng: random.Random
    busy: set[int] = field(default_factory=set)
    conflicts: int = 0

    def request(self, kind: str) -> tuple[str, str, bytes, int | None]:
        """(kind actually done, path, JSON body, incident written or None)."""
        free = [n for n in self.versions if n not in self.busy] if kind != "declare" else []
        if not free:
            service = self.rng.choice(SERVICES)
            body: dict[str, Any] = {
                "title": f"Open-loop bench: {service} errors",
                "severity": "P3",
                "scope": {"services": [service]},
            }
            return "declare", INCIDENTS_PATH, json.dumps(body).encode(), None
        number = self.rng.choice(free)
        self.busy.add(number)
        text = self.rng.choice(TEXTS)
        body = {"text": text, "version": self.versions[number]}
        path = f"{INCIDENTS_PATH}/INC-{number}/{'updates' if kind == 'update' else 'notes'}"
        return kind, path, json.dumps(body).encode(), number

    def answered(self, number: int | None, status: int, body: bytes) -> None:
        if number is not None:
            self.busy.discard(number)
        if status in (200, 201):
            seen = json.loads(body)
            if seen.get("status") in ("investigating", "mitigated"):
                self.versions[seen["number"]] = seen["version"]
            else:
                self.versions.pop(seen["number"], None)
        elif status == 409 and number is not None:
            self.conflicts += 1
            self.versions.pop(number, None)  # refreshed by `refresh` below, off the clock


Snapshot = tuple[dict[str, float], float, float, dict[str, float]]


def _snapshot(
    cpu_groups: dict[str, list[int]], counters: Callable[[], dict[str, float]] | None
) -> Snapshot:
    cpu = {name: cpu_seconds(pids) for name, pids in cpu_groups.items()}
    return cpu, time.process_time(), machine_busy_seconds(), counters() if counters else {}


async def open_incidents(base_url: str, headers: dict[str, str]) -> dict[int, int]:
    """Open incidents' numbers and versions, read once before the run."""
    conn = Connection(base_url, headers)
    try:
        status, body = await conn.get(f"{INCIDENTS_PATH}?status=open&limit=200")
    finally:
        await conn.close()
    if status != 200:
        raise RuntimeError(f"GET open incidents: HTTP {status} {body[:200]!r}")
    return {item["number"]: item["version"] for item in json.loads(body)["items"]}


async def run(
    base_url: str,
    token: str,
    schedule: Sequence[Planned],
    *,
    connection_limit: int,
    late_ms: float,
    cpu_groups: dict[str, list[int]],
    counters: Callable[[], dict[str, float]] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Send `schedule`, then summarize the measured part (see `summarize`)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    writes = Writes(await open_incidents(base_url, headers), random.Random(seed))  # noqa: S311
    pool = Pool(base_url, headers, connection_limit)
    samples: list[Sample] = []
    tasks: set[asyncio.Task[None]] = set()
    in_flight = peak_in_flight = 0
    loop = asyncio.get_running_loop()

    async def refresh(number: int) -> None:
        conn = await pool.take()
        try:
            status, body = await conn.get(f"{INCIDENTS_PATH}/INC-{number}")
            if status == 200:
                seen = json.loads(body)
                if seen["status"] in ("investigating", "mitigated"):
                    writes.versions[number] = seen["version"]
        except IO_ERRORS:
            pass  # the incident stays out of the writes' choice
        finally:
            pool.give(conn)

    async def fire(item: Planned, sample: Sample) -> None:
        nonlocal in_flight, peak_in_flight
        in_flight += 1
        peak_in_flight = max(peak_in_flight, in_flight)
        conn = await pool.take()
        number: int | None = None
        path = item.path
        try:
            if item.kind in READS:
                sample.sent = time.perf_counter()
                status, body = await conn.get(path)
            else:
                sample.kind, path, payload, number = writes.request(item.kind)
                sample.sent = time.perf_counter()
                status, body = await conn.post_json(path, payload)
                writes.answered(number, status, body)
                if status == 409 and number is not None:
                    keep(loop.create_task(refresh(number)))
            if status not in (200, 201):
                sample.error = f"{path}: HTTP {status} {body[:200]!r}"
        except IO_ERRORS as exc:
            status, sample.error = 0, f"{path}: {type(exc).__name__}: {exc}"
            if number is not None:
                writes.busy.discard(number)
        finally:
            pool.give(conn)
            in_flight -= 1
        sample.done, sample.status = time.perf_counter(), status

    def keep(task: asyncio.Task[None]) -> None:
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    start = time.perf_counter() + 0.05
    first_measured = next((i for i, p in enumerate(schedule) if p.measured), len(schedule))
    before: asyncio.Future[Snapshot] | None = None
    window_start = start + (schedule[first_measured].at if first_measured < len(schedule) else 0)
    for index, item in enumerate(schedule):
        due = start + item.at
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        if index == first_measured:  # CPU at the window's start, read off the loop
            before = loop.run_in_executor(None, _snapshot, cpu_groups, counters)
        sample = Sample(item.kind, due)
        if item.measured:
            samples.append(sample)
        keep(loop.create_task(fire(item, sample)))
    deadline = time.perf_counter() + DRAIN_TIMEOUT_S
    while tasks:  # the answers still due, and any version refresh they started
        _, pending = await asyncio.wait(set(tasks), timeout=deadline - time.perf_counter())
        if pending and time.perf_counter() >= deadline:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
    for sample in samples:
        if not sample.status and not sample.error:
            sent = not math.isnan(sample.sent)
            sample.error = f"no answer within {DRAIN_TIMEOUT_S:.0f} s" if sent else "not sent"
    drained = time.perf_counter()
    after = _snapshot(cpu_groups, counters)
    await pool.close()
    started_cpu = await before if before is not None else after
    return summarize(
        samples,
        window=(window_start, drained),
        late_ms=late_ms,
        cpu=(started_cpu, after),
        pool=pool,
        peak_in_flight=peak_in_flight,
        conflicts=writes.conflicts,
    )


def summarize(
    samples: list[Sample],
    *,
    window: tuple[float, float],
    late_ms: float,
    cpu: tuple[Snapshot, Snapshot],
    pool: Pool,
    peak_in_flight: int,
    conflicts: int,
) -> dict[str, Any]:
    (cpu0, client0, busy0, counted0), (cpu1, client1, busy1, counted1) = cpu
    seconds = window[1] - window[0]
    sent = [s for s in samples if not math.isnan(s.sent)]
    used = {name: cpu1[name] - cpu0[name] for name in cpu1}
    used["client"] = client1 - client0
    others = busy1 - busy0 - sum(used.values())
    lags = sorted(s.sent - s.scheduled for s in sent)
    n = max(1, len(samples))
    groups: dict[str, list[Sample]] = {"list": [], "incident": [], "write": []}
    by_write: dict[str, list[Sample]] = {}
    for s in samples:
        (groups[s.kind] if s.kind in READS else groups["write"]).append(s)
        if s.kind not in READS:
            by_write.setdefault(s.kind, []).append(s)
    groups["all"] = samples
    sent_times = sorted(s.sent for s in sent)
    send_span = sent_times[-1] - sent_times[0] if len(sent_times) > 1 else 0.0
    answered = sum(1 for s in samples if not s.error)
    return {
        "requests": len(samples),
        "window_seconds": round(seconds, 3),
        "sent_per_s": round((len(sent_times) - 1) / send_span, 1) if send_span else 0.0,
        "answered_per_s": round(answered / seconds, 1) if seconds > 0 else 0.0,
        "by_kind": {name: _stats(group) for name, group in groups.items()},
        "writes_by_kind": {name: _stats(group) for name, group in sorted(by_write.items())},
        "send_lag_ms": {
            "p50": _ms(percentile(lags, 50)),
            "p99": _ms(percentile(lags, 99)),
            "max": _ms(lags[-1] if lags else math.nan),
        },
        "late_ms": late_ms,
        "late": sum(1 for lag in lags if lag * 1000 > late_ms),
        "not_sent": len(samples) - len(sent),
        "unanswered": sum(1 for s in sent if math.isnan(s.done)),
        "connections_opened": pool.opened,
        "connections_peak": pool.peak,
        "connection_waits": pool.waits,
        "peak_in_flight": peak_in_flight,  # sent and unanswered, or waiting for a connection
        "write_conflicts": conflicts,
        "cpu_ms_per_request": {name: round(1000 * s / n, 3) for name, s in used.items()},
        "per_request": {
            name: round((value - counted0[name]) / n, 3) for name, value in counted1.items()
        },
        "other_busy_cores": round(max(0.0, others) / seconds, 2) if seconds > 0 else 0.0,
        "errors": sum(1 for s in samples if s.error),
        "first_errors": [s.error for s in samples if s.error][:5],
    }


def _stats(group: list[Sample]) -> dict[str, Any]:
    good = [s for s in group if not s.error]
    latency = sorted(s.done - s.scheduled for s in good)
    service = sorted(s.done - s.sent for s in good)
    return {
        "n": len(group),
        "ok": len(good),
        "errors": len(group) - len(good),
        "p50_ms": _ms(percentile(latency, 50)),
        "p90_ms": _ms(percentile(latency, 90)),
        "p99_ms": _ms(percentile(latency, 99)),
        "max_ms": _ms(latency[-1] if latency else math.nan),
        "mean_ms": _ms(sum(latency) / len(latency) if latency else math.nan),
        "service_p50_ms": _ms(percentile(service, 50)),
        "service_p99_ms": _ms(percentile(service, 99)),
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
