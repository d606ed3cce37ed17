"""A local HTTP server for one outside service: it records every request in order and answers
the way the service documents, unless a test scripted a fault for the next requests.

Faults: `Fault.RATE_LIMIT` (the service's own 429), `SERVER_ERROR` (500), `GARBAGE` (200 with a
body that is not the service's format), `HANG` (no answer until the test ends, at most
HANG_LIMIT seconds, so a client timeout fires), `CLOSE` (the connection closed without an
answer). The server's log is what a test checks "sent exactly once" against.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HANG_LIMIT = 5.0  # seconds a HANG holds a request at most, if the test forgets to end it


class Fault(StrEnum):
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    GARBAGE = "garbage"
    HANG = "hang"
    CLOSE = "close"


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: bytes
    fault: Fault | None = None  # what the server did instead of answering normally

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # the work is done, but no answer comes (a lost 201): as HANG after

    @classmethod
    def json(cls, status: int, data: Any, **headers: str) -> Answer:
        return cls(
            status, json.dumps(data).encode(), {"Content-Type": "application/json", **headers}
        )


Handler = Callable[[Request], Answer]
FaultAnswer = Callable[[Fault], Answer]


class FakeServer:
    """`handle` answers a normal request; `fault_answer` gives the service's own 429 and 500."""

    def __init__(self, handle: Handler, fault_answer: FaultAnswer) -> None:
        self._handle = handle
        self._fault_answer = fault_answer
        self._script: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._release = threading.Event()
        self.requests: list[Request] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail_next(self, *faults: Fault) -> None:
        """The next requests meet these faults, in order; later ones are answered normally."""
        with self._lock:
            self._script.extend(faults)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Block until `count` requests have arrived (True), or `timeout` seconds (False)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def _next(self, request: Request) -> tuple[Request, Fault | None]:
        with self._lock:
            fault = self._script.popleft() if self._script else None
            recorded = replace(request, fault=fault)
            self.requests.append(recorded)
            self._arrived.notify_all()
        return recorded, fault

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                self._serve()

            def do_GET(self) -> None:
                self._serve()

            def do_PUT(self) -> None:
                self._serve()

            def do_PATCH(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                recorded, fault = fake._next(request)
                if fault is Fault.HANG:
                    fake._release.wait(HANG_LIMIT)
                    self.close_connection = True
                    return
                if fault is Fault.CLOSE:
                    self.close_connection = True
                    return
                if fault is Fault.GARBAGE:
                    answer = Answer(
                        200, b"<html>502 Bad Gateway</html>\x00\xff", {"Content-Type": "text/html"}
                    )
                elif fault is not None:
                    answer = fake._fault_answer(fault)
                else:
                    answer = fake._handle(recorded)
                if answer.hang:
                    fake._release.wait(HANG_LIMIT)
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

        return Handler


@contextmanager
def running(server: FakeServer) -> Iterator[FakeServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()
