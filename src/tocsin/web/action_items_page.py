"""Action items on the web: the section of an incident's page (its items, an add form that
keeps what was typed when refused, a Done button), and /action-items, the overdue ones first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.api.deps import App
from tocsin.app.answers import status_of
from tocsin.core.action_items import Draft, ItemStatus
from tocsin.core.errors import DomainError
from tocsin.web.auth import FormFields, PageSession, ResponderSession
from tocsin.web.incident_page import Banner, Retry, incident_page
from tocsin.web.rendering import page

router = APIRouter()
FORM = "action-item"


@router.post("/incidents/{ref}/action-items", response_model=None)
def add_item(
    request: Request, ref: str, tocsin: App, who: ResponderSession, form: FormFields
) -> Response:
    labels = tuple(x.strip() for x in form.get("labels", "").split(",") if x.strip())
    draft = Draft(form.get("title", ""), form.get("owner", ""), form.get("deadline") or None,
                  form.get("priority") or None, labels, form.get("category") or None,
                  form.get("runbook") or None)  # fmt: skip
    try:
        tocsin.action_items.add(ref, draft, who.principal.name)
    except DomainError as exc:
        kept = Retry(FORM, {k: v for k, v in form.items() if k != "csrf"})
        return incident_page(request, tocsin, who, ref, Banner(str(exc)), status_of(exc), kept)
    return RedirectResponse(f"/incidents/{ref}?done={FORM}#action-items-h", 303)


@router.post("/action-items/{item}/status", response_model=None)
def set_status(
    request: Request, item: str, tocsin: App, who: ResponderSession, form: FormFields
) -> Response:
    try:
        changed = tocsin.action_items.set_status(item, form.get("status", ""), who.principal.name)
    except DomainError as exc:
        context = {"session": who, "title": "Not changed", "message": str(exc)}
        return page(request, "error.html", context, status_of(exc))
    return RedirectResponse(f"/incidents/INC-{changed.incident}#action-items-h", 303)


@router.get("/action-items")
def list_items(request: Request, tocsin: App, session: PageSession) -> HTMLResponse:
    """Overdue items first, then every other open one."""
    items = tocsin.action_items
    overdue = items.list(overdue=True)
    late = {i.id for i in overdue}
    open_ = [
        i
        for i in items.list(statuses=(ItemStatus.OPEN, ItemStatus.IN_PROGRESS))
        if i.id not in late
    ]
    context = {"session": session, "overdue": overdue, "open": open_, "today": items.today()}
    return page(request, "action_items.html", context)
