"""A real Tocsin server for end-to-end tests of the remote CLI.

`serving(tocsin)` runs `create_app(tocsin)` under uvicorn in a background thread, on a
socket it binds itself to a free 127.0.0.1 port (no race for the port), waits until
/healthz answers (a bounded poll, never a fixed sleep), yields the base URL, then asks
uvicorn to exit, joins the thread and checks that every thread the server started is gone.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import httpx
import uvicorn

from tests.conftest import FAST_HASHER
from tocsin.api import asgi
from tocsin.api.app import create_app
from tocsin.api.connections import ServerSettings, Timeouts
from tocsin.bootstrap import Tocsin, build
from tocsin.config import render_preset
from tocsin.store import database

READY_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0
_POLL_S = 0.02

# The e2e `project` fixture wraps database.create to dispose each command's engines after
# the command; the server's engine must outlive commands, so the server uses the original.
_create_engine = database.create


@dataclass(frozen=True)
class Server:
    url: str
    tocsin: Tocsin

    def token(self, name: str, role: str) -> str:
        """A new API token's secret, created directly on the server's database."""
        return self.tocsin.accounts.create_token(name, role, "tests")[1]


def wire(directory: Path, database_url: str, text: str | None = None) -> Tocsin:
    """The app as `tocsin serve` wires it (system clock), with its own tocsin.yaml (`text`,
    or the p1-p4 preset)."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "tocsin.yaml"
    config.write_text(text or render_preset("p1-p4"), encoding="utf-8")
    env: Mapping[str, str] = {"TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": database_url}
    with mock.patch.object(database, "create", _create_engine):
        return build(env=env, cwd=directory, hasher=FAST_HASHER)


@contextmanager
def running(directory: Path, database_url: str, text: str | None = None) -> Iterator[Server]:
    tocsin = wire(directory, database_url, text)
    try:
        with serving(tocsin) as url:
            yield Server(url, tocsin)
    finally:
        tocsin.engine.dispose()


@contextmanager
def serving(
    tocsin: Tocsin, tls: tuple[Path, Path] | None = None, timeouts: Timeouts | None = None
) -> Iterator[str]:
    """`tls` = (certificate, key) serves https:// for clients that refuse plain http;
    `timeouts` (else tocsin.yaml's `server:`) as `tocsin serve` would apply them."""
    threads_before = set(threading.enumerate())
    sock = socket.create_server(("127.0.0.1", 0))
    scheme = "https" if tls else "http"
    url = f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"
    config = ServerSettings(
        create_app(tocsin),
        timeouts or asgi.timeouts(tocsin),
        log_config=None,  # leave the process's logging as the test run set it
        access_log=False,
        ws="none",
        lifespan="off",
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="tocsin-test-server"
    )
    thread.start()
    try:
        verify = ssl.create_default_context(cafile=str(tls[0])) if tls else True
        wait_until_ready(url, thread, verify)
        yield url
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT_S)
        sock.close()
        assert not thread.is_alive(), f"the server at {url} did not stop"
        wait_for_threads_to_end(threads_before)


def wait_until_ready(
    url: str, thread: threading.Thread, verify: ssl.SSLContext | bool = True
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    with httpx.Client(timeout=1.0, verify=verify) as client:
        while time.monotonic() < deadline:
            assert thread.is_alive(), f"the server thread for {url} died while starting"
            try:
                if client.get(f"{url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(_POLL_S)
    raise AssertionError(f"the server at {url} was not ready within {READY_TIMEOUT_S} s")


def wait_for_threads_to_end(before: set[threading.Thread]) -> None:
    """Worker threads of the server's thread pool wind down just after it stops."""
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while (left := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        time.sleep(_POLL_S)
    assert not left, f"the server left threads running: {sorted(t.name for t in left)}"
