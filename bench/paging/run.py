"""Paging benchmarks (issue 10): declaration → page handed to the notifier (idle and 100 at
once), escalation lateness under that load, and pages per second through a local notifier
server with one and three `tocsin worker` processes on PostgreSQL, with the server CPU per
page. Baselines measured in the same run: the notifier's own round trip to the same server,
and Alertmanager's alert → webhook hand-off when `prometheus-alertmanager` is installed.
See README.md beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "src"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import httpx  # noqa: E402
import psycopg  # noqa: E402
import yaml  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.api_latency.load import machine_busy_seconds  # noqa: E402
from bench.jobs.cpu import own_seconds, process_seconds, tree_seconds  # noqa: E402
from tests.support.fakes.base import Answer, Request, running  # noqa: E402
from tests.support.fakes.receiver import FakeReceiver  # noqa: E402
from tests.support.paging import paging_config  # noqa: E402
from tests.support.postgres import fresh_database, running_postgres  # noqa: E402
from tocsin.bootstrap import Tocsin, build  # noqa: E402
from tocsin.core.notify import ContactKind, ContactMethod, Notification, Purpose  # noqa: E402
from tocsin.core.scope import Scope  # noqa: E402
from tocsin.core.timeline import EntryKind  # noqa: E402
from tocsin.integrations.notifiers.webhook import Webhook, WebhookNotifier  # noqa: E402
from tocsin.store import database  # noqa: E402
from tocsin.worker.loop import Worker  # noqa: E402

RESULTS = ROOT / ".bench" / "paging.json"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
PEOPLE = ("ann",)  # one page per incident: the on-call person's webhook
GOALS = {"idle_p99_ms": 10.0, "burst_p99_ms": 100.0, "lateness_p99_ms": 100.0}
WAIT_S = 120.0
STEP_AFTER_S = 2.0  # the watched incidents' one step is due this long after the declaration
WATCHED = "watched"  # their service, routed to that policy
WARM_UP = 5  # idle declarations not measured (as the baselines' first sends)
IDLE_SPACING_S = 0.05  # idle: the watched incidents' steps fall due one at a time


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 2)


def stats(values: list[float]) -> dict[str, float | int | None]:
    return {"n": len(values), "p50": percentile(values, 50), "p99": percentile(values, 99),
            "max": round(max(values), 2) if values else None}  # fmt: skip


class Stamped(FakeReceiver):
    """The webhook receiver, noting when each request arrived (perf_counter) and for what:
    the path (the person or `/am`) and the CloudEvents subject (the incident)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, float] = {}  # subject -> first arrival
        self.wall: dict[str, float] = {}  # subject -> first arrival, epoch seconds
        self.repeats = 0

    def _answer(self, request: Request) -> Answer:
        at = time.perf_counter()
        subject = _subject(request)
        if subject in self.arrivals:
            self.repeats += 1
        else:
            self.arrivals[subject] = at
            self.wall[subject] = time.time()
        return super()._answer(request)

    def reset(self) -> None:
        """A new cell: its incidents are numbered from INC-1 again."""
        self.arrivals.clear()
        self.wall.clear()

    def wait_for(self, subjects: set[str], timeout: float = WAIT_S) -> bool:
        deadline = time.monotonic() + timeout
        while not subjects <= self.arrivals.keys():
            if time.monotonic() > deadline:
                return False
            self.wait_for_requests(len(self.requests) + 1, 0.05)
        return True


def _subject(request: Request) -> str:
    body = request.json()
    if isinstance(body, dict) and "subject" in body:
        return str(body["subject"])
    return "am:" + body["alerts"][0]["labels"]["alertname"]  # Alertmanager's webhook


# -- baselines -----------------------------------------------------------------------------


def notifier_round_trip(receiver: Stamped, count: int = 200) -> dict[str, Any]:
    """Tocsin's webhook notifier alone: send → the receiver has it, and the whole send."""
    notifier = WebhookNotifier({"x": Webhook(f"{receiver.url}/x")})
    to = ContactMethod(ContactKind.WEBHOOK, "x")
    arrive, whole = [], []
    for i in range(count + 10):
        n = Notification(Purpose.PAGE, "t", "x", f"RT-{i}", "P1", idempotency_key=f"rt{i}")
        start = time.perf_counter()
        notifier.send(to, n)
        end = time.perf_counter()
        if i >= 10:  # the first ones open the connection
            arrive.append((receiver.arrivals[f"RT-{i}"] - start) * 1000)
            whole.append((end - start) * 1000)
    notifier.close()
    return {"hand_off_ms": stats(arrive), "send_ms": stats(whole)}


def alertmanager_hand_off(receiver: Stamped, work: Path, count: int = 100) -> dict[str, Any]:
    """Alertmanager's POST /api/v2/alerts → its webhook at the receiver, one alert at a time
    (each its own group, group_wait 0s)."""
    if not Path(ALERTMANAGER).exists():
        return {"skipped": f"{ALERTMANAGER} is not installed"}
    config = work / "alertmanager.yml"
    config.write_text(
        "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 0s\n"
        "  group_interval: 1h\n  repeat_interval: 4h\nreceivers:\n  - name: hook\n"
        f"    webhook_configs:\n      - url: {receiver.url}/am\n        send_resolved: false\n"
    )
    port = _free_port()
    command = [ALERTMANAGER, f"--config.file={config}", f"--storage.path={work / 'am'}",
               f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
               "--log.level=warn"]  # fmt: skip
    with (work / "alertmanager.log").open("ab") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=log)  # noqa: S603 - fixed binary
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=5) as client:
            _until(lambda: _ok(client, f"{base}/-/ready"), "Alertmanager ready")
            times = []
            for i in range(count + 5):
                name = f"a{i}"
                alert = [{"labels": {"alertname": name, "severity": "critical"}}]
                start = time.perf_counter()
                client.post(f"{base}/api/v2/alerts", json=alert).raise_for_status()
                if not receiver.wait_for({f"am:{name}"}, 10):
                    return {"error": f"alert {name} never reached the webhook"}
                if i >= 5:
                    times.append((receiver.arrivals[f"am:{name}"] - start) * 1000)
        return {"hand_off_ms": stats(times)}
    finally:
        proc.terminate()
        proc.wait(timeout=15)


# -- Tocsin --------------------------------------------------------------------------------


@contextmanager
def tocsin_project(work: Path, url: str, receiver: Stamped) -> Iterator[dict[str, str]]:
    work.mkdir(parents=True, exist_ok=True)
    receiver.reset()
    (work / "tocsin.yaml").write_text(bench_yaml(receiver.url), encoding="utf-8")
    engine = database.create(url)
    database.upgrade(engine)
    engine.dispose()
    env = {"TOCSIN_CONFIG": str(work / "tocsin.yaml"), "TOCSIN_DATABASE_URL": url}
    yield env


def bench_yaml(receiver_url: str) -> str:
    """The chaos test's tocsin.yaml (one step, `after: 0m`: it fires in the declaration's
    transaction), plus a policy for the `watched` service whose one step is due
    STEP_AFTER_S later: a step job, to measure how late a step due under load fires."""
    config = paging_config(receiver_url, PEOPLE)
    later = {"after": int(STEP_AFTER_S), "notify": ["schedule:primary"]}
    config["escalation"]["policies"].append({"name": "later", "steps": [later]})
    config["escalation"]["routes"] = [{"services": [WATCHED], "policy": "later"}]
    return yaml.safe_dump(config, allow_unicode=True)


class Workers:
    """`tocsin worker` processes (the command as users run it), from this checkout."""

    threads = 1  # `--concurrency` of each (`--worker-threads`)

    def __init__(self, env: dict[str, str], work: Path, count: int, wait: bool = True) -> None:
        full = {**os.environ, **env, "PYTHONPATH": str(ROOT / "src")}
        full.pop("TOCSIN_URL", None)
        self.log = work / "workers.log"
        command = [sys.executable, "-m", "tocsin", "worker", "--poll", "2"]
        command += ["--concurrency", str(self.threads)]
        with self.log.open("ab") as out:
            self.procs = [
                subprocess.Popen(  # noqa: S603 - this checkout's own command
                    command,
                    env=full,
                    stdout=out,
                    stderr=out,
                )
                for _ in range(count)
            ]
        if wait:
            _until(lambda: self.log.read_text().count("listening for jobs") >= count, "workers")

    def cpu_s(self) -> float:
        return sum(process_seconds(p.pid) or 0.0 for p in self.procs)

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=30)


def declare_one(tocsin: Tocsin, i: int) -> tuple[str, float, float]:
    start = time.perf_counter()
    ref = tocsin.incidents.declare("bench", f"Outage {i}", "P3").incident.id
    return ref, start, time.perf_counter()


def latency(
    tocsin: Tocsin, receiver: Stamped, idle: int, burst: int, threads: int, watched: int
) -> dict[str, Any]:
    """Idle: one declaration at a time, each waiting for its page. Burst: `burst`
    declarations at once from `threads` threads (started together at a barrier). From the
    declare call, and from its COMMIT (its return), to the page at the receiver; the page
    job's lateness (its attempt marker minus its due time, the declaration). Steps: `watched`
    incidents whose step is due STEP_AFTER_S after their declaration, once with the worker
    idle and once falling due during the burst; their lateness is the step's timeline entry
    minus that due time."""
    out: dict[str, Any] = {}
    idle_refs = []
    from_call, from_commit, commit_wall = [], [], {}
    for i in range(-WARM_UP, idle):  # the first few open connections and compile statements
        ref, start, committed = declare_one(tocsin, i)
        if not receiver.wait_for({ref}):
            raise RuntimeError(f"no page for {ref}")
        if i < 0:
            continue
        commit_wall[ref] = committed - time.perf_counter() + time.time()
        from_call.append((receiver.arrivals[ref] - start) * 1000)
        from_commit.append((receiver.arrivals[ref] - committed) * 1000)
        idle_refs.append(ref)
    out["idle"] = {"from_declare_ms": stats(from_call), "from_commit_ms": stats(from_commit),
                   "from_commit_all_ms": sorted(round(v, 2) for v in from_commit),
                   "lateness_ms": stats(page_lateness(tocsin, idle_refs)),
                   "split_p50_ms": split(tocsin, receiver, commit_wall)}  # fmt: skip
    quiet = declare_watched(tocsin, watched, 10_000, spaced_s=IDLE_SPACING_S)
    time.sleep(STEP_AFTER_S + 0.5)  # the worker sleeps until each is due, idle
    if not receiver.wait_for(set(quiet)):
        raise RuntimeError("pages missing for the idle steps")
    out["idle"]["step_lateness_ms"] = stats(step_lateness(tocsin, quiet))
    # The burst's watched steps: declared first, due while the burst runs.
    loaded = declare_watched(tocsin, watched, 20_000)
    first_due = min(tocsin.incidents.get(r).declared_at for r in loaded).timestamp() + STEP_AFTER_S
    time.sleep(max(0.0, first_due - time.time() - 0.1))  # the burst starts 0.1 s before
    found: list[tuple[str, float, float]] = []
    lock = threading.Lock()
    gate = threading.Barrier(threads)
    todo = iter(range(idle, idle + burst))

    def declaring() -> None:
        gate.wait()
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            result = declare_one(tocsin, i)
            with lock:
                found.append(result)

    burst_wall = time.time()
    running = [threading.Thread(target=declaring) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    declared_wall = time.time()
    if not receiver.wait_for({ref for ref, _, _ in found} | set(loaded)):
        raise RuntimeError("pages missing after the burst")
    first = min(start for _, start, _ in found)
    last_page = max(receiver.wall[r] for r, _, _ in found)
    due = [tocsin.incidents.get(r).declared_at.timestamp() + STEP_AFTER_S for r in loaded]
    out["burst"] = {
        "from_declare_ms": stats([(receiver.arrivals[r] - s) * 1000 for r, s, _ in found]),
        "from_commit_ms": stats([(receiver.arrivals[r] - c) * 1000 for r, _, c in found]),
        "from_burst_start_ms": stats([(receiver.arrivals[r] - first) * 1000 for r, _, _ in found]),
        "declare_ms": stats([(c - s) * 1000 for _, s, c in found]),
        "lateness_ms": stats(page_lateness(tocsin, [r for r, _, _ in found])),
        "step_lateness_ms": stats(step_lateness(tocsin, loaded)),
        "steps_due_in_burst": sum(burst_wall <= d <= max(declared_wall, last_page) for d in due),
        "steps_watched": len(loaded),
    }
    return out


def declare_watched(tocsin: Tocsin, count: int, offset: int, spaced_s: float = 0) -> list[str]:
    """`count` incidents of the watched service (their step is a job), back to back or
    `spaced_s` apart (idle: each step due alone)."""
    refs = []
    for i in range(count):
        title = f"Watched {offset + i}"
        refs.append(tocsin.incidents.declare("bench", title, "P3", Scope((WATCHED,))).incident.id)
        time.sleep(spaced_s)
    return refs


def split(tocsin: Tocsin, receiver: Stamped, committed: dict[str, float]) -> dict[str, Any]:
    """Where an idle hand-off's time goes (p50 of each part, wall clock): the declare's
    COMMIT returned (the step and the page job are in it) → the page's attempt marker
    (wake-up, claim, the marker's transaction) → the receiver has it (the marker's COMMIT,
    rendering, the HTTP request)."""
    parts: dict[str, list[float]] = {"commit_to_marker": [], "marker_to_receiver": []}
    for ref, at in committed.items():
        entries = tocsin.incidents.timeline(ref)
        marker = next(e.at for e in entries if e.kind is EntryKind.PAGE).timestamp()
        parts["commit_to_marker"].append((marker - at) * 1000)
        parts["marker_to_receiver"].append((receiver.wall[ref] - marker) * 1000)
    return {name: percentile(values, 50) for name, values in parts.items()}


def page_lateness(tocsin: Tocsin, refs: list[str]) -> list[float]:
    """The page job's attempt marker minus its due time (the declaration: the first step
    fires in the declaration's transaction), in Tocsin's own clock."""
    late = []
    for ref in refs:
        entries = tocsin.incidents.timeline(ref)
        due = next(e.at for e in entries if e.kind is EntryKind.DECLARED)
        marked = next(e.at for e in entries if e.kind is EntryKind.PAGE)
        late.append((marked - due).total_seconds() * 1000)
    return late


def step_lateness(tocsin: Tocsin, refs: list[str]) -> list[float]:
    """The step's timeline entry minus its due time (STEP_AFTER_S after the declaration)."""
    late = []
    for ref in refs:
        entries = tocsin.incidents.timeline(ref)
        due = next(e.at for e in entries if e.kind is EntryKind.DECLARED)
        fired = next(
            e.at for e in entries if e.kind is EntryKind.ESCALATION and e.data["event"] == "step"
        )
        late.append((fired - due).total_seconds() * 1000 - STEP_AFTER_S * 1000)
    return late


def latency_cell(name: str, url: str, receiver: Stamped, work: Path, mode: str,
                 idle: int, burst: int, threads: int, watched: int) -> dict[str, Any]:  # fmt: skip
    """mode: `in-process` (a worker thread beside the declarations, as `tocsin serve`
    runs it: woken by JobSignal) or `process` (one `tocsin worker`, woken by NOTIFY)."""
    with tocsin_project(work, url, receiver) as env:
        tocsin = build(env=env, cwd=work)
        worker = workers = None
        if mode == "in-process":
            worker = Worker.wired(tocsin)
            worker.start()
        else:
            workers = Workers(env, work, 1)
        try:
            found = latency(tocsin, receiver, idle, burst, threads, watched)
        finally:
            if worker is not None:
                worker.stop()
            if workers is not None:
                workers.stop()
            tocsin.engine.dispose()
    return {"cell": name, "mode": mode, "burst_threads": threads, **found}


def throughput_cell(name: str, url: str, receiver: Stamped, work: Path, count: int,
                    pages: int, postmaster: int | None) -> dict[str, Any]:  # fmt: skip
    """Two measures with `count` `tocsin worker` processes. *Keeping up*: `pages` incidents
    declared from 4 threads as fast as they go with the workers running; pages/s from the
    first declaration to the last page (bounded by the declarations when the workers keep
    up). *Drain*: as many page jobs queued with no worker running, then the workers
    started; pages/s from the first page at the receiver to the last, and the CPU of the
    workers and PostgreSQL over that span: the workers' own ceiling."""
    with tocsin_project(work, url, receiver) as env:
        tocsin = build(env=env, cwd=work)
        try:
            workers = Workers(env, work, count)
            try:
                kept = _keeping_up(tocsin, receiver, workers, pages, postmaster, 0)
            finally:
                workers.stop()
            drained = _drain(tocsin, receiver, env, work, count, pages, postmaster)
        finally:
            tocsin.engine.dispose()
    return {"cell": name, "workers": count, "pages": pages, **kept, "drain": drained}


def _declare_many(tocsin: Tocsin, pages: int, offset: int) -> list[str]:
    refs: list[str] = []
    lock = threading.Lock()

    def declare(k: int) -> None:
        for i in range(offset + k, offset + pages, 4):
            ref = tocsin.incidents.declare("bench", f"Load {i}", "P3").incident.id
            with lock:
                refs.append(ref)

    threads = [threading.Thread(target=declare, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return refs


def _keeping_up(tocsin: Tocsin, receiver: Stamped, workers: Workers, pages: int,
                postmaster: int | None, offset: int) -> dict[str, Any]:  # fmt: skip
    cpu0 = (workers.cpu_s(), _pg_s(postmaster), own_seconds(), machine_busy_seconds())
    start = time.perf_counter()
    refs = _declare_many(tocsin, pages, offset)
    declared = time.perf_counter() - start
    if not receiver.wait_for(set(refs)):
        raise RuntimeError("pages missing")
    span = max(receiver.arrivals[r] for r in refs) - start
    cpu1 = (workers.cpu_s(), _pg_s(postmaster), own_seconds(), machine_busy_seconds())
    workers_s, pg_s, bench_s, busy_s = (b - a for a, b in zip(cpu0, cpu1, strict=True))
    return {
        "seconds": round(span, 2), "declared_in_s": round(declared, 2),
        "pages_per_s": round(pages / span, 1),
        "workers_cpu_ms_per_page": round(workers_s / pages * 1000, 2),
        "postgresql_cpu_ms_per_page": round(pg_s / pages * 1000, 2),
        "load_generator_cpu_ms_per_page": round(bench_s / pages * 1000, 2),
        "server_cpu_ms_per_page": round((workers_s + pg_s) / pages * 1000, 2),
        "other_cores": round((busy_s - workers_s - pg_s - bench_s) / span, 2),
    }  # fmt: skip


def _drain(tocsin: Tocsin, receiver: Stamped, env: dict[str, str], work: Path, count: int,
           pages: int, postmaster: int | None) -> dict[str, Any]:  # fmt: skip
    refs = _declare_many(tocsin, pages, 100_000)  # queued: no worker runs
    workers = Workers(env, work, count, wait=False)
    try:
        _until(lambda: any(r in receiver.arrivals for r in refs), "the first drained page")
        cpu0 = (workers.cpu_s(), _pg_s(postmaster))
        first = min(receiver.arrivals[r] for r in refs if r in receiver.arrivals)
        if not receiver.wait_for(set(refs)):
            raise RuntimeError("drained pages missing")
        last = max(receiver.arrivals[r] for r in refs)
        cpu1 = (workers.cpu_s(), _pg_s(postmaster))
    finally:
        workers.stop()
    done = sum(1 for r in refs if receiver.arrivals[r] > first)  # after the first one
    workers_s, pg_s = (b - a for a, b in zip(cpu0, cpu1, strict=True))
    return {
        "pages_per_s": round(done / (last - first), 1),
        "server_cpu_ms_per_page": round((workers_s + pg_s) / done * 1000, 2),
        "workers_cpu_ms_per_page": round(workers_s / done * 1000, 2),
        "postgresql_cpu_ms_per_page": round(pg_s / done * 1000, 2),
    }  # fmt: skip


def _pg_s(postmaster: int | None) -> float:
    return tree_seconds(postmaster) if postmaster else 0.0


def _postmaster(url: str) -> int | None:
    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname="postgres") as conn:
        row = conn.execute(
            "SELECT setting FROM pg_settings WHERE name = 'data_directory'"
        ).fetchone()
    if row is None:
        return None
    try:
        return int((Path(row[0]) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError):
        return None  # the data directory is not readable to us: no PostgreSQL CPU


def _until(done: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready within {timeout} s")
        time.sleep(0.05)


def _ok(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.HTTPError:
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle", type=int, default=50, help="declarations one at a time")
    parser.add_argument("--burst", type=int, default=100, help="declarations at once")
    parser.add_argument(
        "--sqlite-threads", type=int, default=16, help="threads declaring a SQLite burst"
    )
    parser.add_argument("--pages", type=int, default=300, help="pages per throughput cell")
    parser.add_argument(
        "--watched", type=int, default=50, help="incidents whose step is a job due in 2 s"
    )
    parser.add_argument(
        "--worker-threads", type=int, default=1, help="`tocsin worker --concurrency` (PostgreSQL)"
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    Workers.threads = args.worker_threads
    cells: list[dict[str, Any]] = []
    started = time.monotonic()
    busy0, t0 = machine_busy_seconds(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-paging-") as tmp, running(Stamped()) as server:
        receiver = cast(Stamped, server)
        work = Path(tmp)
        baseline = {"notifier": notifier_round_trip(receiver),
                    "alertmanager": alertmanager_hand_off(receiver, work)}  # fmt: skip
        print("baselines", json.dumps(baseline))
        sqlite = f"sqlite:///{work / 'sqlite' / 'tocsin.db'}"
        cells.append(latency_cell("sqlite in-process", sqlite, receiver, work / "sqlite",
                                  "in-process", args.idle, args.burst,
                                  args.sqlite_threads, args.watched))  # fmt: skip
        print(json.dumps(cells[-1]))
        if not args.skip_postgres:
            with running_postgres(work / "pg") as admin:
                postmaster = _postmaster(admin)
                for name, mode in (("pg in-process", "in-process"), ("pg 1 worker", "process")):
                    url = fresh_database(admin, name.replace(" ", "_").replace("-", "_"))
                    cells.append(latency_cell(name, url, receiver, work / name, mode,
                                              args.idle, args.burst, args.burst,
                                              args.watched))  # fmt: skip
                    print(json.dumps(cells[-1]))
                for count in (1, 3):
                    name = f"pg throughput w{count}"
                    url = fresh_database(admin, f"tp{count}")
                    cells.append(throughput_cell(name, url, receiver, work / name, count,
                                                 args.pages, postmaster))  # fmt: skip
                    print(json.dumps(cells[-1]))
        repeats = receiver.repeats
    other = (machine_busy_seconds() - busy0) / (time.monotonic() - t0)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(), "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_before": os.getloadavg(), "machine_busy_cores": round(other, 2),
        "worker_threads": args.worker_threads,
        "seconds": round(time.monotonic() - started, 1), "baseline": baseline, "cells": cells,
        "repeated_pages": repeats, "goals": GOALS,
    }  # fmt: skip
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print_table(report)
    return 0


def print_table(report: dict[str, Any]) -> None:
    base = report["baseline"]
    rt = base["notifier"]["hand_off_ms"]
    am = base["alertmanager"].get("hand_off_ms")
    print(f"\nnotifier round trip alone: p50 {rt['p50']} ms, p99 {rt['p99']} ms")
    if am:
        print(f"Alertmanager alert -> webhook: p50 {am['p50']} ms, p99 {am['p99']} ms")
    print("\n| cell | phase | from declare p50/p99 ms | from commit p50/p99 ms "
          "| page job lateness p99 ms | step lateness p50/p99 ms |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|")
    for cell in report["cells"]:
        for phase in ("idle", "burst"):
            if phase in cell:
                c = cell[phase]
                print(f"| {cell['cell']} | {phase} | {c['from_declare_ms']['p50']} / "
                      f"{c['from_declare_ms']['p99']} | {c['from_commit_ms']['p50']} / "
                      f"{c['from_commit_ms']['p99']} | {c['lateness_ms']['p99']} | "
                      f"{c['step_lateness_ms']['p50']} / "
                      f"{c['step_lateness_ms']['p99']} |")  # fmt: skip
        if "pages_per_s" in cell:
            d = cell["drain"]
            print(f"| {cell['cell']} | {cell['pages']} pages | keeping up {cell['pages_per_s']} "
                  f"pages/s, server CPU {cell['server_cpu_ms_per_page']} ms/page | drain "
                  f"{d['pages_per_s']} pages/s, server CPU {d['server_cpu_ms_per_page']} "
                  "ms/page | |")  # fmt: skip
    print(
        f"\nmachine busy (all processes): {report['machine_busy_cores']} cores; "
        f"load before {report['load_before']}; {report['seconds']} s"
    )


def _commit() -> str:
    command = ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
