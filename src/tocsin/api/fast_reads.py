"""The two hottest reads, served without FastAPI (placeholder: passes everything through)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from tocsin.bootstrap import Tocsin


class FastReads:
    def __init__(self, app: ASGIApp, tocsin: Tocsin) -> None:
        self.app = app
        self.tocsin = tocsin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
