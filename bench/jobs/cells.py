"""One measured cell: a fresh database, `tocsin worker` processes, jobs, and the figures.

Phases (see README.md):
- `burst`: N jobs all due at one moment T, written in one transaction before T (through the
  unit of work: `SqlJobRepository.schedule` per job); the workers sleep until T.
- `kill`: a burst while a killer SIGKILLs a random ready worker every few seconds and starts a
  replacement; then the jobs the dead held are left to their lease (short: `--lease`).
- `steady`: jobs arrive at a fixed rate, each due when written, one transaction each, from
  this process (woken by NOTIFY on PostgreSQL; on SQLite only the poll finds them) or from a
  thread of the worker process (woken in-process, as in `tocsin serve`).
- `floor`: a burst drained by bench/jobs/floor.py instead of Tocsin: the bare-driver baseline.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import make_url

from bench.jobs import producer, records
from bench.jobs.cpu import Meter
from bench.jobs.producer import ms_stats
from tests.support.postgres import fresh_database
from tocsin.bootstrap import Tocsin, build
from tocsin.core.jobs import JobSpec
from tocsin.store.tables import jobs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORKER = HERE / "worker.py"
FLOOR = HERE / "floor.py"
READY_TIMEOUT_S = 60.0
READY_LINE = b"Tocsin worker "  # what `tocsin worker` prints on stderr once started


@dataclass(frozen=True, slots=True)
class Cell:
    name: str
    backend: str  # postgresql | sqlite
    phase: str  # burst | kill | steady | floor
    workers: int = 1
    producer: str = "bench"  # steady: "bench" (another process) or "worker" (in-process)
    floor: str = ""  # floor: "one" or "two" (bench/jobs/floor.py)
    seconds: float | None = None  # steady: instead of --seconds
    src: Path = ROOT / "src"  # the Tocsin the workers run (--tocsin-src)
    checkout: str = "this"


@dataclass(frozen=True, slots=True)
class Settings:
    burst: int
    rate: float
    seconds: float
    kill_every: float
    kill_lease: float
    poll: float
    drain_timeout: float
    config: Path
    work: Path
    seed: int
    effect: bool = True  # kill cells: each run writes its effect with its done mark


@dataclass(frozen=True, slots=True)
class Server:
    """Where a cell's database lives: PostgreSQL's admin URL and postmaster, or SQLite."""

    backend: str
    admin_url: str | None = None
    postmaster: int | None = None

    def database(self, directory: Path, index: int) -> str:
        if self.admin_url is None:
            return f"sqlite:///{directory / 'tocsin.db'}"
        return fresh_database(self.admin_url, f"jobs_{index}")

    def transactions(self, index: int) -> int:
        """Transactions committed or rolled back in cell `index`'s database (PostgreSQL's
        statistics; an autocommit statement such as the pool's ping counts as one). A backend
        reports its counts within a second or so, and at once when it exits."""
        if self.admin_url is None:
            return 0
        u = make_url(self.admin_url)
        with psycopg.connect(
            host=u.host, port=u.port, user=u.username, dbname="postgres", autocommit=True
        ) as conn:
            row = conn.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                (f"jobs_{index}",),
            ).fetchone()
        return int(row[0]) if row else 0


@dataclass
class Proc:
    popen: subprocess.Popen[bytes]
    log: Path
    ready: bool = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def check_ready(self) -> bool:
        if not self.ready:
            if self.popen.poll() is not None:
                raise RuntimeError(f"worker {self.pid} exited:\n{tail(self.log)}")
            self.ready = READY_LINE in self.log.read_bytes()
        return self.ready


class Workers:
    """`python bench/jobs/worker.py` processes of one cell."""

    def __init__(self, env: dict[str, str], directory: Path, options: list[str]) -> None:
        self._env = env
        self._directory = directory
        self._options = options
        self.live: list[Proc] = []
        self.killed: dict[int, float] = {}  # pid -> when
        self._started = 0

    def start(self, extra_env: dict[str, str] | None = None) -> Proc:
        self._started += 1
        log = self._directory / f"worker-{self._started}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(  # noqa: S603 - our interpreter, our script
                [sys.executable, str(WORKER), *self._options],
                env={**self._env, **(extra_env or {})},
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                cwd=self._directory,
            )
        proc = Proc(popen, log)
        self.live.append(proc)
        return proc

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not all(p.check_ready() for p in self.live):
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers not ready in {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.05)

    def kill(self, proc: Proc, meter: Meter) -> None:
        meter.sample(proc.pid)
        proc.popen.send_signal(signal.SIGKILL)
        self.killed[proc.pid] = time.time()
        proc.popen.wait()
        self.live.remove(proc)

    def stop(self) -> None:
        for proc in self.live:
            proc.popen.send_signal(signal.SIGTERM)
        for proc in self.live:
            try:
                proc.popen.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait()
        self.live.clear()

    @property
    def logs(self) -> list[Path]:
        return sorted(self._directory.glob("worker-*.log"))


def tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# -- running a cell --------------------------------------------------------------------------


def run(cell: Cell, server: Server, index: int, settings: Settings) -> dict[str, Any]:
    directory = settings.work / f"{index:02d}-{cell.name}"
    directory.mkdir(parents=True)
    url = server.database(directory, index)
    env = {key: value for key, value in os.environ.items() if key != "TOCSIN_URL"}
    env |= {
        "TOCSIN_CONFIG": str(settings.config),
        "TOCSIN_DATABASE_URL": url,
        records.RECORDS_ENV: str(directory),
        "PYTHONPATH": str(cell.src),
        records.EFFECT_ENV: "1" if cell.phase == "kill" and settings.effect else "0",
    }
    tocsin = build(env=env)  # migrates the fresh database
    lease = settings.kill_lease if cell.phase == "kill" else 300.0
    options = ["--poll", f"{settings.poll:g}", "--lease", f"{lease:g}"]
    workers = Workers(env, directory, options)
    mark = Mark(lambda: server.transactions(index))
    try:
        if cell.phase == "steady":
            found = steady(cell, tocsin, workers, directory, settings, server, mark)
        else:
            found = burst(cell, tocsin, workers, directory, settings, server, url, mark)
        found |= analyse(cell, tocsin.engine, directory, workers, found)
    finally:
        workers.stop()
        tocsin.engine.dispose()
    if server.admin_url is not None:  # every backend has exited: their counts are in
        spent = server.transactions(index) - mark.at_open - 2 * (mark.bench + 1)  # + analyse
        found["transactions_per_job"] = round(spent / max(found["jobs_run"], 1), 2)
    found |= {"cell": cell.name, "backend": cell.backend, "phase": cell.phase}
    found |= {"workers": cell.workers, "producer": cell.producer, "floor": cell.floor}
    found["lease_s"] = lease
    found["checkout"] = cell.checkout
    return found


@dataclass
class Mark:
    """PostgreSQL's transaction count when the window opened, and how many connections this
    process took from its pool since (the producer's, the polls'): each is two transactions
    (the pool's ping, then the work), left out of the workers' count."""

    read: Callable[[], int]
    at_open: int = 0
    bench: int = 0

    def open(self) -> None:
        self.at_open = self.read()


def burst(
    cell: Cell,
    tocsin: Tocsin,
    workers: Workers,
    directory: Path,
    settings: Settings,
    server: Server,
    url: str,
    mark: Mark,
) -> dict[str, Any]:
    count = settings.burst
    floor: subprocess.Popen[bytes] | None = None
    if cell.phase != "floor":
        for _ in range(cell.workers):
            workers.start()
        workers.wait_ready()
        lead = lead_time(tocsin, count)
        due = time.time() + lead
        began = time.time()
        producer.schedule_burst(tocsin, count, due)
    else:
        lead = 1.0 + count * 0.0002
        due = time.time() + lead
        floor = subprocess.Popen(  # noqa: S603 - our interpreter, our script
            [sys.executable, str(FLOOR), url, str(directory), str(count), f"{due}", cell.floor],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            stdin=subprocess.DEVNULL,
        )
        began = time.time()
        bulk_insert(tocsin.engine, count, due)
    visible = time.time()
    start = max(due, visible)
    time.sleep(max(0.0, start - time.time()))
    meter = Meter(postmaster=server.postmaster)
    mark.open()
    meter.open([p.pid for p in workers.live], (floor.pid,) if floor else ())
    stop = threading.Event()
    killer = None
    if cell.phase == "kill":
        killer = threading.Thread(
            target=kill_loop, args=(workers, meter, settings, stop), daemon=True
        )
        killer.start()
    progress = records.Progress(directory)
    drained = wait_until(lambda: progress.count() >= count, settings.drain_timeout)
    if killer is not None:
        stop.set()
        killer.join()

        def done() -> bool:
            mark.bench += 1
            return pending(tocsin.engine) == 0

        drained = wait_until(done, settings.drain_timeout)
    if floor is not None:
        meter.exited(floor.pid, reaped_seconds(floor))
    end = time.time()
    cpu = meter.close(end - start)
    return {
        "jobs": count,
        "insert_s": round(visible - began, 3),
        "lead_s": round(lead, 3),
        "due": due,
        "visible": visible,
        "window_start": start,
        "window_end": end,
        "drained": drained,
        "cpu": cpu,
        "kills": len(workers.killed),
    }


def lead_time(tocsin: Tocsin, count: int) -> float:
    """How far ahead to set the burst's due time so that writing it ends before: the cost of
    scheduling 200 jobs (rolled back), scaled, with a margin."""
    sample = 200
    began = time.perf_counter()
    with producer.unit_of_work(tocsin) as tx:
        moment = datetime.now(UTC)
        for seq in range(sample):
            tx.jobs.schedule(JobSpec(records.KIND, {"seq": seq}, moment))
    per_job = (time.perf_counter() - began) / sample
    return max(2.0, per_job * count * 1.5 + 1.5)


def bulk_insert(engine: Engine, count: int, due: float) -> None:
    """The floor's rows, as `schedule` would store them, in one executemany."""
    moment = datetime.fromtimestamp(due, UTC)
    rows = [
        {"kind": records.KIND, "payload": {"seq": seq}, "status": "queued", "due": moment}
        | {"attempts": 0}
        for seq in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(jobs), rows)


def reaped_seconds(proc: subprocess.Popen[bytes]) -> float:
    """Wait for a child and return its whole CPU time (it is gone from /proc once reaped)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"the floor loop exited with {proc.returncode}")
    return float(usage.ru_utime + usage.ru_stime)


def kill_loop(workers: Workers, meter: Meter, settings: Settings, stop: threading.Event) -> None:
    """Every `kill_every` s, SIGKILL a random ready worker and start a replacement."""
    rng = random.Random(settings.seed)  # noqa: S311 - which worker dies, reproducibly
    starting: list[Proc] = []
    next_kill = time.monotonic() + settings.kill_every
    while not stop.wait(0.05):
        for proc in [p for p in starting if p.check_ready()]:
            starting.remove(proc)
            meter.joined(proc.pid)
        if time.monotonic() < next_kill:
            continue
        next_kill += settings.kill_every
        ready = [p for p in workers.live if p.ready]
        if not ready:
            continue
        workers.kill(rng.choice(ready), meter)
        replacement = workers.start()
        meter.starting(replacement.pid)
        starting.append(replacement)


def pending(engine: Engine) -> int:
    """Bench jobs not done yet (queued, or running under a lease)."""
    stmt = select(jobs.c.id).where(
        jobs.c.kind == records.KIND, jobs.c.status.in_(("queued", "running"))
    )
    with engine.connect() as conn:
        return len(conn.execute(stmt).all())


def wait_until(condition: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def steady(
    cell: Cell,
    tocsin: Tocsin,
    workers: Workers,
    directory: Path,
    settings: Settings,
    server: Server,
    mark: Mark,
) -> dict[str, Any]:
    go = directory / "go"
    out = directory / "produced.json"
    seconds = cell.seconds or settings.seconds
    spec = {"rate": settings.rate, "seconds": seconds, "go": str(go), "out": str(out)}
    for i in range(cell.workers):
        inside = cell.producer == "worker" and i == 0
        workers.start({producer.PRODUCE_ENV: json.dumps(spec)} if inside else None)
    workers.wait_ready()
    start = time.time() + 0.5
    meter = Meter(postmaster=server.postmaster)
    mark.open()
    meter.open([p.pid for p in workers.live])
    if cell.producer == "bench":
        made = producer.produce(tocsin, settings.rate, seconds, start)
        mark.bench += made["sent"]
    else:
        ready = go.with_suffix(".tmp")
        ready.write_text(f"{start}")
        ready.replace(go)  # whole, never half-written
        if not wait_until(out.exists, seconds + settings.drain_timeout, 0.2):
            raise RuntimeError(f"the in-process producer did not finish:\n{workers.logs}")
        made = json.loads(out.read_text())
        made["committed"] = {int(k): v for k, v in made["committed"].items()}
    progress = records.Progress(directory)
    drained = wait_until(lambda: progress.count() >= made["sent"], settings.drain_timeout)
    end = time.time()
    cpu = meter.close(end - start)
    committed = made.pop("committed")
    return {
        "jobs": made["sent"],
        "produced": made,
        "committed": committed,
        "window_start": start,
        "window_end": end,
        "drained": drained,
        "cpu": cpu,
        "kills": 0,
    }


# -- what happened ---------------------------------------------------------------------------


def analyse(
    cell: Cell, engine: Engine, directory: Path, workers: Workers, found: dict[str, Any]
) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(jobs.c.id, jobs.c.status, jobs.c.attempts, jobs.c.payload).where(
                jobs.c.kind == records.KIND
            )
        ).all()
        effects = conn.execute(select(jobs.c.payload).where(jobs.c.kind == records.EFFECT)).all()
    tally = records.tally(records.read_runs(directory), [r.id for r in rows], workers.killed)
    stored: dict[int, int] = {}
    for (payload,) in effects:
        stored[payload["of"]] = stored.get(payload["of"], 0) + 1
    first = list(tally.first.values())
    last = max((r.started for r in first), default=found["window_start"])
    parts: dict[str, dict[str, float]] = {}
    if cell.phase == "steady":
        late = [r.started - r.due for r in first]
        seconds = found["window_end"] - found["window_start"]
        seq = {row.id: row.payload["seq"] for row in rows}
        committed = found.pop("committed")
        at = {r.job: committed[seq[r.job]] for r in first if seq.get(r.job) in committed}
        parts["due_to_commit"] = ms_stats([at[r.job] - r.due for r in first if r.job in at])
        parts["commit_to_claim"] = ms_stats([r.claimed - at[r.job] for r in first if r.job in at])
    else:  # from when the jobs were both due and visible
        late = [r.started - max(r.due, found["visible"]) for r in first]
        seconds = last - found["window_start"]
    parts["claim_to_start"] = ms_stats([r.started - r.claimed for r in first])
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row.status] = statuses.get(row.status, 0) + 1
    cpu, run = found["cpu"], max(tally.jobs_run, 1)
    lost = sum(log.read_text(errors="replace").count("lease lost") for log in workers.logs)
    return {
        "scheduled": len(rows),
        "runs": tally.runs,
        "jobs_run": tally.jobs_run,
        "never_run": len(tally.never_run),
        "never_run_ids": tally.never_run[:20],
        "run_twice": tally.twice,
        "run_twice_after_kill": tally.twice_after_kill,
        "run_twice_unexplained": len(tally.twice_unexplained),
        "run_twice_unexplained_ids": tally.twice_unexplained[:20],
        "run_after_lease_expiry": tally.retried,
        "effects": {  # with --effect (kill cells): the work each run commits with its done mark
            "stored": sum(stored.values()),
            "committed_twice": sum(1 for n in stored.values() if n > 1),
            "done_without_effect": sum(
                1 for r in rows if r.status == "done" and r.id not in stored
            ),
        }
        if effects
        else None,
        "statuses": statuses,
        "lease_lost_warnings": lost,
        "drain_s": round(seconds, 3),
        "jobs_per_s": round(tally.jobs_run / seconds, 1) if seconds > 0 else None,
        "lateness_ms": ms_stats(late),
        "lateness_parts_ms": parts,
        "cpu_ms_per_job": {
            "workers": round(cpu["workers_s"] / run * 1000, 3),
            "postgresql": round(cpu["postgresql_s"] / run * 1000, 3),
            "floor": round(cpu["floor_s"] / run * 1000, 3),
            "bench": round(cpu["bench_s"] / run * 1000, 3),
            "server": round(
                (cpu["workers_s"] + cpu["postgresql_s"] + cpu["floor_s"]) / run * 1000, 3
            ),
        },
        "server_cores": round(
            (cpu["workers_s"] + cpu["postgresql_s"] + cpu["floor_s"]) / cpu["seconds"], 2
        ),
        "last_run": last,
    }
