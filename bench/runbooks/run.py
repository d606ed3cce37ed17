"""Runbook benchmarks: declaration → triggered diagnostics start (20 incidents at once), and
the overhead Tocsin adds to a step that runs `true`. See README.md beside this file."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from tocsin.app.runs import Request  # noqa: E402
from tocsin.bootstrap import Tocsin, build  # noqa: E402
from tocsin.config import render_preset  # noqa: E402
from tocsin.core.access import AccessRole, Principal  # noqa: E402
from tocsin.core.execution import RunStatus  # noqa: E402
from tocsin.core.scope import Scope  # noqa: E402
from tocsin.worker.loop import Worker  # noqa: E402

RESULTS = ROOT / ".bench" / "runbooks.json"
TRIGGERED = "---\ntriggers: [api]\n---\n# First look\n```bash\ntrue\n```\n"
GOAL_START_P99_MS, GOAL_OVERHEAD_MS = 1000.0, 50.0
ANN = Principal("ann", AccessRole.RESPONDER, "user")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def wire(folder: Path) -> Tocsin:
    (folder / "runbooks").mkdir()
    (folder / "runbooks" / "first-look.md").write_text(TRIGGERED, encoding="utf-8")
    (folder / "tocsin.yaml").write_text(render_preset("p1-p4"), encoding="utf-8")
    env = {"TOCSIN_CONFIG": str(folder / "tocsin.yaml"), "PATH": "/usr/bin:/bin"}
    return build(env=env, cwd=folder)


def triggered(tocsin: Tocsin, incidents: int, workers: int) -> dict[str, Any]:
    worker = Worker.wired(tocsin, workers, 0.2)
    worker.start()
    gate = threading.Barrier(incidents)
    refs: list[str] = []

    def declare() -> None:
        gate.wait()
        outcome = tocsin.incidents.declare("bench", "API down", "P2", Scope(services=("api",)))
        refs.append(outcome.incident.id)

    threads = [threading.Thread(target=declare) for _ in range(incidents)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    deadline = time.monotonic() + 60
    runs: dict[str, Any] = {}
    while time.monotonic() < deadline and len(runs) < incidents:
        for ref in refs:
            found = tocsin.runbooks.for_incident(ref)
            if found and found[0].status.finished:
                runs[ref] = found[0]
        time.sleep(0.05)
    worker.stop()
    starts, own = [], []
    for ref, run in runs.items():
        declared = tocsin.incidents.get(ref).declared_at
        starts.append((run.started_at - declared).total_seconds() * 1000)
        own.append((run.finished_at - run.started_at).total_seconds() * 1000)
    failed = incidents - sum(1 for r in runs.values() if r.status is RunStatus.SUCCEEDED)
    return {"incidents": incidents, "workers": workers, "failed": failed,
            "start_p50_ms": percentile(starts, 50) if starts else None,
            "start_p99_ms": percentile(starts, 99) if starts else None,
            "command_p50_ms": percentile(own, 50) if own else None}  # fmt: skip


def overhead(tocsin: Tocsin, runs: int) -> dict[str, Any]:
    ref = tocsin.incidents.declare("bench", "Overhead", "P3").incident.id
    tocsin.runbooks.runbooks.library.write(
        "true-step", "# T\n```bash {kind=diagnostic}\ntrue\n```\n"
    )
    whole, bare = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        (made,) = tocsin.runbooks.request(Request(ref, "true-step", ANN, step=1))
        done = tocsin.runbooks.execute(made.id)
        whole.append((time.perf_counter() - t0) * 1000)
        assert done.status is RunStatus.SUCCEEDED, done.output  # noqa: S101
        t0 = time.perf_counter()
        subprocess.run(["bash", "-c", "true"], check=True)  # noqa: S607
        bare.append((time.perf_counter() - t0) * 1000)
    extra = [w - b for w, b in zip(whole, bare, strict=True)]
    return {"runs": runs, "tocsin_p50_ms": statistics.median(whole),
            "bash_true_p50_ms": statistics.median(bare),
            "overhead_p50_ms": statistics.median(extra),
            "overhead_p99_ms": percentile(extra, 99)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tocsin = wire(Path(tmp))
        try:
            start = triggered(tocsin, args.incidents, args.workers)
            cost = overhead(tocsin, args.runs)
        finally:
            tocsin.engine.dispose()
    print(
        f"declare → diagnostics start, {start['incidents']} incidents at once, "
        f"{start['workers']} worker threads (SQLite):"
    )
    print(
        f"  p50 {start['start_p50_ms']:.0f} ms, p99 {start['start_p99_ms']:.0f} ms "
        f"(goal p99 < {GOAL_START_P99_MS:.0f} ms); the command itself p50 "
        f"{start['command_p50_ms']:.0f} ms; failed: {start['failed']}"
    )
    print(f"overhead on `true`, {cost['runs']} runs: p50 {cost['overhead_p50_ms']:.1f} ms, "
          f"p99 {cost['overhead_p99_ms']:.1f} ms (goal < {GOAL_OVERHEAD_MS:.0f} ms); "
          f"bash -c true alone p50 {cost['bash_true_p50_ms']:.1f} ms")  # fmt: skip
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"triggered": start, "overhead": cost}, indent=2) + "\n")
    return 1 if start["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
