"""A 2xx means the alert is committed: it survives `kill -9` of the server at any moment."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tocsin.app.ports import AlertFilter
from tocsin.bootstrap import build
from tocsin.config import render_preset
from tocsin.integrations.sources.fields import fingerprint

TOCSIN = [sys.executable, "-m", "tocsin"]
READY_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*TOCSIN, "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"server did not start: {log.read_text(errors='replace')[-2000:]}")


def post_until_killed(
    url: str, acked: list[str], stop: threading.Event, worker: int, source: str
) -> None:
    """Post alerts one by one; remember each key the server answered 2xx for."""
    n = 0
    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            key = f"w{worker}-{n}"
            if source == "generic":
                body: object = {"summary": "disk full", "dedup_key": key}
            else:  # Alertmanager's API: the key is the fingerprint of the labels
                body = [{"labels": {"alertname": "DiskFull", "instance": key}}]
                key = fingerprint({"alertname": "DiskFull", "instance": key})
            try:
                answer = client.post(url, json=body)
            except httpx.HTTPError:
                return  # the server is gone
            if answer.is_success:
                acked.append(key)
            n += 1


@pytest.mark.parametrize(
    ("kill_after", "source"),
    [(25, "generic"), (140, "generic"), (333, "generic"), (140, "alertmanager")],
)
def test_acknowledged_alerts_survive_kill_9(tmp_path: Path, kill_after: int, source: str) -> None:
    """Generic JSON and Alertmanager's API, each through its route and the group-commit
    writer."""
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4"), encoding="utf-8")
    env = {**os.environ, "TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": ""}
    env.pop("TOCSIN_URL", None)
    made = subprocess.run(
        [*TOCSIN, "integration", "add", "gen", "--source", source, "--json"],
        env=env, capture_output=True, check=True,
    )  # fmt: skip
    key = json.loads(made.stdout)["key"]
    port = free_port()
    process = start_server(env, port, tmp_path / "server.log")
    acked: list[str] = []
    stop = threading.Event()
    path = f"generic/{key}" if source == "generic" else f"prometheus/{key}/api/v2/alerts"
    url = f"http://127.0.0.1:{port}/ingest/{path}"
    workers = [
        threading.Thread(target=post_until_killed, args=(url, acked, stop, w, source))
        for w in range(4)
    ]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 60
    while len(acked) < kill_after and time.monotonic() < deadline:
        time.sleep(0.001)
    os.kill(process.pid, signal.SIGKILL)  # mid-stream: requests are in flight
    process.wait(timeout=10)
    stop.set()
    for w in workers:
        w.join(timeout=10)
    assert len(acked) >= kill_after
    wired = build(env={"TOCSIN_CONFIG": str(config)}, cwd=tmp_path)
    stored = {a.dedup_key for a in wired.alert_admin.alerts(AlertFilter(limit=100_000)).items}
    wired.engine.dispose()
    missing = [k for k in acked if k not in stored]
    assert missing == [], f"{len(missing)} alerts answered 2xx but lost"
