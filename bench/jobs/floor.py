"""The floor: a bare loop on the raw driver draining the same `jobs` rows, no Tocsin.

    python bench/jobs/floor.py URL RECORDS_DIR COUNT START MODE

From START (epoch s) until COUNT jobs are taken, a batch at a time (Tocsin's `BATCH`), each
statement in autocommit:
- `one`: one statement marks the next due jobs done (`UPDATE … WHERE id IN (SELECT … LIMIT n
  FOR UPDATE SKIP LOCKED) RETURNING`), then their record lines are appended. At most once:
  the least work a database-backed queue can do.
- `two`: Tocsin's protocol: claim a batch (status running, lease owner and expiry,
  attempts + 1), then for each job append its line and mark it done where the lease is still
  ours. At least once, like Tocsin, without its layers (SQLAlchemy, units of work, the pool).
Both append the same record line as the `bench.record` handler (bench/jobs/records.py).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.jobs.records import Recorder, line  # noqa: E402
from tocsin.app.jobs import BATCH  # noqa: E402

LEASE = timedelta(minutes=5)
PICK = (
    "SELECT id FROM jobs WHERE status = 'queued' AND due <= {now} ORDER BY due, id "
    "LIMIT {batch}{lock}"
)
ONE = (
    "UPDATE jobs SET status = 'done', attempts = attempts + 1 WHERE id IN ({pick}) "
    "RETURNING id, due, attempts"
)
CLAIM = (
    "UPDATE jobs SET status = 'running', lease_owner = {owner}, lease_expires = {expires}, "
    "attempts = attempts + 1 WHERE id IN ({pick}) RETURNING id, due, attempts"
)
DONE = (
    "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_expires = NULL "
    "WHERE id = {id} AND lease_owner = {owner} AND status = 'running'"
)

Execute = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


def postgres(url: str) -> tuple[Execute, Callable[[datetime], Any], Callable[[Any], float], str]:
    import psycopg
    from sqlalchemy.engine import make_url

    info = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(info, autocommit=True)

    def execute(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        cur = conn.execute(sql, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []

    return execute, lambda t: t, lambda v: float(v.timestamp()), "%s"


def sqlite(url: str) -> tuple[Execute, Callable[[datetime], Any], Callable[[Any], float], str]:
    path = url.split("///", 1)[1]
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA synchronous = NORMAL")  # as Tocsin opens it (store/database.py)

    def execute(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return conn.execute(sql, params).fetchall()

    def to_db(t: datetime) -> str:
        return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def from_db(v: str) -> float:
        return datetime.fromisoformat(v).replace(tzinfo=UTC).timestamp()

    return execute, to_db, from_db, "?"


def main(url: str, directory: Path, count: int, start: float, mode: str) -> None:
    pg = url.startswith("postgresql")
    execute, to_db, from_db, p = (postgres if pg else sqlite)(url)
    pick = PICK.format(now=p, batch=int(BATCH), lock=" FOR UPDATE SKIP LOCKED" if pg else "")
    one = ONE.format(pick=pick)
    claim = CLAIM.format(owner=p, expires=p, pick=pick)
    done = DONE.format(id=p, owner=p)
    recorder = Recorder(directory)
    owner = f"floor:{os.getpid()}"
    time.sleep(max(0.0, start - time.time()))
    taken = 0
    while taken < count:
        now = datetime.now(UTC)
        if mode == "one":
            rows = execute(one, (to_db(now),))
        else:
            rows = execute(claim, (owner, to_db(now + LEASE), to_db(now)))
        if not rows:
            time.sleep(0.001)
            continue
        claimed = time.time()
        for job, due, attempts in sorted(rows, key=lambda r: (from_db(r[1]), r[0])):
            started = time.time()
            recorder.append(line(job, os.getpid(), started, from_db(due), attempts, claimed))
            if mode == "two":
                execute(done, (job, owner))
        taken += len(rows)


if __name__ == "__main__":
    url, directory, count, start, mode = sys.argv[1:6]
    main(url, Path(directory), int(count), float(start), mode)
