"""Connections that take too long are closed: the request line and headers must arrive
within `request_head_timeout` of the connection (or of the request's first byte on a kept
alive connection), and the body within `request_body_timeout` of the headers.

uvicorn only times out an idle kept-alive connection, so a client that trickles its
headers or body a byte at a time (slowloris) would hold a connection and its task forever.
`GuardedHttp` is uvicorn's httptools protocol with one deadline per request phase; the
timeouts travel in `ServerSettings`, a uvicorn `Config` that the worker processes of
`--workers N` receive as they are.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Timeouts:
    keep_alive: float = 5.0
    head: float = 10.0
    body: float = 30.0


class ServerSettings(uvicorn.Config):
    """uvicorn's settings with Tocsin's timeouts, served by `GuardedHttp`."""

    def __init__(self, app: Any, timeouts: Timeouts, **options: Any) -> None:
        self.timeouts = timeouts
        options.setdefault("timeout_keep_alive", max(1, round(timeouts.keep_alive)))
        super().__init__(app, http=GuardedHttp, **options)


class GuardedHttp(HttpToolsProtocol):
    """Closes a connection whose request head or body is late; see the module's text."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._timeouts = getattr(config, "timeouts", Timeouts())
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._timeouts.head, "request line and headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # the next request on a kept-alive connection
            self._arm(self._timeouts.head, "request line and headers")

    def on_headers_complete(self) -> None:
        self._disarm()
        self._arm(self._timeouts.body, "request body")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _arm(self, seconds: float, what: str) -> None:
        self._deadline = self.loop.call_later(seconds, self._late, seconds, what)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _late(self, seconds: float, what: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.warning(
            "closed the connection from %s: %s not received within %gs", client, what, seconds
        )
        self.transport.close()
