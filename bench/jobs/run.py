"""Durable jobs: throughput, lateness and double runs of real `tocsin worker` processes.

    .venv/bin/python bench/jobs/run.py                      # everything, ~4-6 minutes
    .venv/bin/python bench/jobs/run.py --backend postgresql --phases steady --seconds 60
    .venv/bin/python bench/jobs/run.py --nice -10           # root: shield the figures

Each cell gets a fresh database (a throwaway PostgreSQL server from tests/support/postgres.py,
one database per cell; or a new SQLite file) and its own `tocsin worker` processes
(bench/jobs/worker.py: the CLI command with a `bench.record` job kind registered). Every run
of a job appends a line to a record kept apart from the `jobs` table (bench/jobs/records.py),
so executions are counted independently. Phases:
1. burst: 10,000 jobs due at one moment, written in one transaction before it; 1 and 3
   workers on PostgreSQL, 1 on SQLite: drain time, jobs/s, lateness (start minus due);
2. floor: the same burst drained by a bare loop on the raw driver (bench/jobs/floor.py), one
   statement per job (`one`) and Tocsin's claim-then-done with a batch of one (`two`);
3. steady: 100 new jobs/s for 30 s, each due when written, one transaction each: lateness;
   on SQLite both from a thread of the worker process (as `tocsin serve`) and from another
   process (found by polling only);
4. kill: the burst on 3 PostgreSQL workers while one, at random, is SIGKILLed every 3 s and
   replaced, with a 3 s lease: jobs run more than once (and whether their first runner was
   killed), jobs never run, lateness.
CPU per job of the workers and of PostgreSQL from /proc, and `other`: cores busy with work
outside the benchmark. Prints a table, writes .bench/jobs.json. Exits 1 if a cell failed or did
not drain; a missed goal is reported (MISS), not an exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "src"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench.api_latency import checkouts  # noqa: E402
from bench.api_latency.run import background_cores, machine, renice  # noqa: E402
from bench.jobs import cells  # noqa: E402
from bench.jobs.cells import Cell, Server, Settings  # noqa: E402
from tests.support.postgres import running_postgres  # noqa: E402
from tocsin.config import render_preset  # noqa: E402

WORK = ROOT / ".bench" / "jobs"
RESULTS = ROOT / ".bench" / "jobs.json"
GOAL_P99_MS = 100.0
QUIET_CORES = 0.25
PHASES = ("burst", "floor", "steady", "kill")
BACKENDS = ("postgresql", "sqlite")
SHORT = {"postgresql": "pg", "sqlite": "sqlite"}


def plan(args: argparse.Namespace) -> list[Cell]:
    """The cells, each on every checkout in turn (so they all see the same machine noise)."""
    several = len(args.checkouts) > 1
    return [
        replace(
            cell,
            name=f"{cell.name}@{checkout.label}" if several else cell.name,
            src=checkout.src,
            checkout=checkout.label,
        )
        for cell in cells_of(args)
        for checkout in args.checkouts[: 1 if cell.phase == "floor" else None]  # no Tocsin
    ]


def cells_of(args: argparse.Namespace) -> list[Cell]:
    found: list[Cell] = []
    for backend in BACKENDS if args.backend == "both" else [args.backend]:
        short = SHORT[backend]
        counts = args.workers if backend == "postgresql" else [1]
        if "burst" in args.phases:
            found += [Cell(f"{short} burst w{n}", backend, "burst", n) for n in counts]
        if "floor" in args.phases:
            found += [
                Cell(f"{short} floor {m}", backend, "floor", 0, floor=m) for m in ("one", "two")
            ]
        if "steady" in args.phases and backend == "postgresql":
            found += [Cell(f"{short} steady w{n}", backend, "steady", n) for n in counts]
        if "steady" in args.phases and backend == "sqlite":
            found.append(Cell("sqlite steady in-process", backend, "steady", 1, "worker"))
            found.append(  # found by polling only: the poll bound, shown in 10 s
                Cell("sqlite steady other process", backend, "steady", 1, "bench", seconds=10.0)
            )
        if "kill" in args.phases and backend == "postgresql":
            n = args.kill_workers
            found.append(Cell(f"{short} kill w{n}", backend, "kill", n))
    return found


@contextlib.contextmanager
def servers(backends: set[str]) -> Iterator[tuple[dict[str, Server], str | None]]:
    """Each backend's server, and PostgreSQL's version (None when not started)."""
    found = {"sqlite": Server("sqlite")}
    if "postgresql" not in backends:
        yield found, None
        return
    with (
        tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp,
        running_postgres(Path(tmp)) as url,
    ):
        u = make_url(url)
        with psycopg.connect(
            host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True
        ) as conn:
            row = conn.execute("SELECT pg_backend_pid(), current_setting('server_version')")
            backend_pid, version = row.fetchone() or (0, "")
        stat = Path(f"/proc/{backend_pid}/stat").read_text()
        postmaster = int(stat.rpartition(")")[2].split()[1])
        found["postgresql"] = Server("postgresql", url, postmaster)
        yield found, str(version)


# -- report ----------------------------------------------------------------------------------


def ratios(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Tocsin's burst with one worker against each floor of its backend: jobs/s (Tocsin over
    floor: under 1 is slower) and server CPU per job (Tocsin over floor: over 1 costs more)."""
    found: dict[str, dict[str, float]] = {}
    for tocsin in [r for r in results if r["phase"] == "burst" and r["workers"] == 1]:
        for floor in [r for r in results if r["phase"] == "floor"]:
            if floor["backend"] != tocsin["backend"] or not floor["jobs_per_s"]:
                continue
            key = f"{tocsin['cell']} / {floor['cell']}"
            found[key] = {
                "jobs_per_s": round(tocsin["jobs_per_s"] / floor["jobs_per_s"], 3),
                "server_cpu_per_job": round(
                    tocsin["cpu_ms_per_job"]["server"] / floor["cpu_ms_per_job"]["server"], 2
                ),
            }
    return found


def goals(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for r in results:
        if r["phase"] == "steady":
            p99 = r["lateness_ms"]["p99"]
            found.append(
                {
                    "goal": f"{r['cell']}: lateness p99 < {GOAL_P99_MS:g} ms at "
                    f"{r['produced']['rate']:g} new jobs/s",
                    "value": p99,
                    "met": p99 < GOAL_P99_MS,
                }
            )
        if r["phase"] == "kill":
            found.append(
                {
                    "goal": f"{r['cell']}: jobs run more than once: 0 ({r['run_twice_after_kill']}"
                    f" after their worker was killed mid-job, {r['run_twice_unexplained']} not)",
                    "value": r["run_twice"],
                    "met": r["run_twice"] == 0,
                }
            )
            if r.get("effects"):
                e = r["effects"]
                found.append(
                    {
                        "goal": f"{r['cell']}: work committed more than once: 0 (a run's effect "
                        f"commits with its done mark; {e['done_without_effect']} done without "
                        "their effect)",
                        "value": e["committed_twice"],
                        "met": e["committed_twice"] == 0 and e["done_without_effect"] == 0,
                    }
                )
            found.append(
                {
                    "goal": f"{r['cell']}: no job run twice unless its runner was killed",
                    "value": r["run_twice_unexplained"],
                    "met": r["run_twice_unexplained"] == 0,
                }
            )
        if r["phase"] != "steady" or r["never_run"]:
            found.append(
                {
                    "goal": f"{r['cell']}: every job run, none dead",
                    "value": f"{r['never_run']} never run, {r['statuses'].get('dead', 0)} dead",
                    "met": r["never_run"] == 0 and not r["statuses"].get("dead"),
                }
            )
    return found


HEAD = (
    f"{'cell':<28}{'jobs':>6}{'secs':>7}{'jobs/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    f"{'2x':>4}{'2x?':>4}{'lost':>5}{'wrk':>6}{'pg':>6}{'tx':>6}{'srv':>6}{'other':>6}"
)


LEGEND = """\
secs: burst: from due to the last job's start; steady: the window. p50/p99/max: lateness, a
job's start minus its due time (burst: minus when it was both due and committed). 2x: jobs
run more than once; 2x?: of those, whose earlier runner was not killed; lost: jobs never run.
wrk / pg: CPU ms per job of the workers (the floor loop) / of PostgreSQL; tx: PostgreSQL
transactions per job (a pool's ping counts as one); srv: cores the workers and PostgreSQL
used; other: cores busy outside the benchmark (a shared machine's noise)"""


def line(r: dict[str, Any]) -> str:
    late, cpu = r["lateness_ms"], r["cpu_ms_per_job"]
    worker = cpu["workers"] if r["phase"] != "floor" else cpu["floor"]
    return (
        f"{r['cell']:<28}{r['jobs_run']:>6}{r['drain_s']:>7.1f}{r['jobs_per_s'] or 0:>8.0f}"
        f"{late['p50']:>9.1f}{late['p99']:>9.1f}{late['max']:>9.0f}{r['run_twice']:>4}"
        f"{r['run_twice_unexplained']:>4}{r['never_run']:>5}{worker:>6.2f}"
        f"{cpu['postgresql']:>6.2f}{r.get('transactions_per_job', float('nan')):>6.1f}"
        f"{r['server_cores']:>6.2f}{r['cpu']['other_cores']:>6.2f}"
    )


def _pair(stats: dict[str, float]) -> str:
    return f"{stats['p50']:.1f}/{stats['p99']:.1f}"


def print_report(report: dict[str, Any]) -> None:
    print("\n" + HEAD)
    print("-" * len(HEAD))
    for r in report["results"]:
        print(line(r))
    print(LEGEND)
    for r in report["results"]:
        notes = []
        if "insert_s" in r:
            notes.append(f"written in {r['insert_s']:.2f} s, {r['lead_s']:.1f} s before due")
        if r.get("produced"):
            p = r["produced"]
            notes.append(
                f"sent {p['sent']} of {p['planned']} at {p['rate']:g}/s, send lag p99 "
                f"{p['send_lag_ms']['p99']:.1f} ms, schedule() p50 {p['schedule_ms']['p50']:.1f}"
                f" ms p99 {p['schedule_ms']['p99']:.1f} ms"
            )
        parts = r.get("lateness_parts_ms", {})
        if "due_to_commit" in parts:
            notes.append(
                f"lateness p50/p99 ms: due to COMMIT {_pair(parts['due_to_commit'])}, COMMIT "
                f"to claiming {_pair(parts['commit_to_claim'])}, claiming to start (the claim, "
                f"then the jobs before it in its batch) {_pair(parts['claim_to_start'])}"
            )
        if r["kills"]:
            notes.append(
                f"{r['kills']} workers killed, {r['run_after_lease_expiry']} jobs first run after "
                f"a lease expired, replacements' start-up {r['cpu']['startup_s']:.1f} s CPU"
            )
        if r["lease_lost_warnings"]:
            notes.append(f"{r['lease_lost_warnings']} 'lease lost' warnings")
        if not r["drained"]:
            notes.append("DID NOT DRAIN in time")
        if notes:
            print(f"  {r['cell']}: {'; '.join(notes)}")
    if report["ratios"]:
        print("\nAgainst the floor (same backend, same run)")
        for key, ratio in report["ratios"].items():
            print(
                f"  {key:<44} jobs/s {ratio['jobs_per_s']:.2f}x   "
                f"server CPU per job {ratio['server_cpu_per_job']:.2f}x"
            )
    print("\nGoals")
    for g in report["goals"]:
        print(f"  {'ok  ' if g['met'] else 'MISS'}  {g['goal']}: {g['value']}")


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    parser.add_argument("--burst", type=int, default=10_000, help="jobs due at once (10,000)")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 3], help="PostgreSQL worker processes"
    )
    parser.add_argument("--rate", type=float, default=100.0, help="steady: new jobs/s (100)")
    parser.add_argument("--seconds", type=float, default=30.0, help="steady: seconds (30)")
    parser.add_argument("--kill-workers", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds between kills")
    parser.add_argument("--kill-lease", type=float, default=3.0, help="`--lease` when killing")
    parser.add_argument("--poll", type=float, default=2.0, help="`tocsin worker --poll` (2)")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="seconds per wait")
    parser.add_argument("--seed", type=int, default=8, help="which workers die")
    parser.add_argument(
        "--no-effect",
        action="store_true",
        help="kill cells: only the run's line, no effect committed with the done mark "
        "(as before JobUnits.finish; needed for checkouts older than it)",
    )
    parser.add_argument(
        "--tocsin-src",
        action="append",
        default=[],
        metavar="[LABEL=]DIR",
        help="also run every cell's workers on this checkout's src/ (cells named CELL@LABEL, "
        "each on each checkout in turn): a before and an after in one run; repeatable",
    )
    parser.add_argument(
        "--label",
        default=checkouts.THIS_LABEL,
        help=f"this checkout's label with --tocsin-src (default {checkouts.THIS_LABEL})",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="add this to the benchmark's niceness (workers and PostgreSQL inherit it); -10 "
        "as root shields the figures from other work on a shared machine",
    )
    args = parser.parse_args(argv)
    try:
        args.checkouts = checkouts.chosen(args.label, args.tocsin_src)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    renice(args.nice)
    started = time.monotonic()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    config = WORK / "tocsin.yaml"
    config.write_text(render_preset("p1-p4"), encoding="utf-8")
    settings = Settings(
        burst=args.burst,
        rate=args.rate,
        seconds=args.seconds,
        kill_every=args.kill_every,
        kill_lease=args.kill_lease,
        poll=args.poll,
        drain_timeout=args.drain_timeout,
        config=config,
        work=WORK,
        seed=args.seed,
        effect=not args.no_effect,
    )
    planned = plan(args)
    report: dict[str, Any] = {
        "benchmark": "jobs",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "versions": {"sqlite": sqlite3.sqlite_version},
        "settings": {
            k: str(v) if isinstance(v, Path) else v
            for k, v in vars(args).items()
            if k != "checkouts"
        },
        "checkouts": [c.describe() for c in args.checkouts],
        "background_busy_cores": background_cores(),
        "results": [],
        "errors": [],
    }
    report["settings"]["niceness"] = os.getpriority(os.PRIO_PROCESS, 0)
    if report["background_busy_cores"] > QUIET_CORES:
        print(
            f"warning: {report['background_busy_cores']} cores busy with other work before the "
            "run; figures will be skewed (see the `other` column)",
            flush=True,
        )
    with servers({c.backend for c in planned}) as (found, version):
        report["versions"]["postgresql"] = version
        for index, cell in enumerate(planned):
            print(f"{cell.name} ...", flush=True)
            try:
                result = cells.run(cell, found[cell.backend], index, settings)
            except Exception as exc:
                report["errors"].append(f"{cell.name}: {type(exc).__name__}: {exc}")
                print(f"  FAILED {type(exc).__name__}: {exc}", flush=True)
                continue
            report["results"].append(result)
            print(f"  {line(result)}", flush=True)
    report["ratios"] = ratios(report["results"])
    report["goals"] = goals(report["results"])
    report["seconds"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report)
    print(f"\n{report['seconds']:.0f} s in all; results in {args.out}")
    failed = list(report["errors"])
    failed += [f"{r['cell']}: did not drain" for r in report["results"] if not r["drained"]]
    for text in failed:
        print(f"FAILED {text}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
