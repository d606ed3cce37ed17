"""/ : suggested incidents first, then open incidents by severity, each against its
severity's response target."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tocsin.api.deps import App
from tocsin.app.ports import IncidentFilter
from tocsin.bootstrap import Tocsin
from tocsin.core.lifecycle import Status
from tocsin.web.auth import PageSession, WebSession
from tocsin.web.live_lists import live_url
from tocsin.web.oncall_page import on_call_now
from tocsin.web.rendering import page
from tocsin.web.views import by_severity, suggestion_view, view

router = APIRouter()
OPEN = (Status.INVESTIGATING, Status.MITIGATED)
MOST_SHOWN = 500
SUGGESTIONS_SHOWN = 20


@router.get("/")
def dashboard(request: Request, tocsin: App, session: PageSession) -> HTMLResponse:
    return dashboard_page(request, tocsin, session)


def dashboard_page(
    request: Request, tocsin: Tocsin, session: WebSession, error: str = "", status: int = 200
) -> HTMLResponse:
    """The dashboard; `error`: a refused form's reason, shown above everything."""
    found = tocsin.incidents.find(IncidentFilter(statuses=OPEN, limit=MOST_SHOWN))
    suggested = tocsin.suggestions.list(limit=SUGGESTIONS_SHOWN)
    model, now = tocsin.incidents.severities, tocsin.clock.now()
    views = [view(i, model, now) for i in found.items]
    context = {
        "session": session,
        "error": error,
        "suggestions": [suggestion_view(s, model, now) for s in suggested.items],
        "suggested_total": suggested.total,
        "groups": by_severity(views, model),
        "total": found.total,
        "shown": len(views),
        "overdue": sum(1 for v in views if v.response == "overdue"),
        "unacknowledged": sum(1 for v in views if v.response != "acknowledged"),
        "now": now,
        "oncall": on_call_now(tocsin),
        "live": live_url(tocsin, "incidents,alerts"),
        "postmortems_overdue": tocsin.postmortems.overview(overdue=True, limit=20),
        "reviews": tocsin.insights.recent_reviews(),  # the quarterly reviews made
    }
    return page(request, "dashboard.html", context, status)
