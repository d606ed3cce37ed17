"""The two servers under test, each a real subprocess on a free loopback port.

- Alertmanager: Debian's `prometheus-alertmanager` with a route to a null receiver (nothing
  is sent anywhere), clustering off (`--cluster.listen-address=`), storage in a temp dir.
  It keeps alerts in memory only.
- Tocsin: `tocsin init` in a temp dir, `database.sqlite_synchronous` set to NORMAL or FULL, one
  route that matches every alert with a `service` label (so an alert declares an incident, or
  joins the open one of its group), `tocsin db upgrade`, `tocsin integration add ... --json`
  for the key, `tocsin token create --role viewer --json` for the incident-page reads, then
  `tocsin serve`: the command a user runs, with its JSON request log (to a file here) and its
  health-check loop. The SQLite file sits on the machine's disk (the temp dir is under
  .bench/, not a tmpfs), so synchronous=FULL pays for its fsyncs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
ROUTING = """
# bench/ingest: every alert with a service label routes to its service and declares.
routing:
  routes:
    - match: ["service=~.+"]
"""
ALERTMANAGER_CONFIG = """\
route:
  receiver: "null"
receivers:
  - name: "null"
"""


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    base_url: str
    ingest_path: str
    """Where batches go (POST): a JSON array of alerts, or a webhook notification."""
    pid: int
    token: str = ""
    """Tocsin only: a viewer API token for GET /api/v1/..."""
    data_dir: str = ""
    webhook: bool = False
    """Alertmanager's webhook shape (`/ingest/alertmanager/{key}`) instead of its API's."""

    def body(self, alerts: bytes) -> bytes:
        """A JSON array of API-shaped alerts as this server's ingestion path takes it: as is,
        or wrapped in a webhook notification (version 4, status firing; the alerts' fields
        are the same)."""
        if not self.webhook:
            return alerts
        return WEBHOOK_HEAD + alerts + b"}"


TOCSIN_WORKERS = 1  # run.py --tocsin-workers
WEBHOOK_HEAD = b'{"version":"4","groupKey":"bench","status":"firing","receiver":"tocsin","alerts":'


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def alertmanager_version() -> str:
    done = subprocess.run(  # noqa: S603 - a fixed binary
        [ALERTMANAGER, "--version"], capture_output=True, text=True, check=False
    )
    first = (done.stdout or done.stderr).splitlines()
    return first[0].strip() if first else "unknown"


@contextlib.contextmanager
def alertmanager(work: Path) -> Iterator[Server]:
    if not Path(ALERTMANAGER).exists():
        raise RuntimeError(f"{ALERTMANAGER} is missing: run `make deps`")
    with tempfile.TemporaryDirectory(prefix="alertmanager-", dir=work) as tmp:
        config = Path(tmp) / "alertmanager.yml"
        config.write_text(ALERTMANAGER_CONFIG, encoding="utf-8")
        port = free_port()
        command = [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={Path(tmp) / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ]
        log = work / "alertmanager.log"
        base_url = f"http://127.0.0.1:{port}"
        with _running(command, log, Path(tmp), os.environ) as proc:
            _wait_ready(proc, f"{base_url}/-/ready", log)
            yield Server("alertmanager", base_url, "/api/v2/alerts", proc.pid, data_dir=tmp)


@contextlib.contextmanager
def tocsin(work: Path, synchronous: str, name: str, *, webhook: bool = False) -> Iterator[Server]:
    """A fresh Tocsin (new config, new SQLite file) served by `tocsin serve`; with `webhook`,
    fed through Alertmanager's webhook receiver route instead of its API's."""
    cli = _tocsin_cli()
    with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=work) as tmp:
        home = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
        env["TOCSIN_ACTOR"] = "bench"
        _cli(cli, env, home, "init", "--path", "tocsin.yaml")
        config = home / "tocsin.yaml"
        text = config.read_text(encoding="utf-8")
        if "sqlite_synchronous: NORMAL" not in text:
            raise RuntimeError("tocsin init no longer writes `sqlite_synchronous: NORMAL`")
        text = text.replace("sqlite_synchronous: NORMAL", f"sqlite_synchronous: {synchronous}")
        config.write_text(text + ROUTING, encoding="utf-8")
        _cli(cli, env, home, "config", "check")
        _cli(cli, env, home, "db", "upgrade")
        made = json.loads(
            _cli(cli, env, home, "integration", "add", "prom", "--source", "alertmanager", "--json")
        )
        token = json.loads(
            _cli(cli, env, home, "token", "create", "--name", "bench", "--role", "viewer", "--json")
        )["token"]
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log = work / f"{name}.log"
        command = [str(cli), "serve", "--port", str(port)]
        if TOCSIN_WORKERS > 1:
            command += ["--workers", str(TOCSIN_WORKERS)]
        with _running(command, log, home, env) as proc:
            _wait_ready(proc, f"{base_url}/healthz", log)
            path = f"/ingest/prometheus/{made['key']}/api/v2/alerts"
            if webhook:
                path = f"/ingest/alertmanager/{made['key']}"
            yield Server(name, base_url, path, proc.pid, token=token, data_dir=tmp, webhook=webhook)


@contextlib.contextmanager
def whatif(work: Path, synchronous: str, name: str, key_hash: str = "fnv") -> Iterator[Server]:
    """bench/ingest/whatif_app.py: the insert-only ceiling, not Tocsin (see its docstring)."""
    with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=work) as tmp:
        port = free_port()
        key = "0" * 32
        command = [sys.executable, str(Path(__file__).with_name("whatif_app.py"))]
        command += ["--database", str(Path(tmp) / "whatif.db"), "--port", str(port)]
        command += ["--key", key, "--synchronous", synchronous, "--key-hash", key_hash]
        base_url = f"http://127.0.0.1:{port}"
        log = work / f"{name}.log"
        with _running(command, log, Path(tmp), os.environ) as proc:
            _wait_ready(proc, f"{base_url}/healthz", log)
            path = f"/ingest/prometheus/{key}/api/v2/alerts"
            yield Server(name, base_url, path, proc.pid, data_dir=tmp)


def _tocsin_cli() -> Path:
    cli = Path(sys.executable).with_name("tocsin")
    if not cli.exists():
        found = shutil.which("tocsin")
        if found is None:
            raise RuntimeError("no `tocsin` command beside the interpreter or on PATH")
        cli = Path(found)
    return cli


def _cli(cli: Path, env: Mapping[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own CLI
        [str(cli), *args], cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"`tocsin {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done.stdout


@contextlib.contextmanager
def _running(
    command: list[str], log_path: Path, cwd: Path, env: Mapping[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: S603 - fixed binaries and our own CLI
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=dict(env),
        )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited ({proc.returncode}):\n{tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT_S:.0f} s:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
