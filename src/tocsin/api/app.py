"""The FastAPI application factory: routers, error mapping, limits. Built per call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from tocsin import __version__
from tocsin.api import errors, openapi_errors
from tocsin.api import reload as reloading
from tocsin.api.limits import BodyLimit
from tocsin.api.routers import (
    accounts,
    ack,
    action_items,
    alerting,
    callbacks,
    incidents,
    ingest,
    ingest_aws_pd,
    insights,
    oncall,
    ops,
    pagetests,
    postmortems,
    runbooks,
)
from tocsin.bootstrap import Tocsin
from tocsin.web import routes as web

API_PREFIX = "/api/v1"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await web.shutdown(app)


def create_app(tocsin: Tocsin) -> FastAPI:
    app = FastAPI(
        title="Tocsin",
        version=__version__,
        description="Incident response: declare, acknowledge, update, mitigate, resolve.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # web/api_docs.py renders the reference: Swagger UI needs a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.tocsin = tocsin
    # Routes are tried in order, and each included router is a level FastAPI matches twice:
    # the hottest (alert senders, then the incident list and page) come first and shallow.
    ingest.install(app)
    app.include_router(incidents.router, prefix=API_PREFIX)
    api = APIRouter(prefix=API_PREFIX)
    api.include_router(accounts.router)
    api.include_router(alerting.router)
    api.include_router(oncall.router)
    api.include_router(pagetests.router)
    api.include_router(runbooks.router)
    api.include_router(postmortems.router)
    api.include_router(action_items.router)
    api.include_router(reloading.router)
    api.include_router(insights.router)
    app.include_router(api)
    app.include_router(ingest_aws_pd.router)
    app.include_router(ack.router)
    app.include_router(callbacks.router)
    errors.install(app)
    openapi_errors.install(app)
    web.install(app, docs_url=f"{API_PREFIX}/docs")
    app.add_middleware(BodyLimit)
    ops.install(app)  # outermost: request ids, logs and metrics cover 413s too
    return app
