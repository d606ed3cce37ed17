"""The load generator, the same for both servers: keep-alive HTTP/1.1 clients on one asyncio
loop (uvloop) posting Alertmanager-API-shaped batches, plus the idle and storm probes.

The client is bench/api_latency's design (a ~60-line HTTP/1.1 reader on asyncio streams, ~0.1 ms
of client CPU a request; httpx costs ~40x that and would measure itself) with POST bodies. Every
alert is distinct (its `instance` label comes from a counter), so each one is a new alert to
both servers, never a repeat of one they hold. Latency runs from writing the request to reading
the last byte of the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.api_latency.load import IO_ERRORS, Connection, machine_busy_seconds, percentile

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DRAIN_TIMEOUT_S = 120.0


class Alerts:
    """Alertmanager `POST /api/v2/alerts` bodies, as Prometheus sends them: firing alerts with
    startsAt, an endsAt in the future, and a generatorURL; or Alertmanager's webhook
    notifications (`webhook`). Each alert gets a new `instance`."""

    def __init__(self, tag: str, services: int = 8) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        self._starts = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._ends = (now + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._tag = tag
        self._services = services
        self._counter = itertools.count()
        self._webhooks = 0
        self.made = 0

    def alert(self, alertname: str, service: str) -> str:
        return json.dumps(self._alert(alertname, service), separators=(",", ":"))

    def _alert(self, alertname: str, service: str) -> dict[str, Any]:
        n = next(self._counter)
        self.made += 1
        instance = f"{self._tag}-{n:08d}"
        labels = {
            "alertname": alertname,
            "service": service,
            "instance": instance,
            "job": "node",
            "severity": "critical",
        }
        alert = {
            "labels": labels,
            "annotations": {"summary": f"{alertname} on {instance}", "runbook": "https://rb/x"},
            "startsAt": self._starts,
            "endsAt": self._ends,
            "generatorURL": "http://prometheus:9090/graph?g0.expr=up%3D%3D0",
        }
        return alert

    def spread(self, size: int) -> bytes:
        """`size` alerts of one alert rule over a few services (one group per service)."""
        base = self.made
        names = [f"svc-{(base + i) % self._services}" for i in range(size)]
        return ("[" + ",".join(self.alert("HighErrorRate", s) for s in names) + "]").encode()

    def one_service(self, size: int, service: str, alertname: str) -> bytes:
        return ("[" + ",".join(self.alert(alertname, service) for _ in range(size)) + "]").encode()

    def webhook(self, size: int, service: str | None = None, alertname: str = "") -> bytes:
        """One notification of Alertmanager's webhook (version 4), as Alertmanager sends a
        group: `size` firing alerts of one alert rule and one service (by default the next
        of the services, in turn), each with its fingerprint, under one groupKey."""
        if service is None:
            service = f"svc-{self._webhooks % self._services}"
            self._webhooks += 1
        alertname = alertname or "HighErrorRate"
        group = {"alertname": alertname, "service": service}
        alerts = [self._webhook_alert(alertname, service) for _ in range(size)]
        body = {
            "receiver": "tocsin",
            "status": "firing",
            "alerts": alerts,
            "groupLabels": group,
            "commonLabels": {**group, "job": "node", "severity": "critical"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "version": "4",
            "groupKey": f'{{}}:{{alertname="{alertname}", service="{service}"}}',
            "truncatedAlerts": 0,
        }
        return json.dumps(body, separators=(",", ":")).encode()

    def _webhook_alert(self, alertname: str, service: str) -> dict[str, Any]:
        alert = self._alert(alertname, service)
        alert["status"] = "firing"
        alert["endsAt"] = "0001-01-01T00:00:00Z"  # what Alertmanager sends while firing
        identity = alert["labels"]["instance"].encode()  # distinct per alert, as labels are
        alert["fingerprint"] = hashlib.blake2b(identity, digest_size=8).hexdigest()
        return alert


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process, all its threads."""
    user, system = process_times(pid)
    return user + system


def process_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of one process, all its threads, and of its live
    descendants (`tocsin serve --workers N` runs the app in child processes)."""
    user = system = 0.0
    for each in _with_descendants(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
        except OSError:  # ended meanwhile
            continue
        user += int(fields[11]) / CLOCK_TICKS
        system += int(fields[12]) / CLOCK_TICKS
    return user, system


def _with_descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


@dataclass(slots=True)
class Latencies:
    """Latencies (seconds) and errors of one phase."""

    samples: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.samples)
        return {
            "n": len(ordered),
            "errors": len(self.errors),
            "p50_ms": _ms(percentile(ordered, 50)),
            "p90_ms": _ms(percentile(ordered, 90)),
            "p99_ms": _ms(percentile(ordered, 99)),
            "max_ms": _ms(ordered[-1]) if ordered else None,
            "mean_ms": _ms(sum(ordered) / len(ordered)) if ordered else None,
            "first_errors": self.errors[:3],
        }


@dataclass(slots=True)
class Cell:
    target: str
    batch: int
    concurrency: int
    seconds: float
    requests: int
    alerts: int
    errors: int
    alerts_per_s: float
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    server_cores: float
    """CPU the server used, in cores (1.0 = one core busy all the window)."""
    client_cores: float
    other_busy_cores: float
    """Cores kept busy by processes outside the benchmark: a shared machine's noise."""
    server_cpu_us_per_alert: float
    server_sys_share: float
    """The share of the server's CPU spent in the kernel (sockets, futexes, fsync)."""
    route: str = ""
    """Which ingestion route (servers.ROUTES) the alerts went to."""
    first_errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


async def closed_loop(
    base_url: str,
    path: str,
    make_body: Callable[[], bytes] | None,
    *,
    target: str,
    batch: int,
    concurrency: int,
    warmup_s: float,
    measure_s: float,
    server_pid: int,
    headers: dict[str, str] | None = None,
    route: str = "",
) -> Cell:
    """`concurrency` clients each post a batch, wait for the answer, post the next (or GET
    `path`, without a body maker: the floor). Counted: answers that arrive within the measure
    window (after `warmup_s`, for `measure_s`)."""
    connections = [Connection(base_url, headers) for _ in range(concurrency)]
    found = Latencies()
    begun = time.perf_counter()
    start, stop = begun + warmup_s, begun + warmup_s + measure_s
    marks: dict[str, tuple[float, float, float, float]] = {}

    async def mark(name: str, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        user, system = process_times(server_pid)
        marks[name] = (user, system, time.process_time(), machine_busy_seconds())

    async def client(conn: Connection) -> None:
        while time.perf_counter() < stop:
            body = make_body() if make_body else b""
            t0 = time.perf_counter()
            try:
                if make_body:
                    status, answer = await conn.post_json(path, body)
                else:
                    status, answer = await conn.get(path)
            except IO_ERRORS as exc:
                if time.perf_counter() >= start:
                    found.errors.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(0.01)
                continue
            t1 = time.perf_counter()
            if not start <= t1 <= stop:
                continue
            if status == 200:
                found.samples.append(t1 - t0)
            else:
                found.errors.append(f"HTTP {status} {answer[:200]!r}")

    try:
        await asyncio.wait_for(
            asyncio.gather(mark("start", start), mark("stop", stop), *map(client, connections)),
            timeout=warmup_s + measure_s + DRAIN_TIMEOUT_S,
        )
    finally:
        for conn in connections:
            await conn.close()
    (usr0, sys0, cli0, busy0), (usr1, sys1, cli1, busy1) = marks["start"], marks["stop"]
    server, client_cpu = usr1 - usr0 + sys1 - sys0, cli1 - cli0
    ordered = sorted(found.samples)
    done = len(ordered)
    alerts = done * batch
    return Cell(
        target=target,
        batch=batch,
        concurrency=concurrency,
        seconds=round(measure_s, 2),
        requests=done,
        alerts=alerts,
        errors=len(found.errors),
        alerts_per_s=round(alerts / measure_s, 1),
        requests_per_s=round(done / measure_s, 1),
        p50_ms=_ms(percentile(ordered, 50)),
        p99_ms=_ms(percentile(ordered, 99)),
        max_ms=_ms(ordered[-1]) if ordered else float("nan"),
        mean_ms=_ms(sum(ordered) / done) if done else float("nan"),
        server_cores=round(server / measure_s, 2),
        client_cores=round(client_cpu / measure_s, 2),
        other_busy_cores=round(max(0.0, busy1 - busy0 - server - client_cpu) / measure_s, 2),
        server_cpu_us_per_alert=round(1e6 * server / alerts, 1) if alerts else float("nan"),
        server_sys_share=round((sys1 - sys0) / server, 2) if server else float("nan"),
        route=route,
        first_errors=found.errors[:3],
    )


async def one_at_a_time(
    base_url: str,
    path: str,
    bodies: Sequence[bytes],
    pause_s: float,
    headers: dict[str, str] | None = None,
) -> Latencies:
    """Post each body alone on an otherwise idle server, `pause_s` apart."""
    conn = Connection(base_url, headers)
    found = Latencies()
    try:
        for body in bodies:
            t0 = time.perf_counter()
            try:
                status, answer = await conn.post_json(path, body)
            except IO_ERRORS as exc:
                found.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - t0
            if status == 200:
                found.samples.append(elapsed)
            else:
                found.errors.append(f"HTTP {status} {answer[:200]!r}")
            await asyncio.sleep(pause_s)
    finally:
        await conn.close()
    return found


async def get_json(base_url: str, path: str, token: str) -> tuple[int, Any]:
    conn = Connection(base_url, {"Authorization": f"Bearer {token}", "Accept": "application/json"})
    try:
        status, body = await conn.get(path)
    finally:
        await conn.close()
    return status, json.loads(body) if body else None


async def poll(
    base_url: str, path: str, token: str, interval_s: float, until: asyncio.Event
) -> Latencies:
    """GET `path` every `interval_s` (at once when the last answer came later) until set."""
    conn = Connection(base_url, {"Authorization": f"Bearer {token}", "Accept": "application/json"})
    found = Latencies()
    try:
        next_at = time.perf_counter()
        while not until.is_set():
            t0 = time.perf_counter()
            try:
                status, answer = await conn.get(path)
            except IO_ERRORS as exc:
                found.errors.append(f"{type(exc).__name__}: {exc}")
                status, answer = 0, b""
            elapsed = time.perf_counter() - t0
            if status == 200:
                found.samples.append(elapsed)
            elif status:
                found.errors.append(f"HTTP {status} {answer[:200]!r}")
            next_at += interval_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(until.wait(), max(0.0, next_at - time.perf_counter()))
            next_at = max(next_at, time.perf_counter() - interval_s)
    finally:
        await conn.close()
    return found


async def storm(
    base_url: str,
    path: str,
    make_body: Callable[[int], bytes],
    *,
    total: int,
    batch: int,
    concurrency: int,
    probe: Callable[[asyncio.Event], Any],
    server_pid: int,
) -> tuple[dict[str, Any], Latencies, Any]:
    """Post `total` alerts in batches from `concurrency` clients while `probe` runs; the probe
    is told to stop when the last batch is answered."""
    connections = [Connection(base_url) for _ in range(concurrency)]
    sent = Latencies()
    remaining = total
    accepted = 0
    done = asyncio.Event()

    async def sender(conn: Connection) -> None:
        nonlocal remaining, accepted
        while remaining > 0:
            size = min(batch, remaining)
            remaining -= size
            body = make_body(size)
            t0 = time.perf_counter()
            try:
                status, answer = await conn.post_json(path, body)
            except IO_ERRORS as exc:
                sent.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if status == 200:
                sent.samples.append(time.perf_counter() - t0)
                accepted += size
            else:
                sent.errors.append(f"HTTP {status} {answer[:200]!r}")

    async def senders() -> None:
        try:
            await asyncio.gather(*map(sender, connections))
        finally:
            done.set()

    cpu0, busy0, client0 = process_cpu(server_pid), machine_busy_seconds(), time.process_time()
    t0 = time.perf_counter()
    try:
        _, probed = await asyncio.gather(senders(), probe(done))
    finally:
        for conn in connections:
            await conn.close()
    seconds = time.perf_counter() - t0
    server = process_cpu(server_pid) - cpu0
    client_cpu = time.process_time() - client0
    busy = machine_busy_seconds() - busy0
    stats = {
        "alerts": total,
        "accepted": accepted,
        "batch": batch,
        "concurrency": concurrency,
        "seconds": round(seconds, 2),
        "alerts_per_s": round(accepted / seconds, 1),
        "server_cores": round(server / seconds, 2),
        "client_cores": round(client_cpu / seconds, 2),
        "other_busy_cores": round(max(0.0, busy - server - client_cpu) / seconds, 2),
    }
    return stats, sent, probed


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
