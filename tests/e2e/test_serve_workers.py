"""`tocsin serve --workers 2`: two worker processes answer from one database, and what one
writes the other reads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.alerts.test_durability import free_port
from tocsin.config import render_preset

TOCSIN = [sys.executable, "-m", "tocsin"]
READY_S = 60.0


def serve(env: dict[str, str], port: int, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*TOCSIN, "serve", "--port", str(port), *extra], env=env, stdout=out, stderr=out
        )
    deadline = time.monotonic() + READY_S
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count("Application startup complete") >= 2:
            return process
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"server did not start: {log.read_text(errors='replace')[-2000:]}")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_two_workers_share_one_database(tmp_path: Path) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4"), encoding="utf-8")
    env = {**os.environ, "TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": ""}
    env.pop("TOCSIN_URL", None)
    made = subprocess.run(
        [*TOCSIN, "token", "create", "--name", "ci", "--role", "responder", "--json"],
        env=env, capture_output=True, check=True,
    )  # fmt: skip
    auth = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}
    port = free_port()
    log = tmp_path / "server.log"
    server = serve(env, port, log, "--workers", "2")
    try:
        workers = [p for p in children(server.pid) if "spawn_main" in _cmdline(p)]
        assert len(workers) == 2, (workers, log.read_text(errors="replace")[-2000:])
        base = f"http://127.0.0.1:{port}/api/v1/incidents"
        with httpx.Client(headers=auth, timeout=10) as a, httpx.Client(headers=auth) as b:
            for n in range(1, 11):
                made = (a if n % 2 else b).post(
                    base, json={"title": f"Outage {n}", "severity": "P2"}
                )
                assert made.status_code == 201, made.text
                assert made.json()["id"] == f"INC-{n}"  # numbers stay unique and in order
                assert (b if n % 2 else a).get(f"{base}/INC-{n}").json()["title"] == f"Outage {n}"
            assert a.get(base).json()["total"] == 10
        os.kill(workers[0], signal.SIGKILL)  # a worker dies: the parent starts another
        deadline = time.monotonic() + READY_S
        while time.monotonic() < deadline:
            now = [p for p in children(server.pid) if "spawn_main" in _cmdline(p)]
            if len(now) == 2 and workers[0] not in now:
                break
            time.sleep(0.05)
        assert len(now) == 2, now
        assert workers[0] not in now
        workers = now
        with httpx.Client(headers=auth, timeout=10) as c:
            assert c.get(f"{base}/INC-10").json()["title"] == "Outage 10"
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode == 0
    assert not [p for p in workers if Path(f"/proc/{p}").exists()], "workers stopped with it"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
