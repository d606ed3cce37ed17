"""Web pages: the routers, the static files, and how a refusal becomes a page."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from tocsin.app.answers import ANSWERS
from tocsin.web import (
    actions,
    alerts_page,
    dashboard,
    declare,
    events,
    incident_page,
    insights_page,
    listing,
    login,
    oncall_page,
    password,
    postmortem_page,
    runbooks_page,
    suggestions,
)
from tocsin.web.auth import LoginRequired, PageRefused, find_session
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
    incident_page,
    runbooks_page,
    postmortem_page,  # before actions: /incidents/{ref}/postmortem is not an action
    actions,
):
    router.include_router(module.router)
router.include_router(oncall_page.router)
router.include_router(insights_page.router)


def install(app: FastAPI) -> None:
    app.state.web = WebState(make_environment())
    app.include_router(router)
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
