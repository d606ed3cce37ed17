"""Issue 10, point 4: real `tocsin worker` processes page for 200 incidents declared at once
while workers are SIGKILLed at random and restarted; every page reaches the receiving server
exactly once, counted from that server's own request log (not from Tocsin's records).

Each person's contact method is an outbound webhook of their own (`/ann`, `/bob` on one
local receiver), so the log says whom each request was for and which incident (the
CloudEvents `subject`), without reading Tocsin's tables. The policy's one step is due at
once (`after: 0m`): the worker processes share no injected clock, so nothing here waits on
the wall clock except the bounded waits for a condition.

Kills are placed by the receiver's count, not by a timer: a worker is killed when the
receiver has seen the next of a few random request counts, so every kill lands while pages
are being sent.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.support.fakes.base import Request, running
from tests.support.fakes.receiver import FakeReceiver
from tests.support.paging import PEOPLE, paging_yaml
from tocsin.app.paging import PAGE_JOB, STEP_JOB
from tocsin.bootstrap import Tocsin, build
from tocsin.core.jobs import JobStatus
from tocsin.store.uow import SqlUnitOfWork

TOCSIN = [sys.executable, "-m", "tocsin"]
WITHIN_S = 60.0
LEASE_S = 2


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    with running(FakeReceiver()) as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def env(tmp_path: Path, database_url: str, receiver: FakeReceiver) -> dict[str, str]:
    path = tmp_path / "tocsin.yaml"
    path.write_text(paging_yaml(receiver.url), encoding="utf-8")
    found = {**os.environ, "TOCSIN_CONFIG": str(path), "TOCSIN_DATABASE_URL": database_url}
    found.pop("TOCSIN_URL", None)
    return found


class Workers:
    """`tocsin worker` processes: started, SIGKILLed and replaced, stopped."""

    def __init__(self, env: dict[str, str], log: Path, rng: random.Random) -> None:
        self._env = env
        self._log = log
        self._rng = rng
        self.live: list[subprocess.Popen[bytes]] = []
        self.killed: list[int] = []

    def start(self, count: int = 1) -> None:
        for _ in range(count):
            with self._log.open("ab") as out:
                args = ["worker", "--lease", str(LEASE_S), "--poll", "0.5"]
                self.live.append(
                    subprocess.Popen([*TOCSIN, *args], env=self._env, stdout=out, stderr=out)
                )

    def kill_one(self) -> None:
        victim = self.live.pop(self._rng.randrange(len(self.live)))
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        self.killed.append(victim.pid)
        self.start()

    def stop(self) -> list[int | None]:
        for process in self.live:
            process.send_signal(signal.SIGTERM)
        return [process.wait(timeout=30) for process in self.live]

    def tail(self) -> str:
        return self._log.read_text(errors="replace")[-3000:]


def whole(request: Request) -> bool:
    """The request arrived whole: a worker killed while writing it leaves a body shorter
    than its Content-Length, which a receiver cannot take as a page."""
    return len(request.body) == int(request.headers.get("content-length", -1))


def pages(receiver: FakeReceiver) -> dict[tuple[str, str], Counter[str]]:
    """(person, incident) -> the CloudEvents ids the receiver accepted, with how many times
    each came: from its own log."""
    found: dict[tuple[str, str], Counter[str]] = {}
    for request in receiver.requests:
        if request.fault is None and whole(request):
            event = request.json()
            found.setdefault((request.path.strip("/"), event["subject"]), Counter())[
                event["id"]
            ] += 1
    return found


def unfinished(engine: Engine) -> list[str]:
    """Escalation steps and pages still queued or running."""
    with SqlUnitOfWork(engine) as uow:
        jobs = uow.jobs.find((JobStatus.QUEUED, JobStatus.RUNNING), 1000)
    return [f"{j.kind} {j.key} {j.status.value}" for j in jobs if j.kind in (STEP_JOB, PAGE_JOB)]


def wait_until(
    what: str, done: Callable[[], bool], workers: Workers, detail: Callable[[], object] = str
) -> None:
    deadline = time.monotonic() + WITHIN_S
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what} did not happen within {WITHIN_S} s: {detail()}\n{workers.tail()}"
            )
        time.sleep(0.05)  # polling for an outcome, not timing anything


def chaos(
    env: dict[str, str],
    tmp_path: Path,
    receiver: FakeReceiver,
    engine: Engine,
    workers_n: int,
    incidents: int,
    kills: int,
) -> Workers:
    """Declare `incidents` at once from 8 threads while `workers_n` workers page, killing one
    at each of `kills` random points; return when every page arrived and no step or page job
    is left (so no late repeat can still come)."""
    rng = random.Random(int.from_bytes(os.urandom(4)))  # noqa: S311 - not a secret
    workers = Workers(env, tmp_path / "workers.log", rng)
    declarer: Tocsin = build(env=env, cwd=tmp_path)
    expected = incidents * len(PEOPLE)
    workers.start(workers_n)
    try:
        with ThreadPoolExecutor(8) as pool:
            declared = pool.map(
                lambda i: declarer.incidents.declare("chaos", f"Outage {i}", "P3").incident.id,
                range(incidents),
            )
            for count in sorted(rng.sample(range(expected // 20, expected * 9 // 10), kills)):
                wait_until(
                    f"{count} pages", partial(receiver.wait_for_requests, count, 0.5), workers
                )
                workers.kill_one()
            ids = list(declared)
        wanted = {(who, f"INC-{n}") for who in PEOPLE for n in range(1, incidents + 1)}
        missing = lambda: sorted(wanted - pages(receiver).keys())[:10]  # noqa: E731
        wait_until("every page", lambda: not missing(), workers, missing)
        wait_until("no step or page left", lambda: not unfinished(engine), workers)
    finally:
        codes = workers.stop()
        declarer.engine.dispose()
    # The survivors stopped on SIGTERM: gracefully (0), or before a replacement had set up
    # its handler (-SIGTERM); nothing else ended them.
    assert set(codes) <= {0, -signal.SIGTERM}, workers.tail()
    assert len(set(ids)) == incidents
    assert len(workers.killed) == kills
    return workers


def check_exactly_once(receiver: FakeReceiver, incidents: int) -> None:
    """One page per person and incident, by the receiver's log. A page whose worker was
    killed between its marker and its answer (or ran past its lease) is sent again with the
    same CloudEvents id, which the receiver drops as a repeat (that is what the id is for):
    so each person and incident has exactly one id, and a repeat is the same event again."""
    found = pages(receiver)
    wanted = {(who, f"INC-{n}") for who in PEOPLE for n in range(1, incidents + 1)}
    assert set(found) == wanted, sorted(wanted ^ set(found))[:10]
    two_pages = {key: ids for key, ids in found.items() if len(ids) != 1}
    assert two_pages == {}  # a second page (a new id) for someone: sent twice
    first: dict[str, dict[str, object]] = {}
    for request in filter(whole, receiver.requests):
        event = request.json()
        assert first.setdefault(event["id"], event["data"]) == event["data"], event["id"]
    assert all(r.fault is None for r in receiver.requests)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_three_workers_killed_at_random_send_every_page_exactly_once(
    env: dict[str, str], tmp_path: Path, receiver: FakeReceiver, engine: Engine
) -> None:
    chaos(env, tmp_path, receiver, engine, workers_n=3, incidents=200, kills=5)
    check_exactly_once(receiver, 200)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_workers_on_sqlite_killed_at_random_send_every_page_exactly_once(
    env: dict[str, str], tmp_path: Path, receiver: FakeReceiver, engine: Engine
) -> None:
    chaos(env, tmp_path, receiver, engine, workers_n=2, incidents=100, kills=3)
    check_exactly_once(receiver, 100)
