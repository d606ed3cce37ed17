"""Refuse bodies over 1 MiB before reading them whole: a pure ASGI middleware."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tocsin.app.answers import ANSWERS
from tocsin.core.errors import ErrorKind, TocsinError

MAX_BODY = 1024 * 1024
TOO_LARGE = ANSWERS[ErrorKind.TOO_LARGE].status


class BodyTooLarge(HTTPException, TocsinError):
    """An HTTPException, so FastAPI's body parsing lets it through as a 413 (any other
    error while reading the body becomes "400 There was an error parsing the body")."""

    kind = ErrorKind.TOO_LARGE

    def __init__(self, limit: int) -> None:
        super().__init__(TOO_LARGE, f"body over {limit} bytes")


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        message = f"body over {self.limit} bytes"
        body = json.dumps({"error": {"kind": BodyTooLarge.kind.value, "message": message}}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": TOO_LARGE, "headers": headers})
        await send({"type": "http.response.body", "body": body})
