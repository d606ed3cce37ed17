"""/alerts: what monitoring sent, firing before resolved, the most severe first, suppressed
or not. Nothing pages yet (paging comes with a later version): the page says so."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.api.deps import App
from tocsin.app.answers import status_of
from tocsin.app.ports import AlertFilter
from tocsin.bootstrap import Tocsin
from tocsin.core.alerts import AlertStatus
from tocsin.core.errors import DomainError, InvalidInput, NotFound
from tocsin.web.auth import FormFields, PageSession, ResponderSession, WebSession
from tocsin.web.confirm import Confirm, confirm_page, confirmed
from tocsin.web.incident_page import Retry
from tocsin.web.live_lists import live_url
from tocsin.web.rendering import page

router = APIRouter()
PAGE_SIZE = 100
STATES = {"firing": AlertStatus.FIRING, "resolved": AlertStatus.RESOLVED, "all": None}
_GROUP = re.compile(r"^[0-9a-f]{32}$")


_DURATION = re.compile(r"^(\d{1,4})([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def until(tocsin: Tocsin, duration: str) -> datetime:
    match = _DURATION.match(duration.strip())
    if not match:
        raise InvalidInput("duration: write it like 30m, 2h or 1d")
    return tocsin.clock.now() + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@router.get("/alerts")
def alert_list(request: Request, tocsin: App, session: PageSession) -> HTMLResponse:
    return alerts_page(request, tocsin, session)


@router.post("/alerts/silences", response_model=None)
def add_silence(request: Request, tocsin: App, who: ResponderSession, form: FormFields) -> Response:
    """Matchers one per line, a duration, a comment."""
    matchers = [m for m in form.get("matchers", "").splitlines() if m.strip()]
    try:
        tocsin.alert_admin.silence(
            matchers, None, until(tocsin, form.get("duration", "")), who.principal.name,
            form.get("comment", ""),
        )  # fmt: skip
    except DomainError as exc:
        kept = Retry("silence", form)
        return alerts_page(request, tocsin, who, str(exc), status_of(exc), kept)
    return RedirectResponse("/alerts#silences", 303)


@router.post("/alerts/silences/{silence_id}/expire", response_model=None)
def expire_silence(
    request: Request, silence_id: int, tocsin: App, who: ResponderSession, form: FormFields
) -> Response:
    """Asks first (web/confirm.py): alerts it held back start to count again at once."""
    try:
        if not confirmed(form):
            return confirm_page(request, who, ask_expire(tocsin, silence_id))
        tocsin.alert_admin.expire_silence(silence_id, who.principal.name)
    except DomainError as exc:
        return alerts_page(request, tocsin, who, str(exc), status_of(exc))
    return RedirectResponse("/alerts#silences", 303)


@router.post("/alerts/maintenance", response_model=None)
def add_maintenance(
    request: Request, tocsin: App, who: ResponderSession, form: FormFields
) -> Response:
    try:
        tocsin.alert_admin.maintenance(
            form.get("service", ""), None, until(tocsin, form.get("duration", "")),
            who.principal.name, form.get("comment", ""),
        )  # fmt: skip
    except DomainError as exc:
        kept = Retry("maintenance", form)
        return alerts_page(request, tocsin, who, str(exc), status_of(exc), kept)
    return RedirectResponse("/alerts#maintenance", 303)


def ask_expire(tocsin: Tocsin, silence_id: int) -> Confirm:
    found = [s for s in tocsin.alert_admin.silences() if s.id == silence_id]
    if not found:
        raise NotFound(f"silence {silence_id} is not active (expired, or never was)")
    silence = found[0]
    matchers = ", ".join(str(m) for m in silence.matchers)
    return Confirm(
        f"Expire silence {silence_id}?",
        f"{matchers}, by {silence.author}: {silence.comment}. The alerts it matches count "
        "and suggest incidents again at once.",
        f"/alerts/silences/{silence_id}/expire",
        f"Expire silence {silence_id}",
        "/alerts#silences",
    )


@router.post("/alerts/maintenance/{window_id}/end", response_model=None)
def end_maintenance(
    request: Request, window_id: int, tocsin: App, who: ResponderSession
) -> Response:
    try:
        tocsin.alert_admin.end_maintenance(window_id, who.principal.name)
    except DomainError as exc:
        return alerts_page(request, tocsin, who, str(exc), status_of(exc))
    return RedirectResponse("/alerts#maintenance", 303)


@router.post("/alerts/maintenance/{window_id}/edit", response_model=None)
def edit_maintenance(
    request: Request, window_id: int, tocsin: App, who: ResponderSession, form: FormFields
) -> Response:
    """A new end (a duration from now) and/or comment; an empty duration keeps the end."""
    duration = form.get("duration", "").strip()
    try:
        new_end = until(tocsin, duration) if duration else None
        tocsin.alert_admin.edit_maintenance(
            window_id, who.principal.name, None, new_end, form.get("comment")
        )
    except DomainError as exc:
        return alerts_page(request, tocsin, who, str(exc), status_of(exc))
    return RedirectResponse("/alerts#maintenance", 303)


def alerts_page(
    request: Request,
    tocsin: Tocsin,
    session: WebSession,
    error: str = "",
    status: int = 200,
    retry: Retry | None = None,
) -> HTMLResponse:
    """The page; after a refused form, `retry` holds what was typed into it."""
    chosen = request.query_params.get("status", "firing")
    state = STATES.get(chosen, AlertStatus.FIRING)
    service = request.query_params.get("service", "").strip()[:100] or None
    incident = request.query_params.get("incident", "")
    number = int(incident) if incident.isdigit() and len(incident) < 10 else None
    group = request.query_params.get("group", "").strip().lower()
    group_key = group if _GROUP.match(group) else None
    if number is not None or group_key is not None:  # every alert of one incident or group
        state, chosen = None, "all"
    order = tuple(tocsin.incidents.severities.keys)
    query = AlertFilter(
        state, service, incident=number, limit=PAGE_SIZE, group_key=group_key,
        severity_order=order,
    )  # fmt: skip
    found = tocsin.alert_admin.alerts(query)
    context = {
        "session": session,
        "rows": found.items,
        "total": found.total,
        "status": chosen if chosen in STATES else "firing",
        "service": service or "",
        "group": group_key or "",
        "silences": tocsin.alert_admin.silences(),
        "windows": tocsin.alert_admin.windows(),
        "error": error,
        "retry": retry or Retry(),
        "live": live_url(tocsin, "alerts"),
    }
    return page(request, "alerts.html", context, status)
