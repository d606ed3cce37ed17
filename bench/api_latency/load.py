"""The load generator: N concurrent keep-alive HTTP/1.1 clients on one asyncio loop.

Each client owns one connection and sends its next request as soon as the previous answer is
read (a closed loop, no think time). Requests come from a fixed list (bounded count, and each
phase is bounded in time too); a request's latency runs from writing the request to reading the
last byte of the body.

The client speaks just enough HTTP/1.1 on asyncio streams (Content-Length and chunked bodies)
to cost ~0.1 ms of CPU a request: httpx.AsyncClient with a 32-connection pool spent ~4 ms of
CPU per request here, which made the load generator, not the server, the bottleneck on a
2-core machine. CPU time of the server (and PostgreSQL) is read from /proc around each phase,
so the report says how much of a request is the server's own work, and how busy the rest of
the machine was (other people's test runs skew a shared machine's figures).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    paths: Sequence[str]
    """The measured request targets, used in order (and again from the start if N is larger)."""
    warmup_paths: Sequence[str]


@dataclass(slots=True)
class PhaseResult:
    endpoint: str
    concurrency: int
    example_path: str
    requests: int
    errors: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    mean_body_bytes: float
    cpu_ms_per_request: dict[str, float] = field(default_factory=dict)
    """CPU time per request of the server, the database (PostgreSQL) and this client."""
    per_request: dict[str, float] = field(default_factory=dict)
    """Other counters' growth per request, e.g. database sessions opened."""
    other_busy_cores: float = 0.0
    """Cores kept busy by processes not part of the benchmark, on average over the phase."""
    first_errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class HttpError(Exception):
    pass


IO_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects after the server closed it."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"give a host and a port: {base_url}")
        self.host, self.port = parts.hostname, parts.port
        lines = [f"Host: {parts.hostname}:{parts.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self._head = "\r\n".join(lines).encode() + b"\r\n"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self._send(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self._head + b"\r\n")

    async def post_json(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = b"POST " + path.encode() + b" HTTP/1.1\r\n" + self._head
        head += b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        return await self._send(head + body)

    async def _send(self, request: bytes) -> tuple[int, bytes]:
        if self._reader is not None and self._reader.at_eof():  # the server closed it idle
            await self.close()
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._reader, self._writer
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length, chunked, close = None, False, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                key = name.strip().lower()
                if key == b"content-length":
                    length = int(value)
                elif key == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                elif key == b"connection":
                    close = b"close" in value.lower()
            if chunked:
                body = await _chunked(reader)
            elif length is not None:
                body = await reader.readexactly(length)
            else:
                body = await reader.read()
                close = True
        except IO_ERRORS:
            await self.close()
            raise
        if close:
            await self.close()
        return status, body

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of these processes (all their threads) and their live
    descendants. A process that exited since is not counted: see the README on PostgreSQL."""
    children: dict[int, list[int]] = {}
    stats: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw.rpartition(")")[2].split()
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        stats[pid] = (int(fields[11]), int(fields[12]))  # utime, stime
    total = 0
    todo = list(pids)
    seen: set[int] = set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        utime, stime = stats.get(pid, (0, 0))
        total += utime + stime
        todo.extend(children.get(pid, ()))
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user and nice
    return (sum(fields) - idle - guest) / CLOCK_TICKS


async def _phase(
    connections: Sequence[Connection], paths: Sequence[str], requests: int, max_seconds: float
) -> tuple[list[float], list[str], int, float]:
    latencies: list[float] = []
    errors: list[str] = []
    body_bytes = 0
    next_index = 0
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker(conn: Connection) -> None:
        nonlocal next_index, body_bytes
        while next_index < requests and time.perf_counter() < deadline:
            path = paths[next_index % len(paths)]
            next_index += 1
            t0 = time.perf_counter()
            try:
                status, body = await conn.get(path)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                errors.append(f"{path}: {type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - t0
            if status != 200:
                errors.append(f"{path}: HTTP {status} {body[:200]!r}")
                continue
            latencies.append(elapsed)
            body_bytes += len(body)

    await asyncio.gather(*(worker(c) for c in connections))
    return latencies, errors, body_bytes, time.perf_counter() - started


async def measure(
    base_url: str,
    token: str,
    endpoints: Sequence[Endpoint],
    *,
    requests: int,
    warmup: int,
    concurrency: int,
    max_seconds: float,
    cpu_groups: dict[str, list[int]],
    around_phase: Callable[[str], contextlib.AbstractContextManager[None]] | None = None,
    counters: Callable[[], dict[str, float]] | None = None,
) -> list[PhaseResult]:
    """Warm up, then measure each endpoint in turn, alone, under `concurrency` clients."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    connections = [Connection(base_url, headers) for _ in range(concurrency)]
    results = []
    try:
        for endpoint in endpoints:
            await _phase(connections, endpoint.warmup_paths, warmup, max_seconds)
            counted_before = counters() if counters else {}
            cpu_before = {name: cpu_seconds(pids) for name, pids in cpu_groups.items()}
            busy_before = machine_busy_seconds()
            client_before = time.process_time()
            wrapper = around_phase(endpoint.name) if around_phase else contextlib.nullcontext()
            with wrapper:
                latencies, errors, body_bytes, seconds = await _phase(
                    connections, endpoint.paths, requests, max_seconds
                )
            cpu = {name: cpu_seconds(pids) - cpu_before[name] for name, pids in cpu_groups.items()}
            cpu["client"] = time.process_time() - client_before
            others = machine_busy_seconds() - busy_before - sum(cpu.values())
            counted = counters() if counters else {}
            result = _result(
                endpoint, concurrency, latencies, errors, body_bytes, seconds, cpu, others
            )
            sent = max(1, result.requests + result.errors)
            result.per_request = {
                name: round((value - counted_before[name]) / sent, 3)
                for name, value in counted.items()
            }
            results.append(result)
    finally:
        for conn in connections:
            await conn.close()
    return results


def _result(
    endpoint: Endpoint,
    concurrency: int,
    latencies: list[float],
    errors: list[str],
    body_bytes: int,
    seconds: float,
    cpu: dict[str, float],
    others: float,
) -> PhaseResult:
    done = len(latencies)
    ordered = sorted(latencies)
    sent = max(1, done + len(errors))
    return PhaseResult(
        endpoint=endpoint.name,
        concurrency=concurrency,
        example_path=endpoint.paths[0],
        requests=done,
        errors=len(errors),
        seconds=round(seconds, 3),
        requests_per_s=round(done / seconds, 1) if seconds else 0.0,
        p50_ms=_ms(percentile(ordered, 50)),
        p95_ms=_ms(percentile(ordered, 95)),
        p99_ms=_ms(percentile(ordered, 99)),
        max_ms=_ms(ordered[-1] if ordered else math.nan),
        mean_ms=_ms(sum(ordered) / done if done else math.nan),
        mean_body_bytes=round(body_bytes / done, 1) if done else 0.0,
        cpu_ms_per_request={name: round(1000 * s / sent, 3) for name, s in cpu.items()},
        other_busy_cores=round(max(0.0, others) / seconds, 2) if seconds else 0.0,
        first_errors=errors[:5],
    )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def run(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run on uvloop when it is there (uvicorn[standard] brings it): less client overhead."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro_factory())
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro_factory())
