"""Alertmanager-shaped ingestion without FastAPI: the hottest POSTs, in pure ASGI.

`POST /api/v2/alerts` (bearer key), `POST /ingest/prometheus/{key}/api/v2/alerts` and
`POST /ingest/alertmanager[/{key}]` are answered here: the key is checked (from the
process's key cache when it can be, so no thread hop), the body is read, and the batch
goes to the ingestion writer, which parses and commits it; the answer waits for the COMMIT.
The answers are the FastAPI routes' own (`routers/ingest.py` builds them, `errors.answer`
maps the errors), byte for byte. Anything else, including these paths with a query string,
falls through to FastAPI; the routes stay there for OpenAPI and their tests. The request id,
access log and metrics come from `Observe`, outside; the 1 MiB limit from `BodyLimit`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tocsin.api.errors import UNEXPECTED_STATUS, unexpected_body
from tocsin.api.errors import answer as error_answer
from tocsin.api.logs import SCOPE_KEY, redact_path
from tocsin.api.routers.ingest import answer, bearer
from tocsin.api.routing import header, route_path
from tocsin.app.alert_records import Integration
from tocsin.app.alerts import IngestResult
from tocsin.bootstrap import Tocsin
from tocsin.core.alerts import Parsed

log = logging.getLogger("tocsin.api.errors")

_PROMETHEUS = re.compile(r"/ingest/prometheus/([^/]+)/api/v2/alerts")
_WEBHOOK = re.compile(r"/ingest/alertmanager(?:/([^/]+))?")
API_V2, WEBHOOK = "api_v2", "webhook"


class IngestFast:
    def __init__(self, app: ASGIApp, tocsin: Tocsin) -> None:
        self.app = app
        self.tocsin = tocsin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = _route(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        shape, key = found
        try:
            response = await self._ingest(
                shape, key or bearer(header(scope, b"authorization")), receive
            )
        except ClientDisconnect:
            return
        except HTTPException:  # BodyLimit's 413: it answers
            raise
        except Exception as exc:
            response = _error(scope, exc)
        await response(scope, receive, send)

    async def _ingest(self, shape: str, key: str | None, receive: Receive) -> Response:
        integration = await self._authenticate(key)
        body = await _body(receive)
        sources = self.tocsin.sources
        parse: Callable[[], Parsed]
        if shape == WEBHOOK:
            parse = lambda: sources.alertmanager(body)  # noqa: E731
        else:
            now = self.tocsin.clock.now()
            parse = lambda: sources.alertmanager_api(body, now)  # noqa: E731
        queued = self.tocsin.alerts.submit(integration.name, parse, size=len(body))
        done = await asyncio.wrap_future(queued)
        assert isinstance(done, IngestResult)  # noqa: S101 - the writer's result type
        if shape == WEBHOOK:
            return answer(done)
        if done.problems:
            return PlainTextResponse("\n".join(str(p) for p in done.problems), 400)
        return Response(status_code=200)

    async def _authenticate(self, key: str | None) -> Integration:
        admin = self.tocsin.alert_admin
        cached = admin.authenticate_cached(key, "alertmanager")
        if cached is not None:
            return cached
        return await run_in_threadpool(admin.authenticate, key, "alertmanager")


def _route(scope: Scope) -> tuple[str, str | None] | None:
    """(shape, key from the path) for the paths served here, else None."""
    if scope["method"] != "POST" or scope["query_string"]:
        return None
    path = route_path(scope)
    if path == "/api/v2/alerts":
        return API_V2, None
    if match := _PROMETHEUS.fullmatch(path):
        return API_V2, match.group(1)
    if match := _WEBHOOK.fullmatch(path):
        return WEBHOOK, match.group(1)
    return None


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _error(scope: Scope, exc: Exception) -> Response:
    """The answer FastAPI's handlers give: mapped errors as `errors.answer` says, anything
    else as the unexpected-error 503."""
    try:
        return error_answer(exc)
    except Exception:  # noqa: S110 - not a mapped error: the 503 below
        pass
    rid = scope.get(SCOPE_KEY)
    extra = {"request_id": rid} if rid else None
    path = redact_path(scope["path"])  # never an integration key
    log.error("unexpected error on POST %s", path, exc_info=exc, extra=extra)
    body = unexpected_body()
    headers = {"X-Request-ID": rid} if rid else None
    return JSONResponse(body, UNEXPECTED_STATUS, headers=headers)
