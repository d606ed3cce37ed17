"""Web pages: the routers, the static files, and how a refusal becomes a page."""

from __future__ import annotations

from importlib.resources import files
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from tocsin.app.answers import ANSWERS
from tocsin.web import (
    action_items_page,
    actions,
    alerts_page,
    api_docs,
    dashboard,
    declare,
    events,
    incident_page,
    insights_page,
    listing,
    live_lists,
    login,
    oncall_page,
    password,
    postmortem_page,
    runbooks_page,
    suggestions,
)
from tocsin.web.auth import LoginRequired, PageRefused, find_session
from tocsin.web.changes import ChangeFeed
from tocsin.web.rendering import WebState, make_environment, page

router = APIRouter(include_in_schema=False)
# Order matters: /incidents/new before /incidents/{ref}.
for module in (
    login,
    password,
    dashboard,
    listing,
    alerts_page,
    suggestions,
    declare,
    events,
    live_lists,
    incident_page,
    runbooks_page,
    postmortem_page,  # before actions: /incidents/{ref}/postmortem is not an action
    action_items_page,  # before actions: /incidents/{ref}/action-items is not an {action}
    actions,
):
    router.include_router(module.router)
router.include_router(oncall_page.router)
router.include_router(insights_page.router)


FAVICON = files("tocsin.web").joinpath("static", "favicon.svg")


async def shutdown(app: FastAPI) -> None:
    """The app is stopping: the live streams' change feed stops looking (web/changes.py)."""
    feed: ChangeFeed | None = getattr(app.state, "changes", None)
    if feed is not None:
        await feed.close()


def install(app: FastAPI, docs_url: str | None = None) -> None:
    """The pages; and at `docs_url` the API reference, rendered here (no CDN, no script)."""
    app.state.web = WebState(make_environment())
    app.include_router(router)
    if docs_url:
        app.add_api_route(docs_url, api_docs.api_docs, include_in_schema=False)
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)
    app.mount("/static", StaticFiles(packages=[("tocsin.web", "static")]), name="static")
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(PageRefused, _refused)


async def _to_login(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)  # noqa: S101 - registered for it
    return RedirectResponse("/login?" + urlencode({"next": exc.next_path}), 303)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageRefused)  # noqa: S101 - registered for it
    answer = ANSWERS[exc.kind]
    if request.url.path.endswith("/events"):
        return Response(exc.message, answer.status, media_type="text/plain")
    session = await run_in_threadpool(find_session, request, request.app.state.tocsin)
    context = {"session": session, "title": answer.title, "message": exc.message}
    return page(request, "error.html", context, answer.status)


async def favicon() -> Response:
    """A bell, as SVG (every current browser takes SVG at /favicon.ico)."""
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(FAVICON.read_bytes(), media_type="image/svg+xml", headers=headers)
