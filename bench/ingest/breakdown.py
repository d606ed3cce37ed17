"""Where one ingestion request's time goes, in-process and single-threaded, with its SQL.

    .venv/bin/python bench/ingest/breakdown.py [--repeat 300] [--synchronous NORMAL|FULL]

A fresh SQLite database (in .bench/ingest/, on the disk) with the routing of run.py, warmed
with 2,000 alerts over 8 services (8 open incidents). Then, each the mean and median of
--repeat runs: the stages of `POST /ingest/prometheus/{key}/api/v2/alerts` without HTTP
(parse the body, authenticate the key, `AlertService.ingest`), for a batch of 1 alert joining
an open incident (the throughput cells at batch 1), 1 alert declaring a new incident (the idle
arrival-to-declared probe), and 100 alerts over the 8 services (batch 100). For each, the SQL
statements one call sends, how long SQLite itself took for them (the DB-API `execute` calls,
timed by SQLAlchemy's cursor events) and the rest: SQLAlchemy and Tocsin's Python. The same
statements replayed on the raw `sqlite3` module, in one transaction, give the floor a
hand-written data layer would stand on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.ingest.servers import ROUTING  # noqa: E402
from bench.ingest.traffic import Alerts  # noqa: E402
from tocsin.bootstrap import Tocsin, build  # noqa: E402
from tocsin.config import render_preset  # noqa: E402

WORK = ROOT / ".bench" / "ingest"
INTEGRATION = "prom"


@dataclass
class SqlLog:
    """Statements sent while `active`, with the DB-API execute time of each."""

    active: bool = False
    statements: list[tuple[str, Any, float]] = field(default_factory=list)
    timed: float = 0.0  # seconds in the DB-API execute of SQLAlchemy's statements
    _started: float = 0.0

    def install(self, engine: Engine) -> None:
        """SQLAlchemy's cursor events time what SQLAlchemy sends; SQLite's trace callback
        also sees the statements the ingestion path sends on the DB-API cursor itself
        (store/alert_sql.py), with their values inlined, untimed."""

        @event.listens_for(engine, "connect")
        def traced(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.set_trace_callback(self._traced)

        engine.dispose()  # connections made from now on are traced

        @event.listens_for(engine, "before_cursor_execute")
        def before(*_: Any) -> None:
            self._started = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(
            _conn: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool
        ) -> None:
            if self.active:
                self.timed += time.perf_counter() - self._started

    def _traced(self, statement: str) -> None:
        if self.active:
            self.statements.append((statement, None, 0.0))

    @contextlib.contextmanager
    def capture(self) -> Iterator[list[tuple[str, Any, float]]]:
        self.statements = []
        self.timed = 0.0
        self.active = True
        try:
            yield self.statements
        finally:
            self.active = False


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.mean(samples) * 1000, statistics.median(samples) * 1000


def scenario(
    tocsin: Tocsin,
    log: SqlLog,
    key: str,
    make_body: Callable[[], bytes],
    repeat: int,
    db_path: Path,
) -> dict[str, Any]:
    sources, admin, alerts, clock = tocsin.sources, tocsin.alert_admin, tocsin.alerts, tocsin.clock
    parse = timed(lambda: sources.alertmanager_api(make_body(), clock.now()), repeat)
    body_only = timed(make_body, repeat)
    auth = timed(lambda: admin.authenticate(key, "alertmanager"), repeat)
    ingest_samples: list[float] = []
    sql_samples: list[float] = []
    counts: list[int] = []
    last: list[tuple[str, Any, float]] = []
    kinds: Counter[str] = Counter()
    spent: dict[str, float] = {}
    snapshot = db_path.with_name("replay.db")
    for i in range(repeat):
        parsed = sources.alertmanager_api(make_body(), clock.now())
        if i == repeat - 1:  # the database as the last call found it, to replay that call on
            _close_raw()
            snapshot.unlink(missing_ok=True)
            with (
                contextlib.closing(sqlite3.connect(db_path)) as src,
                contextlib.closing(sqlite3.connect(snapshot)) as dst,
            ):
                src.backup(dst)
        with log.capture() as statements:
            t0 = time.perf_counter()
            result = alerts.ingest(INTEGRATION, parsed)
            ingest_samples.append(time.perf_counter() - t0)
        if result.problems:
            raise RuntimeError(f"ingest refused the batch: {result.problems[:2]}")
        sql_samples.append(log.timed)
        counts.append(len(statements))
        last = list(statements)
        for statement, _, seconds in statements:
            kinds[_shape(statement)] += 1
            spent[_shape(statement)] = spent.get(_shape(statement), 0.0) + seconds
    replay = timed(lambda: _replay(snapshot, last), max(20, repeat // 5))
    ingest_ms = statistics.mean(ingest_samples) * 1000
    sql_ms = statistics.mean(sql_samples) * 1000
    return {
        "make_body_ms": round(body_only[0], 3),
        "parse_ms": round(parse[0] - body_only[0], 3),
        "authenticate_ms": round(auth[0], 3),
        "ingest_ms_mean": round(ingest_ms, 3),
        "ingest_ms_median": round(statistics.median(ingest_samples) * 1000, 3),
        "statements": round(statistics.mean(counts), 1),
        "sqlite_execute_ms": round(sql_ms, 3),
        "python_ms": round(ingest_ms - sql_ms, 3),
        "raw_sqlite3_replay_ms": round(replay[0], 3),
        "statement_shapes": {
            shape: {
                "per_call": round(n / repeat, 2),
                "sqlite_ms_per_call": round(spent[shape] * 1000 / repeat, 3),
            }
            for shape, n in kinds.items()
        },
    }


def _shape(statement: str) -> str:
    """The statement without its inlined values."""
    words = " ".join(statement.split())
    for cut in (" VALUES", " WHERE", " SET"):
        words = words.split(cut)[0]
    return words if len(words) <= 90 else words[:87] + "..."


def _replay(db_path: Path, statements: list[tuple[str, Any, float]]) -> None:
    """The same statements on a copy of the database as they found it, rolled back."""
    conn = _raw(db_path)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement, _params, _ in statements:
            if statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                continue
            conn.execute(statement)  # values inlined by the trace
    finally:
        conn.execute("ROLLBACK")


_RAW: dict[Path, sqlite3.Connection] = {}


def _raw(db_path: Path) -> sqlite3.Connection:
    if db_path not in _RAW:
        conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        _RAW[db_path] = conn
    return _RAW[db_path]


def _close_raw() -> None:
    for conn in _RAW.values():
        conn.close()
    _RAW.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--synchronous", choices=("NORMAL", "FULL"), default="NORMAL")
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "ingest-breakdown.json")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="breakdown-", dir=WORK) as tmp:
        home = Path(tmp)
        text = render_preset("p1-p4").replace(
            "sqlite_synchronous: NORMAL", f"sqlite_synchronous: {args.synchronous}"
        )
        text += f"\nintegrations:\n  - name: {INTEGRATION}\n    source: alertmanager\n"
        (home / "tocsin.yaml").write_text(text + ROUTING, encoding="utf-8")
        db_path = home / "tocsin.db"
        env = {
            "TOCSIN_CONFIG": str(home / "tocsin.yaml"),
            "TOCSIN_DATABASE_URL": f"sqlite:///{db_path}",
        }
        tocsin = build(env=env, cwd=home)
        key = tocsin.alert_admin.add_integration(INTEGRATION, "alertmanager").key
        log = SqlLog()
        log.install(tocsin.engine)
        alerts = Alerts("breakdown")
        for _ in range(20):  # 2,000 alerts, 8 services: 8 open incidents to join
            tocsin.alerts.ingest(
                INTEGRATION, tocsin.sources.alertmanager_api(alerts.spread(100), tocsin.clock.now())
            )
        declares = iter(range(10**9))
        cases: dict[str, Callable[[], bytes]] = {
            "batch 1, joins an open incident": lambda: alerts.spread(1),
            "batch 1, declares a new incident": lambda: alerts.one_service(
                1, "checkout", f"Declare{next(declares)}"
            ),
            "batch 100 over 8 services": lambda: alerts.spread(100),
        }
        report: dict[str, Any] = {"synchronous": args.synchronous, "repeat": args.repeat}
        for name, make in cases.items():
            repeat = args.repeat if "100" not in name else max(20, args.repeat // 5)
            report[name] = scenario(tocsin, log, key, make, repeat, db_path)
        _close_raw()
        tocsin.engine.dispose()
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report)
    return 0


def print_report(report: dict[str, Any]) -> None:
    print(
        f"synchronous={report['synchronous']}, one thread, no HTTP; means of "
        f"{report['repeat']} runs (batch 100: fewer)"
    )
    for name, r in report.items():
        if not isinstance(r, dict):
            continue
        print(f"\n{name}")
        print(f"  parse body                  {r['parse_ms']:8.3f} ms")
        print(f"  authenticate (own UoW)      {r['authenticate_ms']:8.3f} ms")
        print(
            f"  AlertService.ingest         {r['ingest_ms_mean']:8.3f} ms "
            f"(median {r['ingest_ms_median']:.3f})"
        )
        print(
            f"    {r['statements']:.0f} SQL statements, "
            f"SQLAlchemy's part in SQLite {r['sqlite_execute_ms']:.3f} ms"
        )
        print(f"    the rest (Python, raw-cursor SQL) {r['python_ms']:.3f} ms")
        print(f"    same statements on raw sqlite3: {r['raw_sqlite3_replay_ms']:.3f} ms")
        print("    statements per call, on average:")
        for shape, found in r["statement_shapes"].items():
            print(f"      {found['per_call']:>6.2f}  {shape}")


if __name__ == "__main__":
    sys.exit(main())
