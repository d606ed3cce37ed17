"""/incidents/new: the declare form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.api.deps import App
from tocsin.app.answers import ANSWERS, status_of
from tocsin.app.incidents import Outcome
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import DomainError, ErrorKind
from tocsin.core.scope import ALL_TENANTS, Impact, Scope
from tocsin.web.auth import FormFields, PageSession, ResponderSession, WebSession
from tocsin.web.outcomes import back_to_page, split_list
from tocsin.web.rendering import page

router = APIRouter()
CUSTOMER_IMPACT = {"yes": True, "no": False}


@router.get("/incidents/new")
def declare_form(request: Request, tocsin: App, session: PageSession) -> HTMLResponse:
    status = 200 if session.can_respond else ANSWERS[ErrorKind.FORBIDDEN].status
    return _form(request, tocsin, session, {}, None, status)


@router.post("/incidents/new", response_model=None)
def declare(request: Request, tocsin: App, who: ResponderSession, form: FormFields) -> Response:
    try:
        result = _declare(tocsin, who.principal.name, form)
    except DomainError as exc:
        return _form(request, tocsin, who, form, str(exc), status_of(exc))
    return RedirectResponse(back_to_page(result, "declare"), 303)


def _declare(tocsin: Tocsin, actor: str, form: dict[str, str]) -> Outcome:
    tenants = ALL_TENANTS if form.get("all_tenants") else split_list(form.get("tenants", ""))
    scope = Scope().merged(split_list(form.get("services", "")), tenants)
    customer = CUSTOMER_IMPACT.get(form.get("customer_impact", ""))
    impact = Impact().merged(form.get("impact", ""), customer)
    severity = form.get("severity") or None
    return tocsin.incidents.declare(actor, form.get("title", ""), severity, scope, impact)


def _form(
    request: Request,
    tocsin: Tocsin,
    session: WebSession,
    fields: dict[str, str],
    error: str | None,
    status: int,
) -> HTMLResponse:
    context = {
        "session": session,
        "severities": tocsin.incidents.severities.severities,
        "default_severity": tocsin.incidents.default_severity or "",
        "fields": fields,
        "error": error,
    }
    return page(request, "new.html", context, status)
