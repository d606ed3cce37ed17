"""Operations endpoints outside /api/v1: liveness, readiness and Prometheus metrics.

`install(app)` also registers the request middleware (request id, JSON access log, latency
histogram), so app.py stays as it is.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client.exposition import choose_encoder

from tocsin.api import models as m
from tocsin.api import responses as r
from tocsin.api.deps import App
from tocsin.api.middleware import Observe, RouteTemplates
from tocsin.api.observability import Metrics, new_metrics
from tocsin.app.errors import StorageError
from tocsin.bootstrap import check_database

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=m.Health)
def healthz() -> dict[str, Any]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=m.Ready, responses={503: {"model": m.Ready}})
def readyz(tocsin: App) -> dict[str, Any] | JSONResponse:
    """The database answers."""
    try:
        check_database(tocsin)
    except StorageError as exc:
        return JSONResponse({"status": "unavailable", "database": str(exc)}, 503)
    return {"status": "ok", "database": "ok"}


@router.get("/metrics", response_class=Response, responses=r.plain_text("Prometheus text format"))
def metrics(request: Request) -> Response:
    """Prometheus metrics: `tocsin_incidents{status,severity}`, `tocsin_jobs{status}`,
    `tocsin_database_up`, `tocsin_http_request_duration_seconds{method,route,status}` and
    the process's own.

    Unauthenticated, like /healthz and /readyz, so Prometheus scrapes it with no secret to
    rotate: it holds counts and latencies only, never a title, name or token. A check on the
    client address (loopback only) is not used: behind a reverse proxy every caller looks
    local. If the server is reachable from untrusted networks, keep /metrics off the public
    side of the proxy.
    """
    registry = _metrics(request).registry
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(registry), media_type=content_type)


def _metrics(request: Request) -> Metrics:
    found: Metrics = request.app.state.metrics
    return found


def install(app: FastAPI) -> None:
    metrics = new_metrics(app.state.tocsin)
    app.state.metrics = metrics
    app.include_router(router)
    app.add_middleware(Observe, metrics=metrics, routes=RouteTemplates(app))
