"""/incidents/{ref}: the header, the timeline (live), and the forms that change it."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tocsin.api.deps import App
from tocsin.app.answers import ANSWERS
from tocsin.app.ports import AlertFilter
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import ErrorKind, InvalidInput, NotFound
from tocsin.core.scope import Role
from tocsin.core.timeline import EntryKind, TimelineEntry
from tocsin.web.action_items_view import items_for_page
from tocsin.web.auth import PageSession, WebSession
from tocsin.web.rendering import page
from tocsin.web.runbooks_page import runbooks_for_page
from tocsin.web.views import view

router = APIRouter()
LINKED_ALERTS = 50  # shown on the page; the Alerts page filters by incident for the rest
NOTICES = {
    "ack": "Acknowledged.",
    "severity": "Severity changed.",
    "roles": "Roles updated.",
    "reopen": "Reopened.",
    "close": "Closed.",
    "note": "Note added.",
    "runbook": "Step queued: its output appears on the timeline when it has run.",
    "runbook-approval": "Step waits for a second person: `tocsin runbook approve` or the API.",
    "action-item": "Action item added.",
}


@dataclass(frozen=True, slots=True)
class Retry:
    """What a refused form held, so the person does not type it again."""

    action: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def value(self, action: str, name: str) -> str:
        return self.fields.get(name, "") if action == self.action else ""


@dataclass(frozen=True, slots=True)
class Banner:
    error: str | None = None
    notice: str | None = None
    message_seq: int | None = None


@router.get("/incidents/{ref}")
def incident_detail(request: Request, ref: str, tocsin: App, session: PageSession) -> HTMLResponse:
    q = request.query_params
    seq = q.get("message", "")
    banner = Banner(None, NOTICES.get(q.get("done", "")), int(seq) if seq.isdigit() else None)
    return incident_page(request, tocsin, session, ref, banner)


def incident_page(
    request: Request,
    tocsin: Tocsin,
    session: WebSession,
    ref: str,
    banner: Banner = Banner(),
    status: int = 200,
    retry: Retry = Retry(),
) -> HTMLResponse:
    try:
        incident, timeline = tocsin.incidents.detail(ref)
    except (NotFound, InvalidInput):
        missing = ANSWERS[ErrorKind.NOT_FOUND]
        context = {"session": session, "title": missing.title, "message": f"No incident {ref}."}
        return page(request, "error.html", context, missing.status)
    context = {
        "session": session,
        "v": view(incident, tocsin.incidents.severities, tocsin.clock.now()),
        "timeline": timeline,
        "last_seq": timeline[-1].seq if timeline else 0,
        "banner": banner,
        "message": _message(timeline, banner.message_seq),
        "retry": retry,
        "severities": tocsin.incidents.severities.severities,
        "roles": [r.value for r in Role],
        "runbooks": runbooks_for_page(tocsin) if session.can_respond else [],
        "ai": items_for_page(tocsin, incident.number),
        "alerts": tocsin.alert_admin.alerts(
            AlertFilter(incident=incident.number, limit=LINKED_ALERTS)
        ),
    }
    return page(request, "incident.html", context, status)


def _message(timeline: list[TimelineEntry], seq: int | None) -> TimelineEntry | None:
    for entry in timeline:
        if entry.seq == seq and entry.kind is EntryKind.MESSAGE:
            return entry
    return None
