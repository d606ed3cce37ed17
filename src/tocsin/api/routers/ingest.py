"""Where monitoring systems send alerts. The integration key travels in the URL or as a
bearer token; a 2xx means every good alert of the request is committed.

These routes are posted to for every alert, so they take only the request: the key, the
header and the raw body are read from it, with no parameter for FastAPI to solve and validate
(the OpenAPI document declares the key and the bodies, `api/ingest_bodies.py`). They are
`SenderRoute`s, installed first in the app's own route table (`install`)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from tocsin.api.ingest_bodies import POSTABLE_ALERTS, WEBHOOK, declared
from tocsin.app.alert_records import Integration
from tocsin.app.alerts import IngestResult
from tocsin.bootstrap import Tocsin
from tocsin.core.access import Unauthenticated
from tocsin.core.alerts import Parsed

SENDER_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed payload or bad alerts (the good ones are kept)"},
    401: {"description": "Missing or wrong integration key"},
    413: {"description": "Body over 1 MiB"},
    503: {"description": "Transient trouble: retry"},
}


class SenderRoute(APIRoute):
    """A FastAPI route (matched by the router, behind every middleware, in the OpenAPI
    document) whose endpoint takes the request and returns the response, called directly:
    an endpoint with no parameter to solve, no body to validate and no response model gains
    nothing from FastAPI's per-request handler (a request scope with two exit stacks,
    dependency solving, response serialisation). With `install`, that took the event loop's
    time per batch-1 post from ~145 to ~90 µs in-process (the layer it replaced: ~70). Errors
    go up to the app's exception handlers, as from any route."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in (self.methods or ()):  # the 405, as any route answers it
            await super().handle(scope, receive, send)
            return
        response: Response = await self.endpoint(Request(scope, receive, send))
        await response(scope, receive, send)


router = APIRouter(tags=["ingest"], responses=SENDER_ERRORS, route_class=SenderRoute)


def install(app: FastAPI) -> None:
    """The senders' routes in the app's own route table, ahead of every other: tried first,
    and matched once (an included router is a level FastAPI matches twice per request)."""
    app.router.routes.extend(router.routes)


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


async def _ingest(
    tocsin: Tocsin, integration: Integration, parse: Callable[[], Parsed], size: int
) -> IngestResult:
    """Parse and commit in the ingestion writer's thread (group commit), off the loop."""
    done = await asyncio.wrap_future(tocsin.alerts.submit(integration.name, parse, size=size))
    assert isinstance(done, IngestResult)  # noqa: S101 - the writer's result type
    return done


def answer(result: IngestResult) -> JSONResponse:
    body: dict[str, Any] = {
        "status": "success" if not result.problems else "partial",
        "accepted": result.accepted,
        "declared": result.declared,
        "attached": sorted(set(result.attached)),
        "suppressed": result.suppressed,
    }
    if result.problems:
        body["errors"] = [str(p) for p in result.problems]
        return JSONResponse(body, 400)
    return JSONResponse(body, 200)


async def receive(
    request: Request, tocsin: Tocsin, source: str, key: str | None
) -> tuple[Integration, bytes]:
    """The integration the key opens (from the process's key cache when it can be: no
    thread hop) and the raw body; parsing is the ingestion writer's, off the loop."""
    admin = tocsin.alert_admin
    integration = admin.authenticate_cached(key, source)
    if integration is None:
        integration = await run_in_threadpool(admin.authenticate, key, source)
    return integration, await request.body()


def sender(request: Request) -> tuple[Tocsin, str | None]:
    """The wired app, and the key the sender presents: in the path, else as a bearer token."""
    tocsin: Tocsin = request.app.state.tocsin
    key = request.path_params.get("key") or bearer(request.headers.get("authorization"))
    return tocsin, key


WEBHOOK_BODY = declared(WEBHOOK, "A webhook notification (payload version 4)")
API_BODY = declared(POSTABLE_ALERTS, "Alertmanager's postable alerts")


@router.post("/ingest/alertmanager/{key}", openapi_extra=WEBHOOK_BODY)
@router.post("/ingest/alertmanager", include_in_schema=False)
async def alertmanager_webhook(request: Request) -> JSONResponse:
    """Prometheus Alertmanager's webhook receiver (`webhook_configs`)."""
    tocsin, key = sender(request)
    integration, body = await receive(request, tocsin, "alertmanager", key)
    return answer(
        await _ingest(tocsin, integration, lambda: tocsin.sources.alertmanager(body), len(body))
    )


@router.post("/ingest/prometheus/{key}/api/v2/alerts", openapi_extra=API_BODY)
@router.post(
    "/api/v2/alerts",
    openapi_extra={
        **API_BODY,
        "description": "The same, at the path Prometheus posts to when Tocsin stands in for "
        "Alertmanager (`alerting: alertmanagers:` with `authorization: {credentials: KEY}`): "
        "the integration key as `Authorization: Bearer KEY`.",
    },
)
async def alertmanager_api(request: Request) -> Response:
    """Alertmanager's own API, so Prometheus can send straight to Tocsin: 200 with an empty
    body, or 400 with a text body naming the bad alerts (the good ones are kept)."""
    tocsin, key = sender(request)
    integration, body = await receive(request, tocsin, "alertmanager", key)
    now = tocsin.clock.now()
    result = await _ingest(
        tocsin, integration, lambda: tocsin.sources.alertmanager_api(body, now), len(body)
    )
    if result.problems:
        return PlainTextResponse("\n".join(str(p) for p in result.problems), 400)
    return Response(status_code=200)


@router.post("/ingest/grafana/{key}", openapi_extra=declared())
@router.post("/ingest/grafana", include_in_schema=False)
async def grafana_webhook(request: Request) -> JSONResponse:
    """Grafana's webhook contact point; with `hmac_secret_env` set, the signature must match."""
    tocsin, key = sender(request)
    integration, body = await receive(request, tocsin, "grafana", key)
    _check_grafana_signature(tocsin, integration, request, body)
    return answer(
        await _ingest(tocsin, integration, lambda: tocsin.sources.grafana(body), len(body))
    )


@router.post("/ingest/generic/{key}", openapi_extra=declared())
@router.post("/ingest/generic", include_in_schema=False)
async def generic_json(request: Request) -> JSONResponse:
    """Any JSON: an alert object or a list of them (see docs/alerts.md for the fields)."""
    tocsin, key = sender(request)
    integration, body = await receive(request, tocsin, "generic", key)
    return answer(
        await _ingest(tocsin, integration, lambda: tocsin.sources.generic(body), len(body))
    )


def _check_grafana_signature(
    tocsin: Tocsin, integration: Integration, request: Request, body: bytes
) -> None:
    config = tocsin.config.integration(integration.name)
    if config is None or config.hmac_secret_env is None:
        return
    secret = os.environ.get(config.hmac_secret_env, "")
    if not secret:
        raise Unauthenticated(
            f"signature secret ${config.hmac_secret_env} is not set on the server"
        )
    signature = request.headers.get(config.signature_header, "")
    timestamp = request.headers.get(f"{config.signature_header}-Timestamp")
    if not tocsin.sources.grafana_signature_ok(secret.encode(), body, signature, timestamp):
        raise Unauthenticated("bad or missing signature")
