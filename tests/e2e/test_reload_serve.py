"""A real `tocsin serve` takes a new tocsin.yaml on SIGHUP and on `tocsin reload`, in every
worker process; a broken file is refused with its errors in the log and on the command's
terminal, and the old configuration keeps answering. Waits are bounded polls of the server's
answers or its log, never a fixed sleep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.alerts.test_durability import free_port
from tocsin.cli.main import app
from tocsin.config import render_preset

TOCSIN = [sys.executable, "-m", "tocsin"]
BOUND_S = 30.0


class Served:
    def __init__(self, home: Path, env: dict[str, str], process: subprocess.Popen[bytes]):
        self.home, self.env, self.process = home, env, process
        self.config = home / "tocsin.yaml"
        self.log = home / "server.log"

    def relabel(self, new: str) -> None:
        text = self.config.read_text(encoding="utf-8")
        self.config.write_text(text.replace("label: High", f"label: {new}", 1), encoding="utf-8")

    def wait_for(self, what: str, check: Callable[[], bool]) -> None:
        deadline = time.monotonic() + BOUND_S
        while not check():
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, f"{what}: {self.log.read_text()[-3000:]}"
            time.sleep(0.05)


def start(tmp_path: Path, *extra: str) -> Iterator[tuple[Served, str]]:
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4"), encoding="utf-8")
    env = {**os.environ, "TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": ""}
    env.pop("TOCSIN_URL", None)
    env.pop("TOCSIN_TOKEN", None)
    made = subprocess.run(
        [*TOCSIN, "token", "create", "--name", "ops", "--role", "admin", "--json"],
        env=env, capture_output=True, check=True,
    )  # fmt: skip
    token = json.loads(made.stdout)["token"]
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*TOCSIN, "serve", "--port", str(port), *extra], env=env, stdout=out, stderr=out
        )
    served = Served(tmp_path, env, process)
    workers = int(extra[extra.index("--workers") + 1]) if "--workers" in extra else 1
    try:
        served.wait_for(
            "start",
            lambda: (
                log.read_text(errors="replace").count("Application startup complete") >= workers
            ),
        )
        served.env |= {"TOCSIN_URL": f"http://127.0.0.1:{port}", "TOCSIN_TOKEN": token}
        yield served, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(BOUND_S)


@pytest.fixture
def one(tmp_path: Path) -> Iterator[tuple[Served, str]]:
    yield from start(tmp_path)


def labels(url: str, token: str, asks: int = 1) -> set[str]:
    """P2's label in `asks` answers (with several workers, each may come from another)."""
    found = set()
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
        for _ in range(asks):
            items = client.get(f"{url}/api/v1/severities").json()["items"]
            found.add(next(s["label"] for s in items if s["key"] == "P2"))
            client.headers["Connection"] = "close"  # a new connection: maybe another worker
    return found


def reload_command(env: dict[str, str]) -> tuple[int, str]:
    """`tocsin reload --json` in this process (as tests/e2e/conftest.py runs commands)."""
    result = CliRunner().invoke(app, ["reload", "--json"], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_sighup_and_tocsin_reload_apply_the_new_file_and_refuse_a_broken_one(
    one: tuple[Served, str],
) -> None:
    served, url = one
    token = served.env["TOCSIN_TOKEN"]
    text = served.config.read_text(encoding="utf-8")
    assert labels(url, token) == {"High"}
    served.relabel("Feature down")
    os.kill(served.process.pid, signal.SIGHUP)
    served.wait_for("the new label", lambda: labels(url, token) == {"Feature down"})

    served.config.write_text("severities: []\norganization: [\n", encoding="utf-8")
    os.kill(served.process.pid, signal.SIGHUP)
    served.wait_for("the refusal", lambda: "reload refused" in served.log.read_text())
    assert "the old configuration stays in force" in served.log.read_text()
    assert labels(url, token) == {"Feature down"}  # still served, by the old configuration
    assert served.process.poll() is None

    local = {"TOCSIN_CONFIG": str(served.config), "TOCSIN_URL": "", "TOCSIN_TOKEN": ""}
    served.config.write_text(text.replace("key: P2", "key: 'P 2'", 1), encoding="utf-8")
    code, output = reload_command(local)
    assert code == 1, output
    assert "invalid severity key" in output
    assert served.log.read_text().count("reload refused") == 1  # nothing was signalled

    served.config.write_text(text.replace("label: High", "label: Signalled", 1), "utf-8")
    code, output = reload_command(local)
    assert code == 0, output
    assert json.loads(output)["signalled"] == [{"kind": "serve", "pid": served.process.pid}]
    served.wait_for("the new label", lambda: labels(url, token) == {"Signalled"})

    served.config.write_text(text.replace("label: High", "label: Via the API", 1), "utf-8")
    code, output = reload_command(served.env)  # TOCSIN_URL: the server's endpoint
    assert code == 0, output
    assert json.loads(output)["restart_needed"] == []
    assert labels(url, token) == {"Via the API"}  # answered after the reload, not before
    served.config.write_text(text.replace("key: P2", "key: 'P 2'", 1), encoding="utf-8")
    code, output = reload_command(served.env)
    assert code == 2, output  # invalid input, as the server said
    assert "invalid severity key" in output
    assert labels(url, token) == {"Via the API"}


def test_every_worker_process_reloads(tmp_path: Path) -> None:
    with contextmanager(start)(tmp_path, "--workers", "2") as (served, url):
        token = served.env["TOCSIN_TOKEN"]
        served.relabel("Feature down")
        os.kill(served.process.pid, signal.SIGHUP)
        served.wait_for(
            "every worker's new label", lambda: labels(url, token, asks=10) == {"Feature down"}
        )
        assert served.log.read_text().count("reloaded ") == 3  # the supervisor and 2 workers
