"""Connections at the socket: a client that hangs up mid-body is not a server error, and a
client that trickles its headers or body is cut off at the configured time. A real uvicorn
server (tests/e2e/remote_server.py), raw sockets, and waits bounded by the socket or a log
line, never a fixed sleep."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.remote_server import serving, wire
from tocsin.api.connections import Timeouts
from tocsin.bootstrap import Tocsin

SHORT = Timeouts(keep_alive=5.0, head=1.0, body=1.0)
BOUND_S = 10.0  # the most a test waits for anything


class Records(logging.Handler):
    """Log records of the `tocsin` loggers, with a wait for one that matches."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._changed:
            self.records.append(record)
            self._changed.notify_all()

    def wait_for(self, logger: str, text: str) -> logging.LogRecord:
        def found() -> logging.LogRecord | None:
            return next(
                (r for r in self.records if r.name == logger and text in r.getMessage()), None
            )

        with self._changed:
            assert self._changed.wait_for(found, BOUND_S), [r.getMessage() for r in self.records]
            record = found()
        assert record is not None
        return record


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("tocsin")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Tocsin]]:
    tocsin = wire(tmp_path, f"sqlite:///{tmp_path / 'tocsin.db'}")
    try:
        with serving(tocsin, timeouts=SHORT) as url:
            yield url, tocsin
    finally:
        tocsin.engine.dispose()


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=BOUND_S)
    return sock


def half_a_body(url: str, path: str, headers: str = "") -> None:
    """Promise 1,000 bytes, send 100, hang up."""
    with connect(url) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: tocsin\r\nContent-Type: application/json\r\n"
            f"Content-Length: 1000\r\n{headers}\r\n"
        )
        sock.sendall(head.encode() + b'{"title": "' + b"x" * 89)


def server_errors(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics").text
    return {
        f"{s.labels['route']} {s.labels['status']}": s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "tocsin_http_request_duration_seconds_count"
        and s.labels["status"].startswith("5")
    }


@pytest.mark.parametrize("route", ["ingest", "api"])
def test_a_client_that_hangs_up_mid_body_is_not_a_server_error(
    server: tuple[str, Tocsin], records: Records, route: str
) -> None:
    url, tocsin = server
    if route == "ingest":  # the raw body, read by the route itself
        key = tocsin.alert_admin.add_integration("am", "alertmanager").key
        path, headers = f"/ingest/alertmanager/{key}", ""
    else:  # a JSON body FastAPI reads and validates
        secret = tocsin.accounts.create_token("ci", "responder", "tests")[1]
        path, headers = "/api/v1/incidents", f"Authorization: Bearer {secret}\r\n"
    half_a_body(url, path, headers)
    line = records.wait_for("tocsin.api.access", "POST /")
    assert line.levelno == logging.INFO, line.getMessage()
    assert line.__dict__["status"] == 499  # nginx's "client closed request"
    assert not [r for r in records.records if r.levelno >= logging.ERROR]
    assert server_errors(url) == {}


EARLY_S = 0.05  # how much sooner than the test's stopwatch the server's deadline may start


def trickle(sock: socket.socket, data: bytes, started: float) -> float:
    """Send a byte at a time, each when the server is still there, until it hangs up; return
    how long after `started` the server closed the connection."""
    sock.settimeout(0.2)  # each wait for the server's answer is bounded by the socket
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(1024) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue  # still open: the next byte
        except OSError:
            return time.monotonic() - started
        if time.monotonic() - started > BOUND_S:
            break
    raise AssertionError(f"the server still listened after {time.monotonic() - started:.1f}s")


def test_trickled_headers_are_cut_off_at_the_head_timeout(server: tuple[str, Tocsin]) -> None:
    url, _ = server
    started = time.monotonic()
    with connect(url) as sock:
        slow = b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 1000
        took = trickle(sock, slow, started)
    # The server's deadline starts at its accept, a moment before `started`: allow EARLY_S.
    assert SHORT.head - EARLY_S <= took < SHORT.head + 2.0


def test_a_trickled_body_is_cut_off_at_the_body_timeout(
    server: tuple[str, Tocsin], records: Records
) -> None:
    url, tocsin = server
    key = tocsin.alert_admin.add_integration("am", "alertmanager").key
    head = f"POST /ingest/alertmanager/{key} HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n"
    started = time.monotonic()
    with connect(url) as sock:
        sock.sendall(head.encode())
        took = trickle(sock, b"[" + b" " * 4999, started)
    assert SHORT.body - EARLY_S <= took < SHORT.body + 2.0
    records.wait_for("tocsin.api.connections", "request body not received within 1s")
    assert records.wait_for("tocsin.api.access", "POST /").__dict__["status"] == 499
    assert server_errors(url) == {}


def test_a_prompt_client_is_answered_on_a_kept_alive_connection(
    server: tuple[str, Tocsin],
) -> None:
    url, _ = server
    with httpx.Client() as client:  # one connection, several requests, each under the limits
        for _ in range(3):
            assert client.get(f"{url}/healthz").status_code == 200
