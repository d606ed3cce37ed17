"""A team's admin API, as typed HTTP actions meet it: feature flags and tenants, every request
recorded, and trouble scripted per path (`script[path] = "500" | "hang" | "close" | "garbage"
| "redirect"`)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class AdminApi(ThreadingHTTPServer):
    """Feature flags and tenants, with scriptable trouble per path (`script[path] = mode`)."""

    daemon_threads = True

    def __init__(self, token: str | None = None) -> None:
        super().__init__(("127.0.0.1", 0), AdminHandler)
        self.token = token  # None: no Authorization asked for
        self.flags: dict[str, bool] = {"new-checkout": True}
        self.tenants: dict[str, str] = {"acme": "active"}
        self.seen: list[Seen] = []
        self.script: dict[str, str] = {}
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class AdminHandler(BaseHTTPRequestHandler):
    server: AdminApi

    def _answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        srv = self.server
        srv.seen.append(Seen(self.command, self.path, dict(self.headers), body))
        mode = srv.script.get(self.path, "")
        if mode == "hang":
            srv.release.wait(30)
            return
        if mode == "close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == "garbage":
            return self._answer(200, b"<html>\x00\xff not json")
        if mode == "redirect":
            return self._answer(302, b"", Location="http://elsewhere.invalid/")
        if mode.isdigit():
            echoed = (srv.token or "").encode()  # an answer that echoes the credential
            return self._answer(int(mode), b'{"error": "no such thing ' + echoed + b'"}')
        if srv.token and self.headers.get("Authorization") != f"Bearer {srv.token}":
            return self._answer(401, b'{"error": "who are you"}')
        parts = self.path.strip("/").split("/")
        if parts[:2] == ["admin", "features"] and self.command == "GET":
            flag = parts[2]
            return self._json({"flag": flag, "enabled": srv.flags.get(flag)})
        if parts == ["admin", "features"] and self.command == "POST":
            given = json.loads(body)
            srv.flags[given["flag"]] = given["enabled"]
            return self._json({"ok": True})
        if parts[:2] == ["admin", "tenants"] and len(parts) == 3:
            return self._json({"tenant": parts[2], "status": srv.tenants.get(parts[2])})
        if parts[:2] == ["admin", "tenants"] and len(parts) == 4:
            srv.tenants[parts[2]] = {"suspend": "suspended", "resume": "active"}[parts[3]]
            return self._json({"tenant": parts[2], "status": srv.tenants[parts[2]]})
        return self._answer(404, b"{}")

    def _json(self, data: Any) -> None:
        self._answer(200, json.dumps(data).encode(), **{"Content-Type": "application/json"})

    do_GET = do_POST = _handle  # noqa: N815 - http.server's names

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def admin_api(token: str | None = None) -> Iterator[AdminApi]:
    server = AdminApi(token)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
