"""Jobs arriving at a steady rate, each scheduled the way a handler schedules one.

One transaction per job, through a `SqlUnitOfWork` whose outbox wakes this process's workers
after COMMIT (as bootstrap wires it), and `SqlJobRepository.schedule`, which sends
`NOTIFY tocsin_jobs` on PostgreSQL: the two wake-ups a real job gets. Each job is due at the
moment it is written (`clock.now()` just before the INSERT). Arrivals follow a fixed schedule
(an open loop, from a few threads): a producer that falls behind sends late, and says by how
much.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime
from typing import Any

from bench.api_latency.load import percentile
from bench.jobs.records import KIND
from tocsin.app.uow import Outbox
from tocsin.bootstrap import Tocsin
from tocsin.core.jobs import JobSpec
from tocsin.store.uow import SqlUnitOfWork

PRODUCE_ENV = "TOCSIN_BENCH_PRODUCE"  # bench/jobs/worker.py: produce in the worker process
THREADS = 4  # producer threads: an open loop as long as one of them is free


def unit_of_work(tocsin: Tocsin) -> SqlUnitOfWork:
    """A unit of work wired like bootstrap's: its outbox wakes this process's workers."""
    return SqlUnitOfWork(tocsin.engine, outbox=Outbox(wake=tocsin.job_signal.notify))


def schedule_burst(tocsin: Tocsin, count: int, due: float) -> None:
    """`count` jobs, all due at `due` (epoch s), in one transaction."""
    moment = datetime.fromtimestamp(due, UTC)
    with unit_of_work(tocsin) as tx:
        for seq in range(count):
            tx.jobs.schedule(JobSpec(KIND, {"seq": seq}, moment))
        tx.commit()


def produce(
    tocsin: Tocsin, rate: float, seconds: float, start: float, threads: int = THREADS
) -> dict[str, Any]:
    """From `start` (epoch s), one job every 1/rate s for `seconds`; what it managed.

    `threads` threads take the jobs in turn (thread k the k-th, k + threads-th, ...), so a
    slow transaction delays the ones after it only when every thread is in one."""
    total = int(rate * seconds)
    lags: list[float] = []
    commits: list[float] = []
    committed: dict[int, float] = {}  # seq -> when its COMMIT returned

    def send(first: int) -> None:
        for seq in range(first, total, threads):
            planned = start + seq / rate
            wait = planned - time.time()
            if wait > 0:
                time.sleep(wait)
            began = time.time()
            lags.append(began - planned)
            with unit_of_work(tocsin) as tx:
                tx.jobs.schedule(JobSpec(KIND, {"seq": seq}, tocsin.clock.now()))
                tx.commit()
            committed[seq] = time.time()
            commits.append(committed[seq] - began)

    senders = [threading.Thread(target=send, args=(k,), daemon=True) for k in range(threads)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return {
        "planned": total,
        "sent": len(commits),
        "rate": rate,
        "threads": threads,
        "seconds": round(time.time() - start, 3),
        "send_lag_ms": ms_stats(lags),
        "schedule_ms": ms_stats(commits),
        "committed": committed,
    }


def ms_stats(samples: list[float]) -> dict[str, float]:
    """p50, p99 and max of `samples` (seconds) in milliseconds; nearest rank."""
    ordered = sorted(samples)
    if not ordered:
        return {"n": 0, "p50": math.nan, "p99": math.nan, "max": math.nan}
    return {
        "n": len(ordered),
        "p50": round(percentile(ordered, 50) * 1000, 2),
        "p99": round(percentile(ordered, 99) * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
    }
