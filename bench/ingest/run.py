"""Alert ingestion: Tocsin against Alertmanager's POST /api/v2/alerts, same machine, same run.

    .venv/bin/python bench/ingest/run.py [--measure 10] [--py-spy PATH]

Starts Alertmanager (null receiver, no cluster, in-memory alerts) and two fresh `tocsin serve`
processes (SQLite WAL with synchronous=NORMAL, and FULL), then, with one load generator:
1. idle: one alert for a new group at a time; on Tocsin the 200 means the incident is declared
   and committed, so its latency is arrival-to-declared;
2. throughput: batches of 1 and 100 alerts from 16 and 64 closed-loop clients, each cell
   measured on the three servers back to back: alerts/s, p50/p99, and Tocsin/Alertmanager;
3. storm: on a fresh Tocsin, 100,000 alerts of one failing service in batches of 100, while
   one client GETs that incident's page (INC-1) every 50 ms: the GET's p50/p99.
Prints a table and writes .bench/ingest.json. Exits 1 if a request failed or a server would
not start; a missed goal is reported (MISS), not an exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.api_latency import profiling  # noqa: E402
from bench.api_latency.load import percentile  # noqa: E402
from bench.api_latency.load import run as run_async  # noqa: E402
from bench.api_latency.run import background_cores, machine, renice  # noqa: E402
from bench.ingest import servers, traffic  # noqa: E402
from bench.ingest.servers import Server  # noqa: E402

WORK = ROOT / ".bench" / "ingest"
RESULTS = ROOT / ".bench" / "ingest.json"
AM = "alertmanager"
WHATIF = "whatif-insert-only"
WHATIF_FAST = "whatif-blake2b-key"
WEBHOOK = "tocsin-webhook"  # NORMAL, fed through /ingest/alertmanager/{key}
MODES = ("NORMAL", "FULL")
GOAL_RATIO = {1: 1.5, 100: 2.0}  # Tocsin / Alertmanager alerts/s at concurrency 16
GOAL_RATIO_CONCURRENCY = 16
GOAL_DECLARE_P99_MS = 10.0
GOAL_STORM_GET_P99_MS = 250.0
QUIET_CORES = 0.25


def tocsin_name(mode: str) -> str:
    return f"tocsin-{mode.lower()}"


# -- phases ---------------------------------------------------------------------------------


def idle_phase(server: Server, samples: int, pause_s: float) -> dict[str, Any]:
    """One alert for a new group (its own alertname) at a time, on an otherwise idle server."""
    alerts = traffic.Alerts(f"{server.name}-idle")
    bodies = [
        server.body(alerts.one_service(1, "checkout", f"Declare{i:04d}")) for i in range(samples)
    ]
    found = run_async(
        lambda: traffic.one_at_a_time(server.base_url, server.ingest_path, bodies, pause_s)
    )
    result = found.summary()
    if server.token:  # Tocsin: every sample must have declared its own incident
        status, page = run_async(
            lambda: traffic.get_json(server.base_url, "/api/v1/incidents?limit=1", server.token)
        )
        result["incidents_after"] = page.get("total") if status == 200 else f"HTTP {status}"
        result["one_incident_per_alert"] = result["incidents_after"] == samples
    return result


def throughput_phase(
    targets: list[Server], args: argparse.Namespace
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each cell on each server in turn, so the servers see the same machine noise."""
    cells: list[dict[str, Any]] = []
    profiles: list[str] = []
    factories = {s.name: traffic.Alerts(s.name) for s in targets}
    for batch in args.batch:
        for concurrency in args.concurrency:
            for server in targets:
                label = f"{server.name}-b{batch}-c{concurrency}"
                with _profiled(args, server, label) as profile:
                    cell = measure_cell(server, factories[server.name], batch, concurrency, args)
                if profile is not None:
                    profiles.append(str(profile))
                    print(profiling.summarize(profile, top=30), flush=True)
                cells.append(cell.as_json())
                print(f"  {_cell_line(cell.as_json())}", flush=True)
    return cells, profiles


def floor_phase(targets: list[Server], args: argparse.Namespace) -> list[dict[str, Any]]:
    """An empty GET per server (/-/healthy, /healthz) at concurrency 16: what the HTTP stack
    and framework cost before any alert is read."""
    found = []
    ams = [t for t in targets if t.name == AM]
    tocsins = [t for t in targets if t.name.startswith("tocsin-")]
    whatifs = [t for t in targets if t.name.startswith("whatif-")]
    chosen = ams + tocsins[:1] + whatifs[:1]  # Tocsins share their HTTP stack, what-ifs theirs
    for server in chosen:
        path = "/-/healthy" if server.name == AM else "/healthz"

        async def measure(server: Server = server, path: str = path) -> traffic.Cell:
            return await traffic.closed_loop(
                server.base_url,
                path,
                None,
                target=f"{server.name} GET {path}",
                batch=1,
                concurrency=GOAL_RATIO_CONCURRENCY,
                warmup_s=1.0,
                measure_s=args.floor_measure,
                server_pid=server.pid,
            )

        cell = run_async(measure).as_json()
        print(
            f"  floor {cell['target']}: {cell['requests_per_s']:.0f} req/s, "
            f"{cell['server_cpu_us_per_alert']:.0f} us of server CPU per request",
            flush=True,
        )
        found.append(cell)
    return found


def measure_cell(
    server: Server,
    alerts: traffic.Alerts,
    batch: int,
    concurrency: int,
    args: argparse.Namespace,
) -> traffic.Cell:
    def body() -> bytes:
        return server.body(alerts.spread(batch))

    async def measure() -> traffic.Cell:
        return await traffic.closed_loop(
            server.base_url,
            server.ingest_path,
            body,
            target=server.name,
            batch=batch,
            concurrency=concurrency,
            warmup_s=args.warmup,
            measure_s=args.measure,
            server_pid=server.pid,
        )

    return run_async(measure)


@contextlib.contextmanager
def _profiled(args: argparse.Namespace, server: Server, label: str) -> Iterator[Path | None]:
    if not args.py_spy or server.name == AM:
        yield None
        return
    out = WORK / f"profile-{label}-{args.py_spy_mode}.txt"
    with profiling.recording(args.py_spy, server.pid, out, mode=args.py_spy_mode):
        yield out


def storm_phase(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    """A fresh Tocsin; the storm's first alert declares INC-1; then the rest of the storm,
    while one client reads INC-1's page every `--storm-get-interval` seconds."""
    name = f"tocsin-storm-{mode.lower()}"
    with servers.tocsin(WORK, mode, name) as server:
        alerts = traffic.Alerts(name)

        def body(size: int) -> bytes:
            return alerts.one_service(size, "payments-api", "ServiceDown")

        first = run_async(
            lambda: traffic.one_at_a_time(server.base_url, server.ingest_path, [body(1)], 0)
        )
        page = "/api/v1/incidents/INC-1"
        status, detail = run_async(lambda: traffic.get_json(server.base_url, page, server.token))
        if first.errors or status != 200:
            raise RuntimeError(f"storm: first alert {first.errors} or GET {page}: HTTP {status}")
        interval = args.storm_get_interval

        async def idle_gets() -> traffic.Latencies:
            stop = asyncio.Event()
            asyncio.get_running_loop().call_later(3.0, stop.set)
            return await traffic.poll(server.base_url, page, server.token, interval, stop)

        idle = run_async(idle_gets)

        def probe(done: asyncio.Event) -> Any:
            return traffic.poll(server.base_url, page, server.token, interval, done)

        stats, sent, gets = run_async(
            lambda: traffic.storm(
                server.base_url,
                server.ingest_path,
                body,
                total=args.storm_alerts - 1,
                batch=args.storm_batch,
                concurrency=args.storm_concurrency,
                probe=probe,
                server_pid=server.pid,
            )
        )
        status, listing = run_async(
            lambda: traffic.get_json(server.base_url, "/api/v1/incidents?limit=1", server.token)
        )
        _, after = run_async(lambda: traffic.get_json(server.base_url, page, server.token))
    stats["alerts"] = args.storm_alerts
    stats["accepted"] += 1
    return {
        "synchronous": mode,
        "page": page,
        "incident_title": detail.get("title") if isinstance(detail, dict) else None,
        "incidents_after": listing.get("total") if status == 200 else f"HTTP {status}",
        "timeline_entries_after": len(after.get("timeline", [])) if after else None,
        "ingest": {**stats, "requests": sent.summary()},
        "get_idle": idle.summary(),
        "get_during_storm": gets.summary(),
        "get_interval_s": interval,
    }


# -- report ---------------------------------------------------------------------------------


def ratios(cells: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Tocsin alerts/s over Alertmanager's, per cell ("b1 c16")."""
    am = {(c["batch"], c["concurrency"]): c["alerts_per_s"] for c in cells if c["target"] == AM}
    found: dict[str, dict[str, float]] = {}
    for c in cells:
        base = am.get((c["batch"], c["concurrency"]))
        if c["target"] == AM or not base:
            continue
        key = f"b{c['batch']} c{c['concurrency']}"
        found.setdefault(key, {})[c["target"]] = round(c["alerts_per_s"] / base, 3)
    return found


def goals(report: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for batch, wanted in GOAL_RATIO.items():
        key = f"b{batch} c{GOAL_RATIO_CONCURRENCY}"
        for target, ratio in report["ratios"].get(key, {}).items():
            if not target.startswith("tocsin-"):
                continue
            found.append(
                {
                    "goal": f"{target} {key}: >= {wanted}x Alertmanager's alerts/s",
                    "value": ratio,
                    "met": ratio >= wanted,
                }
            )
    for target, idle in report["idle"].items():
        if target.startswith("tocsin-"):
            p99 = idle["p99_ms"]
            found.append(
                {
                    "goal": f"{target}: arrival-to-declared p99 < {GOAL_DECLARE_P99_MS:g} ms",
                    "value": p99,
                    "met": p99 < GOAL_DECLARE_P99_MS,
                }
            )
    for storm in report["storm"]:
        if "error" in storm:
            continue
        p99 = storm["get_during_storm"]["p99_ms"]
        found.append(
            {
                "goal": f"storm ({storm['synchronous']}): GET {storm['page']} p99 < "
                f"{GOAL_STORM_GET_P99_MS:g} ms",
                "value": p99,
                "met": p99 is not None and p99 < GOAL_STORM_GET_P99_MS,
            }
        )
    return found


def _cell_line(c: dict[str, Any]) -> str:
    return (
        f"{c['target']:<19}{c['batch']:>5}{c['concurrency']:>4}{c['alerts_per_s']:>10.0f}"
        f"{c['requests_per_s']:>9.0f}{c['p50_ms']:>9.1f}{c['p99_ms']:>9.1f}{c['max_ms']:>9.0f}"
        f"{c['server_cores']:>6.2f}{c['server_cpu_us_per_alert']:>8.0f}{c['client_cores']:>6.2f}"
        f"{c['server_sys_share']:>5.0%}{c['other_busy_cores']:>6.2f}{c['errors']:>5}"
    )


CELL_HEAD = (
    f"{'target':<19}{'batch':>5}{'c':>4}{'alerts/s':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    f"{'max ms':>9}{'srv':>6}{'us/al':>8}{'cli':>6}{'sys':>5}{'other':>6}{'err':>5}"
)


def print_report(report: dict[str, Any]) -> None:
    print("\nThroughput (closed loop, Alertmanager API shape, every alert distinct)")
    print(CELL_HEAD)
    print("-" * len(CELL_HEAD))
    for c in report["cells"]:
        print(_cell_line(c))
    print(
        "srv / cli: cores used by the server / the load generator; us/al: server CPU "
        "microseconds per alert;\nsys: the kernel's share of the server's CPU; "
        "other: cores busy with processes outside the benchmark (a shared machine's noise)"
    )
    if report["floor"]:
        print("\nFloor: an empty GET, 16 clients (HTTP stack + framework, no alert)")
        for c in report["floor"]:
            print(
                f"  {c['target']:<28} {c['requests_per_s']:>7.0f} req/s  p50 {c['p50_ms']:.1f} ms"
                f"  p99 {c['p99_ms']:.1f} ms  server CPU {c['server_cpu_us_per_alert']:.0f} us"
                f" per request  ({c['server_cores']:.2f} cores)"
            )
    print("\nTocsin / Alertmanager, alerts per second")
    for key, by_target in report["ratios"].items():
        line = "  ".join(f"{t} {r:.3f}x" for t, r in by_target.items())
        print(f"  {key:<9} {line}")
    print("\nIdle: one alert for a new group at a time (Tocsin: arrival to incident declared)")
    for target, s in report["idle"].items():
        extra = ""
        if "one_incident_per_alert" in s:
            extra = f"  incidents declared: {s['incidents_after']}"
        print(
            f"  {target:<19} n={s['n']:<4} p50 {s['p50_ms']:.2f} ms  p99 {s['p99_ms']:.2f} ms  "
            f"max {s['max_ms']:.2f} ms  errors {s['errors']}{extra}"
        )
    for storm in report["storm"]:
        if "error" in storm:
            print(f"\nStorm ({storm['synchronous']}): FAILED {storm['error']}")
            continue
        ing, get, idle = storm["ingest"], storm["get_during_storm"], storm["get_idle"]
        print(
            f"\nStorm, synchronous={storm['synchronous']}: {ing['accepted']:,} of "
            f"{ing['alerts']:,} alerts in {ing['seconds']:.1f} s ({ing['alerts_per_s']:,.0f}/s, "
            f"batch {ing['batch']}, {ing['concurrency']} clients; batch p50 "
            f"{ing['requests']['p50_ms']:.0f} ms, p99 {ing['requests']['p99_ms']:.0f} ms); "
            f"incidents: {storm['incidents_after']}"
        )
        print(
            f"  GET {storm['page']} during the storm: n={get['n']} p50 {get['p50_ms']:.1f} ms  "
            f"p99 {get['p99_ms']:.1f} ms  max {get['max_ms']:.1f} ms  errors {get['errors']}"
            f"   (idle before: p50 {idle['p50_ms']:.1f} ms, p99 {idle['p99_ms']:.1f} ms)"
        )
    fsync = report["fsync"]
    print(
        f"\nDisk: fsync of a 4 KiB write p50 {fsync['p50_ms']} ms, p99 {fsync['p99_ms']} ms "
        "(what synchronous=FULL adds per commit)"
    )
    print("\nGoals")
    for g in report["goals"]:
        print(f"  {'ok  ' if g['met'] else 'MISS'}  {g['goal']}: {g['value']}")


def failures(report: dict[str, Any]) -> list[str]:
    found = [
        f"{c['target']} b{c['batch']} c{c['concurrency']}: {c['errors']} errors, "
        f"e.g. {c['first_errors'][:1]}"
        for c in report["cells"]
        if c["errors"]
    ]
    found += [
        f"idle {t}: {s['errors']} errors, e.g. {s['first_errors'][:1]}"
        for t, s in report["idle"].items()
        if s["errors"]
    ]
    for storm in report["storm"]:
        if "error" in storm:
            found.append(f"storm {storm['synchronous']}: {storm['error']}")
            continue
        for part in ("get_during_storm", "get_idle"):
            if storm[part]["errors"]:
                found.append(f"storm {part}: {storm[part]['first_errors'][:1]}")
        if storm["ingest"]["requests"]["errors"]:
            found.append(f"storm ingest: {storm['ingest']['requests']['first_errors'][:1]}")
    found += report.get("errors", [])
    return found


# -- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--targets",
        nargs="+",
        default=[AM, *(tocsin_name(m) for m in MODES)],
        choices=[AM, *(tocsin_name(m) for m in MODES), WEBHOOK],
        help=f"{WEBHOOK}: Tocsin NORMAL fed through Alertmanager's webhook receiver route "
        "(/ingest/alertmanager/{key}) with the same alerts",
    )
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per cell (default 2)")
    parser.add_argument("--measure", type=float, default=10.0, help="seconds per cell (10)")
    parser.add_argument(
        "--floor-measure", type=float, default=5.0, help="seconds of GET /healthz; 0 skips"
    )
    parser.add_argument("--idle-samples", type=int, default=300, help="0 skips (default 300)")
    parser.add_argument("--idle-pause", type=float, default=0.01, help="seconds (default 0.01)")
    parser.add_argument("--storm-alerts", type=int, default=100_000, help="0 skips the storm")
    parser.add_argument("--storm-batch", type=int, default=100)
    parser.add_argument("--storm-concurrency", type=int, default=16)
    parser.add_argument("--storm-get-interval", type=float, default=0.05, help="seconds")
    parser.add_argument("--storm-modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument(
        "--what-if",
        action="store_true",
        help=f"add {WHATIF} and {WHATIF_FAST}: bench/ingest/whatif_app.py, the insert-only "
        "ceiling (not Tocsin), with Alertmanager's fingerprint in Python and a C-speed key",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--py-spy", metavar="PATH", help="profile each Tocsin cell with this py-spy executable"
    )
    parser.add_argument("--py-spy-mode", choices=("cpu", "gil", "idle"), default="gil")
    parser.add_argument(
        "--tocsin-workers",
        type=int,
        default=1,
        help="`tocsin serve --workers N` for every Tocsin (server CPU counts the workers too)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="add this to the benchmark's niceness (the servers inherit it); -10 as root "
        "shields the figures from other work on a shared machine",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    servers.TOCSIN_WORKERS = args.tocsin_workers
    WORK.mkdir(parents=True, exist_ok=True)
    renice(args.nice)
    started = time.monotonic()
    report: dict[str, Any] = {
        "benchmark": "ingest",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "versions": {
            "alertmanager": servers.alertmanager_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        "settings": {
            k: v for k, v in vars(args).items() if k not in ("out", "py_spy") and v is not None
        },
        "background_busy_cores": background_cores(),
        "fsync": fsync_probe(WORK),
        "idle": {},
        "floor": [],
        "cells": [],
        "storm": [],
        "errors": [],
    }
    report["machine"]["src_changes"] = _src_changes()
    report["settings"]["niceness"] = os.getpriority(os.PRIO_PROCESS, 0)
    report["settings"]["profiled"] = bool(args.py_spy)
    if report["background_busy_cores"] > QUIET_CORES:
        print(
            f"warning: {report['background_busy_cores']} cores busy with other work before "
            "the run; figures will be skewed (see the `other` column)",
            flush=True,
        )
    try:
        with contextlib.ExitStack() as stack:
            names = [*args.targets, *([WHATIF, WHATIF_FAST] if args.what_if else [])]
            targets = [_start(stack, name) for name in names]
            print(f"started {', '.join(t.name for t in targets)}", flush=True)
            if args.idle_samples:
                for server in targets:
                    report["idle"][server.name] = idle_phase(
                        server, args.idle_samples, args.idle_pause
                    )
                    s = report["idle"][server.name]
                    print(f"  idle {server.name}: p50 {s['p50_ms']} ms p99 {s['p99_ms']} ms")
            if args.floor_measure > 0:
                report["floor"] = floor_phase(targets, args)
            print(CELL_HEAD, flush=True)
            cells, profiles = throughput_phase(targets, args)
            report["cells"] = cells
            report["profiles"] = profiles
    except RuntimeError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        report["errors"].append(str(exc))
    if args.storm_alerts > 0:
        for mode in args.storm_modes:
            print(f"storm, synchronous={mode} ...", flush=True)
            try:
                report["storm"].append(storm_phase(mode, args))
            except RuntimeError as exc:
                report["storm"].append({"synchronous": mode, "error": str(exc)})
    report["ratios"] = ratios(report["cells"])
    report["goals"] = goals(report)
    report["seconds"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report)
    print(f"\n{report['seconds']:.0f} s in all; results in {args.out}")
    failed = failures(report)
    for line in failed:
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if failed else 0


def fsync_probe(directory: Path, count: int = 300) -> dict[str, float]:
    """fsync latency of a 4 KiB write where the databases live: what a commit costs under
    synchronous=FULL (and a checkpoint under NORMAL). Cheap virtual disks make it ~0.1 ms."""
    probe = directory / "fsync-probe"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    samples = []
    try:
        for i in range(count):
            os.pwrite(fd, b"x" * 4096, (i % 64) * 4096)
            t0 = time.perf_counter()
            os.fsync(fd)
            samples.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        probe.unlink()
    samples.sort()
    return {
        "p50_ms": round(percentile(samples, 50) * 1000, 3),
        "p99_ms": round(percentile(samples, 99) * 1000, 3),
    }


def _src_changes() -> list[str]:
    """`git status --porcelain -- src` lines: the working tree measured, beyond the commit."""
    done = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.splitlines()


def _start(stack: contextlib.ExitStack, name: str) -> Server:
    opener: Callable[[], contextlib.AbstractContextManager[Server]]
    if name == AM:
        opener = lambda: servers.alertmanager(WORK)  # noqa: E731
    elif name == WHATIF:
        opener = lambda: servers.whatif(WORK, "NORMAL", name)  # noqa: E731
    elif name == WHATIF_FAST:
        opener = lambda: servers.whatif(WORK, "NORMAL", name, "blake2b")  # noqa: E731
    elif name == WEBHOOK:
        opener = lambda: servers.tocsin(WORK, "NORMAL", name, webhook=True)  # noqa: E731
    else:
        mode = name.removeprefix("tocsin-").upper()
        opener = lambda: servers.tocsin(WORK, mode, name)  # noqa: E731
    return stack.enter_context(opener())


if __name__ == "__main__":
    sys.exit(main())
