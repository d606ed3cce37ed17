"""/alerts: what monitoring sent, firing or resolved, paging or suppressed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tocsin.api.deps import App
from tocsin.app.ports import AlertFilter
from tocsin.core.alerts import AlertStatus
from tocsin.web.auth import PageSession
from tocsin.web.rendering import page

router = APIRouter()
PAGE_SIZE = 100
STATES = {"firing": AlertStatus.FIRING, "resolved": AlertStatus.RESOLVED, "all": None}


@router.get("/alerts")
def alert_list(request: Request, tocsin: App, session: PageSession) -> HTMLResponse:
    chosen = request.query_params.get("status", "firing")
    state = STATES.get(chosen, AlertStatus.FIRING)
    service = request.query_params.get("service", "").strip()[:100] or None
    found = tocsin.alert_admin.alerts(AlertFilter(state, service, limit=PAGE_SIZE))
    context = {
        "session": session,
        "rows": found.items,
        "total": found.total,
        "status": chosen if chosen in STATES else "firing",
        "service": service or "",
        "silences": tocsin.alert_admin.silences(),
        "windows": tocsin.alert_admin.windows(),
    }
    return page(request, "alerts.html", context)
