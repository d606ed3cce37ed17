"""Real `tocsin worker` and `tocsin serve` processes running jobs: a worker killed mid-job
leaves it to another after the lease, and `serve` runs a worker unless told not to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from tests.alerts.test_durability import free_port
from tocsin.config import render_preset
from tocsin.core.jobs import Job, JobStatus
from tocsin.store import database
from tocsin.store.uow import SqlUnitOfWork

TOCSIN = [sys.executable, "-m", "tocsin"]
WITHIN_S = 60.0


class Probed(ThreadingHTTPServer):
    """A service under health checks: counts probes; holds each open while `hold` is set."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits = 0
        self.arrived = threading.Event()
        self.hold = threading.Event()
        self.released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/health"


class Handler(BaseHTTPRequestHandler):
    server: Probed

    def do_GET(self) -> None:
        self.server.hits += 1
        self.server.arrived.set()
        if self.server.hold.is_set():
            self.server.released.wait(WITHIN_S)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def probed() -> Iterator[Probed]:
    server = Probed()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def project(tmp_path: Path, database_url: str, probed: Probed) -> dict[str, str]:
    """tocsin.yaml with one daily health check against `probed` (a minute's timeout)."""
    config = yaml.safe_load(render_preset("p1-p4"))
    config["services"] = [
        {"name": "api", "checks": [{"url": probed.url, "interval": "24h", "timeout": "60s"}]}
    ]
    path = tmp_path / "tocsin.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {**os.environ, "TOCSIN_CONFIG": str(path), "TOCSIN_DATABASE_URL": database_url}
    env.pop("TOCSIN_URL", None)
    return env


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = database.create(database_url)
    yield eng
    eng.dispose()


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([*TOCSIN, *args], env=env, stdout=out, stderr=out)


def wait_for(what: str, ready: threading.Event, log: Path) -> None:
    if not ready.wait(WITHIN_S):
        raise AssertionError(f"{what} did not happen: {log.read_text(errors='replace')[-2000:]}")


def health_jobs(engine: Engine) -> list[Job]:
    with SqlUnitOfWork(engine) as uow:
        return [j for j in uow.jobs.find() if j.kind == "health.check"]


def test_a_killed_worker_leaves_its_job_to_another_after_the_lease(
    project: dict[str, str], probed: Probed, engine: Engine, tmp_path: Path
) -> None:
    probed.hold.set()  # the first probe hangs: the job is claimed and still running
    log = tmp_path / "worker.log"
    first = start(project, log, "worker", "--lease", "3", "--poll", "0.5")
    try:
        wait_for("the first worker's probe", probed.arrived, log)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    [running] = [j for j in health_jobs(engine) if j.status == JobStatus.RUNNING]
    assert running.lease_owner is not None
    assert f":{first.pid}:" in running.lease_owner
    probed.hold.clear()
    probed.released.set()
    second = start(project, log, "worker", "--lease", "3", "--poll", "0.5")
    try:
        deadline = time.monotonic() + WITHIN_S
        while time.monotonic() < deadline:
            job = next(j for j in health_jobs(engine) if j.id == running.id)
            if job.status == JobStatus.DONE:
                break
            time.sleep(0.1)  # polling the database for the outcome, not timing anything
        assert job.status == JobStatus.DONE, log.read_text(errors="replace")[-2000:]
        assert job.attempts == 2
        assert job.last_error is not None
        assert f":{first.pid}:" in job.last_error  # the lease it took over
        assert probed.hits == 2  # once by each worker: the slot ran again, not twice more
    finally:
        second.send_signal(signal.SIGTERM)  # a graceful stop
        assert second.wait(timeout=30) == 0
    assert "Tocsin worker stopped" in log.read_text(errors="replace")


def serve(env: dict[str, str], log: Path, *extra: str) -> subprocess.Popen[bytes]:
    process = start(env, log, "serve", "--port", str(free_port()), *extra)
    deadline = time.monotonic() + WITHIN_S
    while time.monotonic() < deadline:
        if "Application startup complete" in log.read_text(errors="replace"):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"server did not start: {log.read_text(errors='replace')[-2000:]}")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_runs_a_worker_in_process_unless_told_not_to(
    project: dict[str, str], probed: Probed, engine: Engine, tmp_path: Path
) -> None:
    server = serve(project, tmp_path / "no-worker.log", "--no-worker")
    try:
        assert health_jobs(engine) == []  # nothing seeded, nothing run
        assert probed.hits == 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    log = tmp_path / "serve.log"
    server = serve(project, log)
    try:
        wait_for("the in-process worker's probe", probed.arrived, log)
        deadline = time.monotonic() + WITHIN_S
        while time.monotonic() < deadline:
            statuses = sorted(j.status.value for j in health_jobs(engine))
            if statuses == ["done", "queued"]:  # this slot's run, and the next one
                break
            time.sleep(0.1)
        assert statuses == ["done", "queued"]
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == -signal.SIGTERM  # as uvicorn ends on it
    lines = log.read_text(errors="replace").splitlines()
    assert any("tocsin.worker.loop" in line and "stopped" in line for line in lines)
