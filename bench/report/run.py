"""The quarterly review over 100,000 incidents and 5,000,000 timeline entries, on SQLite and
PostgreSQL. See README.md beside this file.

    .venv/bin/python bench/report/run.py [--incidents 100000] [--entries 5000000] [--runs 3]

Generates the history once (generate.py) into a fresh SQLite file and a fresh database on a
private PostgreSQL server (tests/support/postgres.py), then, per database, in a process of
its own (so its peak RSS is the report's): the whole review (figures, Markdown, HTML) of
all eight quarters and of one quarter, against two baselines measured in the same process
and run: `SELECT count(*)` over the timeline, and the review computed the naive way, from
the timeline entries of one quarter's incidents (read and folded in Python).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / ".bench" / "report.json"
GOAL_S = 2.0
ALL = ("2024-10-01", "2026-09-30")  # the generator's eight quarters
QUARTER = "2026Q3"


CPU: dict[int, float] = {}  # id(fn) -> the median CPU seconds of this process, last timed


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median wall time of `runs` calls, in seconds, and the last result; the median
    CPU time this process spent (on PostgreSQL the server's is not in it) goes to CPU."""
    times, cpu, result = [], [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU[id(fn)] = statistics.median(cpu)
    return statistics.median(times), result


def naive_review(tocsin: Any, period: Any) -> Any:
    """What the review would cost without the facts rows: every timeline entry of the
    period's incidents read (with SQLAlchemy's types, as the repository reads them) and
    folded in Python into the same facts, then the same figures."""
    from sqlalchemy import select

    from tocsin.core.incident import Incident
    from tocsin.core.insights import Fact, FactsDelta, review, seconds
    from tocsin.core.timeline import EntryKind, TimelineEntry
    from tocsin.store.tables import incidents, timeline_entries

    t, i = timeline_entries.c, incidents.c
    facts = []
    with tocsin.engine.connect() as conn:
        rows = conn.execute(
            select(t.incident, t.seq, t.kind, t.at, t.actor, t.text, t.data)
            .join(incidents, i.number == t.incident)
            .where(i.declared_at >= period.start, i.declared_at < period.end)
            .order_by(t.incident, t.seq)
        )
        current: list[TimelineEntry] = []
        last = None

        def fold(entries: list[TimelineEntry]) -> None:
            inc = Incident.replay(entries)
            d = FactsDelta.of(entries)
            facts.append(
                Fact(inc.number, inc.severity, seconds(inc.declared_at) or 0,
                     seconds(inc.acknowledged_at), seconds(inc.resolved_at), d.reopens,
                     inc.scope.services,
                     () if inc.scope.all_tenants else tuple(inc.scope.tenants),
                     inc.scope.all_tenants, d.runbooks)
            )  # fmt: skip

        for r in rows:
            if r.incident != last and current:
                fold(current)
                current = []
            last = r.incident
            current.append(TimelineEntry(r.seq, EntryKind(r.kind), r.at, r.actor, r.text, r.data))
        if current:
            fold(current)
    return review(period, tocsin.clock.now(), facts, tocsin.config.severity_model(), {})


def measure(folder: str, url: str, runs: int) -> dict[str, Any]:
    """In this process: the reviews, the baselines, and the peak RSS."""
    from sqlalchemy import text

    from tocsin.bootstrap import build

    env = {"TOCSIN_CONFIG": str(Path(folder) / "tocsin.yaml"), "TOCSIN_DATABASE_URL": url,
           "PATH": os.environ.get("PATH", "")}  # fmt: skip
    tocsin = build(env=env, cwd=Path(folder))
    ins = tocsin.insights
    everything = ins.period(None, *(datetime.strptime(d, "%Y-%m-%d").date() for d in ALL))  # noqa: DTZ007
    quarter = ins.period(QUARTER)
    out: dict[str, Any] = {"backend": tocsin.engine.dialect.name}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tocsin.engine.connect() as conn:
        count_s, entries = timed(
            lambda: conn.execute(text("SELECT count(*) FROM timeline_entries")).scalar_one(), runs
        )
    out["timeline_entries"] = entries
    out["count_entries_s"] = round(count_s, 3)
    review_s, _ = timed(lambda: ins.review(everything), runs)
    whole = lambda: ins.report(everything)  # noqa: E731
    report_s, made = timed(whole, runs)
    out["all"] = {"incidents": made.review.total, "review_s": round(review_s, 3),
                  "report_s": round(report_s, 3), "report_cpu_s": round(CPU[id(whole)], 3),
                  "html_bytes": len(made.html), "markdown_bytes": len(made.markdown),
                  "load_average": os.getloadavg()[0],
                  "postmortems": made.review.postmortems[-1].to_dict() if made.review.postmortems
                  else None}  # fmt: skip
    q_s, q = timed(lambda: ins.report(quarter), runs)
    out["quarter"] = {"name": QUARTER, "incidents": q.review.total, "report_s": round(q_s, 3)}
    rss_report = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    naive_s, naive = timed(lambda: naive_review(tocsin, quarter), 1)
    same = [s.to_dict() for s in naive.by_severity] == [s.to_dict() for s in q.review.by_severity]
    out["naive_quarter"] = {"review_s": round(naive_s, 3), "same_figures": same}
    rss_naive = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["rss_mb"] = {"before": round(rss0 / 1024), "after_reports": round(rss_report / 1024),
                     "after_naive": round(rss_naive / 1024)}  # fmt: skip
    tocsin.engine.dispose()
    return out


def setup(folder: Path) -> None:
    from bench.report.generate import runbook_texts
    from tocsin.config import render_preset

    (folder / "tocsin.yaml").write_text(render_preset("p1-p4"), encoding="utf-8")
    (folder / "runbooks").mkdir(exist_ok=True)
    for name, body in runbook_texts().items():
        (folder / "runbooks" / f"{name}.md").write_text(body, encoding="utf-8")


def in_child(folder: Path, url: str, runs: int) -> dict[str, Any]:
    code = (
        "import json, sys; sys.path[:0] = [sys.argv[1] + '/src', sys.argv[1]];"
        "from bench.report.run import measure;"
        "print(json.dumps(measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code, str(ROOT), str(folder), url, str(runs)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    from bench.report.generate import ENTRIES, INCIDENTS, generate
    from tests.support.postgres import running_postgres

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=INCIDENTS)
    parser.add_argument("--entries", type=int, default=ENTRIES)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds")}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        setup(folder)
        sqlite = f"sqlite:///{folder / 'bench.db'}"
        if args.no_postgres:
            results["generate"] = generate([sqlite], args.incidents, args.entries)
            results["runs"] = [in_child(folder, sqlite, args.runs)]
        else:
            with running_postgres(folder / "pg") as pg:
                results["generate"] = generate([sqlite, pg], args.incidents, args.entries)
                results["runs"] = [in_child(folder, u, args.runs) for u in (sqlite, pg)]
    print(f"generated: {json.dumps(results['generate'])}")
    worst = 0.0
    for r in results["runs"]:
        a, q, n = r["all"], r["quarter"], r["naive_quarter"]
        worst = max(worst, a["report_s"])
        print(
            f"{r['backend']:>10}: all {a['incidents']} incidents: report {a['report_s']:.2f} s "
            f"(its CPU {a['report_cpu_s']:.2f} s; figures {a['review_s']:.2f} s; goal < "
            f"{GOAL_S:g} s; load average {a['load_average']:.1f}) = "
            f"{a['report_s'] / r['count_entries_s']:.1f}x count(*) of {r['timeline_entries']} "
            f"entries ({r['count_entries_s']:.2f} s); {q['name']} ({q['incidents']}): "
            f"{q['report_s']:.2f} s vs naive timeline scan {n['review_s']:.2f} s "
            f"({n['review_s'] / q['report_s']:.0f}x; same figures: {n['same_figures']}); "
            f"peak RSS {r['rss_mb']['after_reports']} MB (naive: {r['rss_mb']['after_naive']} MB)"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(r["naive_quarter"]["same_figures"] for r in results["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
