"""The post-mortem page of an incident: the Markdown in a textarea with a preview rendered on
the server (raw HTML off), the status buttons, the history; a refused save keeps the text."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin import bootstrap
from tocsin.api.deps import App
from tocsin.app.answers import status_of
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import DomainError, ErrorKind, NotFound
from tocsin.core.postmortem import TRANSITIONS, Postmortem
from tocsin.web.auth import FormFields, PageRefused, PageSession, ResponderSession, WebSession
from tocsin.web.rendering import page

router = APIRouter()


@router.get("/incidents/{ref}/postmortem")
def postmortem_page(
    request: Request, ref: str, tocsin: App, session: PageSession, version: int | None = None
) -> HTMLResponse:
    return _page(request, tocsin, session, ref, version=version)


@router.post("/incidents/{ref}/postmortem", response_model=None)
def save(
    request: Request, ref: str, tocsin: App, who: ResponderSession, form: FormFields
) -> Response:
    """Save (a new version) or, with `preview`, only show what the text looks like."""
    text = form.get("text", "")
    if form.get("do") == "preview":
        return _page(request, tocsin, who, ref, typed=text, preview=True)
    try:
        expected = int(form.get("version", "0"))
        category = form.get("category") or None
        tocsin.postmortems.edit(ref, who.principal.name, text, expected, category)
    except ValueError:
        return _page(request, tocsin, who, ref, typed=text, error=("version is not a number", 422))
    except DomainError as exc:
        return _page(request, tocsin, who, ref, typed=text, error=(str(exc), status_of(exc)))
    return RedirectResponse(f"/incidents/{ref}/postmortem?saved=1", 303)


@router.post("/incidents/{ref}/postmortem/{action}", response_model=None)
def act(
    request: Request, ref: str, action: str, tocsin: App, who: ResponderSession, form: FormFields
) -> Response:
    """draft (from the timeline), review, return, publish."""
    try:
        if action == "draft":
            again = form.get("again") == "yes"
            tocsin.postmortems.draft(
                ref, who.principal.name, None, form.get("category") or None, again
            )
        elif action in TRANSITIONS:
            tocsin.postmortems.move(ref, action, who.principal.name, int(form.get("version", 0)))
        else:
            raise PageRefused(ErrorKind.NOT_FOUND, "There is no such post-mortem action.")
    except DomainError as exc:
        return _page(request, tocsin, who, ref, error=(str(exc), status_of(exc)))
    return RedirectResponse(f"/incidents/{ref}/postmortem", 303)


def _page(
    request: Request,
    tocsin: Tocsin,
    session: WebSession,
    ref: str,
    typed: str | None = None,
    preview: bool = False,
    error: tuple[str, int] | None = None,
    version: int | None = None,
) -> HTMLResponse:
    try:
        incident = tocsin.incidents.get(ref)
    except DomainError as exc:
        raise PageRefused(exc.kind, str(exc)) from None
    doc: Postmortem | None
    try:
        doc = tocsin.postmortems.get(incident.id)
    except NotFound:
        doc = None
    shown = None
    if doc is not None:
        try:
            shown = doc.current if version is None else doc.version(version)
        except DomainError as exc:
            raise PageRefused(exc.kind, str(exc)) from None
    text = typed if typed is not None else (shown.text if shown else "")
    context = {
        "session": session,
        "i": incident,
        "doc": doc,
        "shown": shown,
        "text": text,
        "preview_html": bootstrap.markdown_html(text) if text else "",
        "previewing": preview,
        "error": error[0] if error else None,
        "summary": tocsin.postmortems.summary(incident.id),
        "categories": tocsin.postmortems.settings.categories,
        "moves": [a for a, (src, _) in TRANSITIONS.items() if shown and shown.status in src],
        "saved": request.query_params.get("saved") == "1",
        "title": f"{incident.id}: post-mortem",
    }
    return page(request, "postmortem.html", context, error[1] if error else 200)
