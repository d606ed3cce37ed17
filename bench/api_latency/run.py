"""API latency: p50/p95/p99 of the incident list and of one incident page, 32 clients.

    .venv/bin/python bench/api_latency/run.py [--backend sqlite|postgresql|both]

Seeds 10,000 incidents and 500,000 timeline entries (the SQLite file is cached under
.bench/api_latency/, keyed by the seed version and the schema head; PostgreSQL is a throwaway
server seeded each run), serves Tocsin with uvicorn in a subprocess, and measures with
concurrent keep-alive clients: GET /healthz (the framework floor), GET /api/v1/incidents?limit=50
and GET /api/v1/incidents/INC-<random>. Prints a table and writes .bench/api_latency.json.
Goal (issue #3): p95 under 50 ms. Exits 1 if a request failed, not when the goal is missed.
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

from bench.api_latency import load, profiling, seed  # noqa: E402
from tests.support.postgres import running_postgres  # noqa: E402
from tocsin.config import render_preset  # noqa: E402
from tocsin.store import database  # noqa: E402

WORK = ROOT / ".bench" / "api_latency"
RESULTS = ROOT / ".bench" / "api_latency.json"
SERVE_APP = Path(__file__).with_name("serve_app.py")
GOAL_P95_MS = 50.0
START_TIMEOUT_S = 60.0
QUIET_CORES = 0.25
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True, slots=True)
class Server:
    base_url: str
    token: str
    pid: int


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(
    database_url: str, name: str, serve_app: Path = SERVE_APP, workers: int = 1
) -> Iterator[Server]:
    """`serve_app.py` in a subprocess (its own GIL), until the block ends."""
    config = WORK / "tocsin.yaml"
    config.write_text(render_preset(seed.PRESET), encoding="utf-8")
    token_file = WORK / f"token-{name}"
    token_file.unlink(missing_ok=True)
    port = _free_port()
    log_path = WORK / f"server-{name}.log"
    command = [sys.executable, str(serve_app), "--config", str(config)]
    command += ["--database-url", database_url, "--port", str(port)]
    command += ["--token-file", str(token_file), "--workers", str(workers)]
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own script, with our interpreter
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=WORK
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


def sqlite_seed(reseed: bool) -> tuple[Path, float | None]:
    """The cached seeded SQLite file (made if missing) and the seconds seeding took, if it did."""
    cached = WORK / f"seed-v{seed.SEED_VERSION}-{database.head_revision()}.db"
    if cached.exists() and not reseed:
        return cached, None
    for old in WORK.glob("seed-v*.db*"):
        old.unlink()
    partial = WORK / "seeding.db"
    for leftover in WORK.glob("seeding.db*"):
        leftover.unlink()
    stats = seed.seed(f"sqlite:///{partial}")
    with contextlib.closing(sqlite3.connect(partial)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.replace(cached)
    for leftover in WORK.glob("seeding.db*"):
        leftover.unlink()
    return cached, stats.seconds


Counters = Callable[[], dict[str, float]] | None
Database = tuple[str, dict[str, Any], list[int], Counters]


@contextlib.contextmanager
def sqlite_database(reseed: bool) -> Iterator[Database]:
    cached, seconds = sqlite_seed(reseed)
    run_copy = WORK / "run-sqlite.db"
    for old in WORK.glob("run-sqlite.db*"):
        old.unlink()
    shutil.copyfile(cached, run_copy)  # the server adds a token: keep the cache as seeded
    info = {"seed_seconds": seconds, "seed_cached": seconds is None, "file": str(cached)}
    info["sqlite_version"] = sqlite3.sqlite_version
    try:
        yield f"sqlite:///{run_copy}", info, [], None
    finally:
        for old in WORK.glob("run-sqlite.db*"):
            old.unlink()


@contextlib.contextmanager
def postgres_database() -> Iterator[Database]:
    with (
        tempfile.TemporaryDirectory(prefix="api-latency-") as tmp,
        running_postgres(Path(tmp)) as url,
    ):
        stats = seed.seed(url)
        u = make_url(url)
        with psycopg.connect(
            host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True
        ) as conn:
            row = conn.execute("SELECT pg_backend_pid(), current_setting('server_version')")
            backend_pid, version = row.fetchone() or (0, "")
            postmaster = _parent_pid(backend_pid)
            info = {"seed_seconds": round(stats.seconds, 1), "seed_cached": False}
            info["server_version"] = version

            def sessions() -> dict[str, float]:
                """Connections the server opened: a pool that churns forks a backend each."""
                found = conn.execute(
                    "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
                ).fetchone()
                return {"db_sessions": float(found[0]) if found else 0.0}

            yield url, info, [postmaster], sessions


def _parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def endpoints(requests: int, warmup: int, rng: random.Random) -> list[load.Endpoint]:
    def numbers(k: int) -> list[str]:
        return [f"/api/v1/incidents/INC-{rng.randint(1, seed.INCIDENTS)}" for _ in range(k)]

    return [
        load.Endpoint("healthz", ["/healthz"], ["/healthz"]),
        load.Endpoint("list", ["/api/v1/incidents?limit=50"], ["/api/v1/incidents?limit=50"]),
        load.Endpoint("incident", numbers(requests), numbers(warmup)),
    ]


def run_backend(name: str, args: argparse.Namespace) -> dict[str, Any]:
    opener = sqlite_database(args.reseed) if name == "sqlite" else postgres_database()
    print(f"[{name}] seeding / starting ...", flush=True)
    with (
        opener as (url, info, db_pids, counters),
        serving(url, name, args.serve_app, args.workers) as server,
    ):
        info["background_busy_cores"] = quiet = background_cores()
        if quiet > QUIET_CORES:
            print(f"[{name}] warning: {quiet} cores busy with other work; figures will be skewed")
        print(f"[{name}] {_describe(info)}; server pid {server.pid}; measuring ...", flush=True)
        cpu_groups = {"server": [server.pid]}
        if db_pids:
            cpu_groups["database"] = db_pids
        around = _profiler(args, name, server.pid)
        rng = random.Random(seed.SEED_VERSION)  # noqa: S311 - the same incidents every run
        results = load.run(
            lambda: load.measure(
                server.base_url,
                server.token,
                endpoints(args.requests, args.warmup, rng),
                requests=args.requests,
                warmup=args.warmup,
                concurrency=args.concurrency,
                max_seconds=args.max_phase_seconds,
                cpu_groups=cpu_groups,
                around_phase=around,
                counters=counters,
            )
        )
        single: list[load.PhaseResult] = []
        if args.single:
            single = load.run(
                lambda: load.measure(
                    server.base_url,
                    server.token,
                    endpoints(args.single, 20, rng),
                    requests=args.single,
                    warmup=20,
                    concurrency=1,
                    max_seconds=args.max_phase_seconds,
                    cpu_groups=cpu_groups,
                    counters=counters,
                )
            )
    by_name = {r.endpoint: r for r in results}
    floor = by_name["healthz"].p95_ms
    return {
        "database": info,
        "results": [r.as_json() for r in results],
        "single_client": [r.as_json() for r in single],
        "p95_over_healthz_p95": {
            n: round(r.p95_ms / floor, 1) for n, r in by_name.items() if n != "healthz"
        },
        "goal_p95_under_50ms": {
            n: r.p95_ms < GOAL_P95_MS for n, r in by_name.items() if n != "healthz"
        },
    }


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
        f"{'backend':<11}{'endpoint':<10}{'c':>3}{'n':>6}{'req/s':>7}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'max ms':>8}{'p95/hz':>7}{'srv cpu':>8}{'db cpu':>7}{'other':>6}  goal"
    )
    print(head)
    print("-" * len(head))
    for backend, data in report["backends"].items():
        if "error" in data:
            print(f"{backend:<11}failed: {data['error'].splitlines()[0]}")
            continue
        ratios = data["p95_over_healthz_p95"]
        for r in [*data["results"], *data["single_client"]]:
            loaded = r["concurrency"] > 1
            ratio = ratios.get(r["endpoint"]) if loaded else None
            cpu = r["cpu_ms_per_request"]
            goal = "" if ratio is None else ("ok" if r["p95_ms"] < GOAL_P95_MS else "MISS")
            print(
                f"{backend:<11}{r['endpoint']:<10}{r['concurrency']:>3}{r['requests']:>6}"
                f"{r['requests_per_s']:>7.0f}{r['p50_ms']:>8.1f}{r['p95_ms']:>8.1f}"
                f"{r['p99_ms']:>8.1f}{r['max_ms']:>8.1f}"
                f"{'' if ratio is None else f'{ratio:.1f}x':>7}{cpu['server']:>8.2f}"
                f"{cpu.get('database', float('nan')):>7.2f}{r['other_busy_cores']:>6.1f}  {goal}"
            )
    for backend, data in report["backends"].items():
        churn = [
            f"{r['endpoint']} (c={r['concurrency']}) {r['per_request']['db_sessions']:.2f}"
            for r in [*data.get("results", []), *data.get("single_client", [])]
            if "db_sessions" in r.get("per_request", {})
        ]
        if churn:
            print(f"{backend}: new database connections per request: {', '.join(churn)}")
    print(
        "c: concurrent clients; p95/hz: p95 over the p95 of /healthz in the same run;\n"
        "srv cpu / db cpu: CPU ms per request of the server process / of PostgreSQL;\n"
        "other: cores busy with processes outside the benchmark (a shared machine's noise)"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--requests", type=int, default=3000, help="per endpoint (default 3000)")
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
    parser.add_argument(
        "--serve-app",
        type=Path,
        default=SERVE_APP,
        help="serve with this script instead (same arguments): try a change without src/",
    )
    parser.add_argument("--reseed", action="store_true", help="rebuild the cached SQLite seed")
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
    WORK.mkdir(parents=True, exist_ok=True)
    renice(args.nice)

    started = time.monotonic()
    report: dict[str, Any] = {
        "benchmark": "api_latency",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "settings": {
            "incidents": seed.INCIDENTS,
            "timeline_entries": seed.TIMELINE_ENTRIES,
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
        },
        "backends": {},
    }
    chosen = BACKENDS if args.backend == "both" else (args.backend,)
    for name in chosen:
        try:
            report["backends"][name] = run_backend(name, args)
        except (RuntimeError, OSError) as exc:  # no PostgreSQL, a server that would not start
            print(f"[{name}] FAILED: {exc}", file=sys.stderr)
            report["backends"][name] = {"error": str(exc)}
    report["seconds"] = round(time.monotonic() - started, 1)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print()
    print_table(report)
    print(f"\n{report['seconds']:.0f} s in all; results in {args.out}")
    failed = [
        f"{backend} {r['endpoint']}: {r['errors']} errors, e.g. {r['first_errors'][:1]}"
        for backend, data in report["backends"].items()
        for r in [*data.get("results", []), *data.get("single_client", [])]
        if r["errors"]
    ]
    failed += [f"{b}: {d['error']}" for b, d in report["backends"].items() if "error" in d]
    for line in failed:
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
