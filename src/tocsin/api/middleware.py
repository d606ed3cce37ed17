"""One pure ASGI middleware per request: its id, one JSON log line, one histogram sample."""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tocsin.api.errors import UNEXPECTED_STATUS
from tocsin.api.logs import REQUEST_ID, SCOPE_KEY, redact_path
from tocsin.api.observability import Metrics
from tocsin.api.routing import Entry, route_path, route_table

log = logging.getLogger("tocsin.api.access")

_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_QUIET = frozenset({"/healthz", "/readyz", "/metrics"})  # probes and scrapes: DEBUG when fine


def request_id(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID if short and plain (letters, digits, . _ : -), else a new one."""
    for name, value in headers:
        if name == b"x-request-id":
            given = value.decode("latin-1")
            return given if _SAFE_ID.fullmatch(given) else new_request_id()
    return new_request_id()


def new_request_id() -> str:
    """128 random bits as 32 hex digits, the shape of a UUID's hex without building one."""
    return os.urandom(16).hex()


class RouteTemplates:
    """The template a path matches ("/api/v1/incidents/{ref}"), never the raw path: a label
    value per incident would grow without bound."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._table: list[Entry] | None = None

    def __call__(self, scope: Scope) -> str:
        if self._table is None:  # built on first use: every router is included by then
            self._table = route_table(self._app)
        path = route_path(scope)
        return next((e.template for e in self._table if e.regex.match(path)), "unmatched")


class Observe:
    """Pure ASGI: takes or makes the request id, echoes it in X-Request-ID, and writes one
    JSON log line and one histogram sample per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: RouteTemplates) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = scope[SCOPE_KEY] = request_id(scope["headers"])
        status = UNEXPECTED_STATUS  # unless the app answers before raising
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                message = {**message, "headers": headers}
            await send(message)

        token = REQUEST_ID.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
            self._record(scope, rid, status, time.perf_counter() - started)

    def _record(self, scope: Scope, rid: str, status: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "other"
        route = self.routes(scope)
        self.metrics.requests.labels(method, route, str(status)).observe(seconds)
        level = logging.DEBUG if route in _QUIET and status < 400 else logging.INFO
        level = logging.ERROR if status >= 500 else level
        path = redact_path(scope["path"])  # never an integration key
        fields = {"method": scope["method"], "path": path, "status": status}
        extra = {"request_id": rid, **fields, "duration_ms": round(seconds * 1000, 2)}
        log.log(level, "%s %s %s", scope["method"], path, status, extra=extra)
