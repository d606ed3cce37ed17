"""The dashboard's and the Alerts page's buttons: declare an incident for an alert group (or
an alert's group), or dismiss a suggestion. Each checks the session, its CSRF token and the
role, calls the same use case as the API and the CLI, and goes on (303)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tocsin.api.deps import App
from tocsin.app.answers import status_of
from tocsin.core.errors import DomainError
from tocsin.web.auth import ResponderSession
from tocsin.web.dashboard import dashboard_page

router = APIRouter()


@router.post("/alerts/{ref}/declare", response_model=None)
def declare(request: Request, ref: str, tocsin: App, who: ResponderSession) -> Response:
    try:
        result = tocsin.suggestions.declare(ref, who.principal.name)
    except DomainError as exc:
        return dashboard_page(request, tocsin, who, str(exc), status_of(exc))
    return RedirectResponse(f"/incidents/{result.incident.id}", 303)


@router.post("/alerts/{ref}/dismiss", response_model=None)
def dismiss(request: Request, ref: str, tocsin: App, who: ResponderSession) -> Response:
    try:
        tocsin.suggestions.dismiss(ref, who.principal.name)
    except DomainError as exc:
        return dashboard_page(request, tocsin, who, str(exc), status_of(exc))
    return RedirectResponse("/", 303)
