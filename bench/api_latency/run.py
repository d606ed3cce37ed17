"""API latency: p50/p95/p99 of the incident list and of one incident page, 32 clients.

    .venv/bin/python bench/api_latency/run.py [--backend sqlite|postgresql|both]
    .venv/bin/python bench/api_latency/run.py --open-loop [--rate 300 --duration 30]
    .venv/bin/python bench/api_latency/run.py --tocsin-src before=/path/to/checkout ...

Seeds 10,000 incidents and 500,000 timeline entries (the SQLite file is cached under
.bench/api_latency/, keyed by the seed version and the schema head; PostgreSQL is a throwaway
server seeded each run), serves Tocsin with uvicorn in a subprocess, and measures with
concurrent keep-alive clients: GET /healthz (the framework floor), GET /api/v1/incidents?limit=50
and GET /api/v1/incidents/INC-<random>. With --open-loop, then sends a mix of those reads and
writes at a fixed rate whatever the answers' speed (openloop.py) and reports latency from each
request's scheduled time. With --tocsin-src, each checkout named gets its own database (seeded
by its own code) and server beside this checkout's, and every phase runs on each in turn.
Prints a table and writes .bench/api_latency.json.
Goals: p95 under 50 ms closed-loop (issue #3), p99 under 50 ms open-loop (issue #8). Exits 1
if a request failed, not when a goal is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.api_latency import checkouts, load, openloop, profiling, seed  # noqa: E402
from bench.api_latency.checkouts import Checkout  # noqa: E402
from tests.support.postgres import fresh_database, running_postgres  # noqa: E402

WORK = ROOT / ".bench" / "api_latency"
RESULTS = ROOT / ".bench" / "api_latency.json"
SERVE_APP = Path(__file__).with_name("serve_app.py")
SEED_SCRIPT = Path(__file__).with_name("seed.py")
GOAL_P95_MS = 50.0
GOAL_OPEN_P99_MS = 50.0
START_TIMEOUT_S = 60.0
QUIET_CORES = 0.25
BACKENDS = ("sqlite", "postgresql")
KEEP_SEEDS = 4
"""Cached SQLite seeds kept (one per schema head): a before/after pair, and a spare."""


@dataclass(frozen=True, slots=True)
class Server:
    base_url: str
    token: str
    pid: int


Counters = Callable[[], dict[str, float]] | None


@dataclass(frozen=True, slots=True)
class Database:
    url: str
    info: dict[str, Any]
    pids: list[int]
    """Processes whose CPU is the database's (PostgreSQL's postmaster and its children)."""
    counters: Counters


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(
    database_url: str,
    name: str,
    checkout: Checkout,
    serve_app: Path = SERVE_APP,
    workers: int = 1,
) -> Iterator[Server]:
    """`serve_app.py` in a subprocess (its own GIL) on `checkout`'s code, until the block
    ends. It writes the preset's config itself, so each checkout renders its own."""
    config = WORK / f"tocsin-{name}.yaml"
    token_file = WORK / f"token-{name}"
    token_file.unlink(missing_ok=True)
    port = _free_port()
    log_path = WORK / f"server-{name}.log"
    command = [sys.executable, str(serve_app), "--config", str(config)]
    command += ["--database-url", database_url, "--port", str(port)]
    command += ["--token-file", str(token_file), "--workers", str(workers)]
    command += ["--preset", seed.PRESET, "--role", "responder"]
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own script, with our interpreter
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=WORK,
            env=checkout.env(),
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_ready(proc, base_url, token_file, log_path)
        yield Server(base_url, token_file.read_text().strip(), proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        token_file.unlink(missing_ok=True)


def _wait_ready(proc: subprocess.Popen[bytes], base_url: str, token: Path, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{_tail(log)}")
        if token.exists():
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT_S:.0f} s:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


SEED_CODE = """
import importlib.util, inspect, json, sys
from bench.api_latency import seed
url, count, harness = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if count != seed.INCIDENTS and "count" not in inspect.signature(seed.seed).parameters:
    # an older seed.py: seeds the full size only; the harness's, on this src, for a small one
    spec = importlib.util.spec_from_file_location("harness_seed", harness)
    seed = sys.modules["harness_seed"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seed)
stats = seed.seed(url) if count == seed.INCIDENTS else seed.seed(url, count)
print(json.dumps({"seconds": stats.seconds, "seed": seed.__file__}))
"""


def seed_with(checkout: Checkout, url: str, incidents: int) -> float:
    """Seed the empty database at `url` with `checkout`'s code, and its own seed.py when it
    has one (in a subprocess); the seconds it took."""
    out = checkout.python(
        SEED_CODE, url, str(incidents), str(SEED_SCRIPT), bench=True, what="seeding"
    )
    seconds: float = json.loads(out.splitlines()[-1])["seconds"]
    return seconds


def seed_key(checkout: Checkout) -> str:
    """What a seeded file depends on: the seed's version and the schema head."""
    return checkout.python(
        "from bench.api_latency import seed; from tocsin.store import database; "
        "print(f'v{seed.SEED_VERSION}-{database.head_revision()}')",
        bench=True,
        what="reading the seed version and schema head",
    )


def sqlite_seed(checkout: Checkout, reseed: bool, incidents: int) -> tuple[Path, float | None]:
    """The cached seeded SQLite file for `checkout`'s schema head (made if missing) and the
    seconds seeding took, if it did. Two checkouts with the same head share one file."""
    size = "" if incidents == seed.INCIDENTS else f"-n{incidents}"
    cached = WORK / f"seed-{seed_key(checkout)}{size}.db"
    if cached.exists() and not reseed:
        cached.touch()
        return cached, None
    partial = cached.with_name(f"seeding-{cached.stem}.db")
    for leftover in [*WORK.glob(f"{partial.name}*"), *WORK.glob(f"{cached.name}*")]:
        leftover.unlink()
    seconds = seed_with(checkout, f"sqlite:///{partial}", incidents)
    with contextlib.closing(sqlite3.connect(partial)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.replace(cached)
    for leftover in WORK.glob(f"{partial.name}*"):
        leftover.unlink()
    stale = sorted(WORK.glob("seed-v*.db"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in stale[KEEP_SEEDS:]:
        old.unlink()
    return cached, seconds


@contextlib.contextmanager
def sqlite_database(checkout: Checkout, reseed: bool, incidents: int) -> Iterator[Database]:
    cached, seconds = sqlite_seed(checkout, reseed, incidents)
    run_copy = WORK / f"run-sqlite-{checkout.label}.db"
    for old in WORK.glob(f"{run_copy.name}*"):
        old.unlink()
    shutil.copyfile(cached, run_copy)  # the server adds a token: keep the cache as seeded
    info = {"seed_seconds": seconds, "seed_cached": seconds is None, "file": str(cached)}
    info["sqlite_version"] = sqlite3.sqlite_version
    try:
        yield Database(f"sqlite:///{run_copy}", info, [], None)
    finally:
        for old in WORK.glob(f"{run_copy.name}*"):
            old.unlink()


@contextlib.contextmanager
def postgres_databases(chosen: list[Checkout], incidents: int) -> Iterator[list[Database]]:
    """One throwaway server; a database per checkout, each seeded by its own code."""
    with (
        tempfile.TemporaryDirectory(prefix="api-latency-") as tmp,
        running_postgres(Path(tmp)) as url,
    ):
        u = make_url(url)
        with psycopg.connect(
            host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True
        ) as conn:
            row = conn.execute("SELECT pg_backend_pid(), current_setting('server_version')")
            backend_pid, version = row.fetchone() or (0, "")
            postmaster = _parent_pid(backend_pid)

            def sessions_of(name: str) -> Callable[[], dict[str, float]]:
                def sessions() -> dict[str, float]:
                    """Connections the server opened: a pool that churns forks a backend each."""
                    found = conn.execute(
                        "SELECT sessions FROM pg_stat_database WHERE datname = %s", (name,)
                    ).fetchone()
                    return {"db_sessions": float(found[0]) if found else 0.0}

                return sessions

            found = []
            for i, checkout in enumerate(chosen):
                db_url = url if i == 0 else fresh_database(url, f"bench_{i}")
                seconds = seed_with(checkout, db_url, incidents)
                info = {"seed_seconds": round(seconds, 1), "seed_cached": False}
                info["server_version"] = version
                name = make_url(db_url).database or ""
                found.append(Database(db_url, info, [postmaster], sessions_of(name)))
            yield found


def _parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def endpoints(
    requests: int, warmup: int, rng: random.Random, incidents: int = seed.INCIDENTS
) -> list[load.Endpoint]:
    def numbers(k: int) -> list[str]:
        return [f"/api/v1/incidents/INC-{rng.randint(1, incidents)}" for _ in range(k)]

    return [
        load.Endpoint("healthz", ["/healthz"], ["/healthz"]),
        load.Endpoint("list", ["/api/v1/incidents?limit=50"], ["/api/v1/incidents?limit=50"]),
        load.Endpoint("incident", numbers(requests), numbers(warmup)),
    ]


@dataclass(frozen=True, slots=True)
class Target:
    """One checkout served on one backend."""

    checkout: Checkout
    server: Server
    database: Database

    @property
    def cpu_groups(self) -> dict[str, list[int]]:
        groups = {"server": [self.server.pid]}
        if self.database.pids:
            groups["database"] = self.database.pids
        return groups


def run_backend(name: str, args: argparse.Namespace, chosen: list[Checkout]) -> dict[str, Any]:
    print(f"[{name}] seeding / starting {', '.join(c.label for c in chosen)} ...", flush=True)
    with contextlib.ExitStack() as stack:
        if name == "sqlite":
            dbs = [
                stack.enter_context(sqlite_database(c, args.reseed, args.incidents)) for c in chosen
            ]
        else:
            dbs = stack.enter_context(postgres_databases(chosen, args.incidents))
        targets = []
        for checkout, db in zip(chosen, dbs, strict=True):
            server = stack.enter_context(
                serving(db.url, f"{name}-{checkout.label}", checkout, args.serve_app, args.workers)
            )
            targets.append(Target(checkout, server, db))
            print(f"[{name}/{checkout.label}] {_describe(db.info)}; server pid {server.pid}")
        quiet = background_cores()
        if quiet > QUIET_CORES:
            print(f"[{name}] warning: {quiet} cores busy with other work; figures will be skewed")
        print(f"[{name}] measuring ...", flush=True)
        per = {t.checkout.label: _checkout_result(t, quiet) for t in targets}
        rng = random.Random(seed.SEED_VERSION)  # noqa: S311 - the same incidents every run
        loaded = endpoints(args.requests, args.warmup, rng, args.incidents)
        single = endpoints(args.single, 20, rng, args.incidents)
        for endpoint in loaded if args.requests else []:  # each endpoint on each checkout
            for t in targets:
                (found,) = closed_loop(
                    name,
                    t,
                    endpoint,
                    args,
                    concurrency=args.concurrency,
                    requests=args.requests,
                    warmup=args.warmup,
                )
                per[t.checkout.label]["results"].append(found.as_json())
        for endpoint in single if args.single else []:
            for t in targets:
                (found,) = closed_loop(
                    name, t, endpoint, args, concurrency=1, requests=args.single, warmup=20
                )
                per[t.checkout.label]["single_client"].append(found.as_json())
        if args.open_loop:
            schedule = open_schedule(args)
            for t in targets:
                print(f"[{name}/{t.checkout.label}] open loop ...", flush=True)
                per[t.checkout.label]["open_loop"] = open_loop(t, schedule, args)
    for data in per.values():
        _ratios(data)
    return {"background_busy_cores": quiet, "checkouts": per}


def _checkout_result(target: Target, quiet: float) -> dict[str, Any]:
    return {
        "checkout": target.checkout.label,
        "database": target.database.info,
        "background_busy_cores": quiet,
        "results": [],
        "single_client": [],
        "open_loop": None,
    }


def _ratios(data: dict[str, Any]) -> None:
    by_name = {r["endpoint"]: r for r in data["results"]}
    floor = by_name.get("healthz", {}).get("p95_ms")
    pages = {n: r for n, r in by_name.items() if n != "healthz"}
    data["p95_over_healthz_p95"] = (
        {n: round(r["p95_ms"] / floor, 1) for n, r in pages.items()} if floor else {}
    )
    data["goal_p95_under_50ms"] = {n: r["p95_ms"] < GOAL_P95_MS for n, r in pages.items()}


def closed_loop(
    backend: str,
    target: Target,
    endpoint: load.Endpoint,
    args: argparse.Namespace,
    *,
    concurrency: int,
    requests: int,
    warmup: int,
) -> list[load.PhaseResult]:
    around = _profiler(args, f"{backend}-{target.checkout.label}", target.server.pid)
    return load.run(
        lambda: load.measure(
            target.server.base_url,
            target.server.token,
            [endpoint],
            requests=requests,
            warmup=warmup,
            concurrency=concurrency,
            max_seconds=args.max_phase_seconds,
            cpu_groups=target.cpu_groups,
            around_phase=around if concurrency > 1 else None,
            counters=target.database.counters,
        )
    )


def open_schedule(args: argparse.Namespace) -> list[openloop.Planned]:
    """The same schedule for every checkout and backend: drawn from a fixed seed."""
    return openloop.plan(
        args.rate,
        args.open_warmup,
        args.duration,
        openloop.parse_mix(args.mix),
        args.incidents,
        random.Random(seed.SEED_VERSION),  # noqa: S311 - a reproducible schedule
        poisson=args.poisson,
    )


def open_loop(
    target: Target, schedule: list[openloop.Planned], args: argparse.Namespace
) -> dict[str, Any]:
    found = load.run(
        lambda: openloop.run(
            target.server.base_url,
            target.server.token,
            schedule,
            connection_limit=args.max_connections,
            late_ms=args.late_ms,
            cpu_groups=target.cpu_groups,
            counters=target.database.counters,
            seed=seed.SEED_VERSION,
        )
    )
    found["goal_p99_under_50ms"] = {
        kind: stats["p99_ms"] < GOAL_OPEN_P99_MS for kind, stats in found["by_kind"].items()
    }
    return found


def _describe(info: dict[str, Any]) -> str:
    if info.get("seed_cached"):
        return f"cached seed {Path(info['file']).name}"
    return f"seeded in {info['seed_seconds']:.1f} s"


def _profiler(
    args: argparse.Namespace, backend: str, pid: int
) -> Callable[[str], contextlib.AbstractContextManager[None]] | None:
    if not args.py_spy:
        return None

    @contextlib.contextmanager
    def around(endpoint: str) -> Iterator[None]:
        out = WORK / f"profile-{backend}-{endpoint}-{args.py_spy_mode}.txt"
        with profiling.recording(args.py_spy, pid, out, mode=args.py_spy_mode):
            yield
        print(profiling.summarize(out), flush=True)

    return around


def print_table(report: dict[str, Any]) -> None:
    head = (
        f"{'backend':<11}{'checkout':<10}{'endpoint':<10}{'c':>3}{'n':>6}{'req/s':>7}"
        f"{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}{'p95/hz':>7}{'srv cpu':>8}"
        f"{'db cpu':>7}{'other':>6}  goal"
    )
    rows = [
        (backend, label, r, data)
        for backend, by_checkout in _checkouts(report)
        for label, data in by_checkout.items()
        for r in [*data["results"], *data["single_client"]]
    ]
    if rows:
        print(head)
        print("-" * len(head))
    for backend, label, r, data in rows:
        loaded = r["concurrency"] > 1
        ratio = data["p95_over_healthz_p95"].get(r["endpoint"]) if loaded else None
        cpu = r["cpu_ms_per_request"]
        goal = ""
        if loaded and r["endpoint"] != "healthz":
            goal = "ok" if r["p95_ms"] < GOAL_P95_MS else "MISS"
        print(
            f"{backend:<11}{label:<10}{r['endpoint']:<10}{r['concurrency']:>3}{r['requests']:>6}"
            f"{r['requests_per_s']:>7.0f}{r['p50_ms']:>8.1f}{r['p95_ms']:>8.1f}"
            f"{r['p99_ms']:>8.1f}{r['max_ms']:>8.1f}"
            f"{'' if ratio is None else f'{ratio:.1f}x':>7}{cpu['server']:>8.2f}"
            f"{cpu.get('database', float('nan')):>7.2f}{r['other_busy_cores']:>6.1f}  {goal}"
        )
    for backend, by_checkout in _checkouts(report):
        for label, data in by_checkout.items():
            churn = [
                f"{r['endpoint']} (c={r['concurrency']}) {r['per_request']['db_sessions']:.2f}"
                for r in [*data["results"], *data["single_client"]]
                if "db_sessions" in r.get("per_request", {})
            ]
            if churn:
                print(
                    f"{backend}/{label}: new database connections per request: {', '.join(churn)}"
                )
    for backend, data in report["backends"].items():
        if "error" in data:
            print(f"{backend}: failed: {data['error'].splitlines()[0]}")
    if rows:
        print(
            "c: concurrent clients (closed loop); p95/hz: p95 over the p95 of /healthz in the "
            "same run;\nsrv cpu / db cpu: CPU ms per request of the server process / of "
            "PostgreSQL;\nother: cores busy with processes outside the benchmark (a shared "
            "machine's noise)"
        )
    print_open_loop(report)


def _checkouts(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (backend, data["checkouts"])
        for backend, data in report["backends"].items()
        if "checkouts" in data
    ]


def print_open_loop(report: dict[str, Any]) -> None:
    found = [
        (backend, label, data["open_loop"])
        for backend, by_checkout in _checkouts(report)
        for label, data in by_checkout.items()
        if data.get("open_loop")
    ]
    if not found:
        return
    s = report["settings"]["open_loop"]
    mix = ", ".join(f"{k} {v:.0%}" for k, v in openloop.parse_mix(s["mix"]).items())
    print(
        f"\nOpen loop: {s['rate']:g} requests/s ({'Poisson' if s['poisson'] else 'evenly spaced'}"
        f" arrivals), {s['duration']:g} s measured after {s['warmup']:g} s of warm-up; {mix}.\n"
        "Latency from each request's scheduled send time; svc p99: from its actual send."
    )
    head = (
        f"{'backend':<11}{'checkout':<10}{'kind':<10}{'n':>6}{'err':>5}{'p50 ms':>8}"
        f"{'p90 ms':>8}{'p99 ms':>8}{'max ms':>8}{'svc p99':>8}  goal"
    )
    print(head)
    print("-" * len(head))
    for backend, label, o in found:
        for kind, k in o["by_kind"].items():
            goal = "ok" if k["p99_ms"] < GOAL_OPEN_P99_MS else "MISS"
            print(
                f"{backend:<11}{label:<10}{kind:<10}{k['n']:>6}{k['errors']:>5}"
                f"{k['p50_ms']:>8.1f}{k['p90_ms']:>8.1f}{k['p99_ms']:>8.1f}{k['max_ms']:>8.1f}"
                f"{k['service_p99_ms']:>8.1f}  {goal if k['n'] else ''}"
            )
    for backend, label, o in found:
        cpu, lag = o["cpu_ms_per_request"], o["send_lag_ms"]
        db = f", PostgreSQL {cpu['database']:.2f}" if "database" in cpu else ""
        print(
            f"{backend}/{label}: sent {o['sent_per_s']:.1f}/s, "
            f"answered {o['answered_per_s']:.1f}/s;"
            f" send lag p50 {lag['p50']:.2f} ms, p99 {lag['p99']:.2f} ms, max {lag['max']:.1f} ms,"
            f" {o['late']} sent over {o['late_ms']:g} ms late, {o['not_sent']} not sent;"
            f"\n  connections: {o['connections_opened']} opened, peak {o['connections_peak']}"
            f" open, peak {o['peak_in_flight']} outstanding, {o['connection_waits']} waits at"
            f" the cap; CPU ms per request: server {cpu['server']:.2f}{db}, client"
            f" {cpu['client']:.2f}; other {o['other_busy_cores']:.2f} cores;"
            f" write conflicts {o['write_conflicts']}"
        )


def renice(by: int) -> None:
    """Lower (or, as root, raise) the benchmark's priority; server processes inherit it."""
    if by:
        try:
            os.nice(by)
        except PermissionError:
            print(f"warning: cannot change niceness by {by} (not root?)", file=sys.stderr)


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = _git("rev-parse", "--short", "HEAD").strip()
    changed = len(_git("status", "--porcelain", "--", "src").splitlines())
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": commit or None,
        "src_files_changed_since_commit": changed,
    }


def _git(*args: str) -> str:
    done = subprocess.run(  # noqa: S603 - fixed git commands
        ["git", *args],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout


def background_cores(seconds: float = 2.0) -> float:
    """Cores busy over `seconds` while the benchmark is idle: other people's work."""
    before = load.machine_busy_seconds() - load.cpu_seconds([os.getpid()])
    time.sleep(seconds)
    after = load.machine_busy_seconds() - load.cpu_seconds([os.getpid()])
    return round((after - before) / seconds, 2)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument(
        "--requests", type=int, default=3000, help="per endpoint (default 3000); 0 skips"
    )
    parser.add_argument("--warmup", type=int, default=300, help="per endpoint (default 300)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=1, help="`tocsin serve --workers N` (default 1)"
    )
    parser.add_argument(
        "--single",
        type=int,
        default=200,
        help="then N requests per endpoint from one client: the service time (default 200)",
    )
    parser.add_argument(
        "--max-phase-seconds", type=float, default=60.0, help="cap on each phase (default 60)"
    )
    opened = parser.add_argument_group("open loop (openloop.py)")
    opened.add_argument(
        "--open-loop",
        action="store_true",
        help="then send a fixed-rate mix of reads and writes whatever the answers' speed",
    )
    opened.add_argument("--rate", type=float, default=300.0, help="requests/s (default 300)")
    opened.add_argument("--duration", type=float, default=30.0, help="seconds measured (30)")
    opened.add_argument(
        "--open-warmup", type=float, default=5.0, help="seconds at the rate first (default 5)"
    )
    opened.add_argument(
        "--poisson", action="store_true", help="Poisson arrivals (default: evenly spaced)"
    )
    opened.add_argument(
        "--mix", default=openloop.DEFAULT_MIX, help=f"shares (default {openloop.DEFAULT_MIX})"
    )
    opened.add_argument(
        "--max-connections",
        type=int,
        default=512,
        help="cap on the open loop's connections; a request that waits for one is late (512)",
    )
    opened.add_argument(
        "--late-ms",
        type=float,
        default=5.0,
        help="a request sent this much after its time counts as not sent on time (default 5)",
    )
    parser.add_argument(
        "--tocsin-src",
        action="append",
        default=[],
        metavar="[LABEL=]DIR",
        help="also serve this checkout of Tocsin (its own database and server), each phase "
        "on each checkout in turn: compare a before and an after in one run; repeatable",
    )
    parser.add_argument(
        "--label",
        default=checkouts.THIS_LABEL,
        help=f"this checkout's name in the report (default {checkouts.THIS_LABEL})",
    )
    parser.add_argument(
        "--serve-app",
        type=Path,
        default=SERVE_APP,
        help="serve with this script instead (same arguments): try a change without src/",
    )
    parser.add_argument("--reseed", action="store_true", help="rebuild the cached SQLite seed")
    parser.add_argument(
        "--incidents",
        type=int,
        default=seed.INCIDENTS,
        help=f"seed this many (50 timeline entries each; default {seed.INCIDENTS:,}): a "
        "smaller seed tries the harness quickly, its figures are not comparable",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--py-spy", metavar="PATH", help="profile the server with this py-spy during each phase"
    )
    parser.add_argument(
        "--py-spy-mode",
        choices=("cpu", "gil", "idle"),
        default="gil",
        help="with --py-spy: sample running threads, the GIL holder (default), or all threads",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="add this to the benchmark's niceness (server and PostgreSQL inherit it); "
        "-10 as root shields the figures from other work on a shared machine",
    )
    args = parser.parse_args(argv)
    try:
        openloop.parse_mix(args.mix)
        args.checkouts = checkouts.chosen(args.label, args.tocsin_src)
    except ValueError as exc:
        parser.error(str(exc))
    if args.incidents < 100:
        parser.error("--incidents: at least 100 (the newest 55 are open or resolved)")
    if args.open_loop and (args.rate <= 0 or args.duration <= 0):
        parser.error("--rate and --duration must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    renice(args.nice)

    started = time.monotonic()
    report: dict[str, Any] = {
        "benchmark": "api_latency",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "checkouts": [c.describe() for c in args.checkouts],
        "settings": {
            "incidents": args.incidents,
            "timeline_entries": args.incidents * (seed.TIMELINE_ENTRIES // seed.INCIDENTS),
            "seed_version": seed.SEED_VERSION,
            "concurrency": args.concurrency,
            "requests_per_endpoint": args.requests,
            "warmup_per_endpoint": args.warmup,
            "single_client_requests": args.single,
            "max_phase_seconds": args.max_phase_seconds,
            "server": "uvicorn, 1 worker process, as `tocsin serve`",
            "serve_app": str(args.serve_app),
            "workers": args.workers,
            "niceness": os.getpriority(os.PRIO_PROCESS, 0),
            "profiled": bool(args.py_spy),
            "goal_p95_ms": GOAL_P95_MS,
            "open_loop": {
                "rate": args.rate,
                "duration": args.duration,
                "warmup": args.open_warmup,
                "poisson": args.poisson,
                "mix": args.mix,
                "write_mix": openloop.WRITE_MIX,
                "max_connections": args.max_connections,
                "late_ms": args.late_ms,
                "goal_p99_ms": GOAL_OPEN_P99_MS,
            }
            if args.open_loop
            else None,
        },
        "backends": {},
    }
    chosen = BACKENDS if args.backend == "both" else (args.backend,)
    for name in chosen:
        try:
            report["backends"][name] = run_backend(name, args, args.checkouts)
        except (RuntimeError, OSError) as exc:  # no PostgreSQL, a server that would not start
            print(f"[{name}] FAILED: {exc}", file=sys.stderr)
            report["backends"][name] = {"error": str(exc)}
    report["seconds"] = round(time.monotonic() - started, 1)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print()
    print_table(report)
    print(f"\n{report['seconds']:.0f} s in all; results in {args.out}")
    failed = failures(report)
    for line in failed:
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


def failures(report: dict[str, Any]) -> list[str]:
    found = []
    for backend, by_checkout in _checkouts(report):
        for label, data in by_checkout.items():
            found += [
                f"{backend}/{label} {r['endpoint']} (c={r['concurrency']}): {r['errors']} "
                f"errors, e.g. {r['first_errors'][:1]}"
                for r in [*data["results"], *data["single_client"]]
                if r["errors"]
            ]
            o = data.get("open_loop")
            if o and o["errors"]:
                first = o["first_errors"][:2]
                found.append(f"{backend}/{label} open loop: {o['errors']} errors, e.g. {first}")
    found += [f"{b}: {d['error']}" for b, d in report["backends"].items() if "error" in d]
    return found


if __name__ == "__main__":
    sys.exit(main())
