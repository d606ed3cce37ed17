"""/incidents: filter by status, severity and service; newest first, a page at a time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tocsin.api.deps import App
from tocsin.app.answers import status_of
from tocsin.app.ports import IncidentFilter
from tocsin.core.errors import InvalidInput
from tocsin.core.lifecycle import Status
from tocsin.core.search import MAX_SEARCH, search_text
from tocsin.web.auth import PageSession
from tocsin.web.live_lists import live_url
from tocsin.web.rendering import page
from tocsin.web.views import view

router = APIRouter()
PAGE_SIZE = 25
STATUS_CHOICES = ("open", "all", *(s.value for s in Status))


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = "open"
    severity: str = ""
    service: str = ""
    page: int = 1
    q: str = ""

    def statuses(self) -> tuple[Status, ...]:
        if self.status == "open":
            return (Status.INVESTIGATING, Status.MITIGATED)
        return () if self.status == "all" else (Status(self.status),)

    def url(self, page: int) -> str:
        params = {
            "status": self.status, "severity": self.severity, "service": self.service, "q": self.q,
        }  # fmt: skip
        kept = {k: v for k, v in params.items() if v}
        return "/incidents?" + urlencode({**kept, "page": page})


def read_filters(request: Request) -> Filters:
    q = request.query_params
    status = q.get("status", "open")
    if status not in STATUS_CHOICES:
        raise InvalidInput(f"status: pick one of {', '.join(STATUS_CHOICES)}")
    number = q.get("page", "1")
    page_no = int(number) if number.isdigit() and 0 < len(number) < 7 else 1
    service = q.get("service", "").strip()[:100]
    text = search_text(q.get("q")) or ""
    return Filters(status, q.get("severity", "").strip(), service, max(1, page_no), text)


@router.get("/incidents")
def incident_list(request: Request, tocsin: App, session: PageSession) -> HTMLResponse:
    model = tocsin.incidents.severities
    context = {
        "session": session, "severities": model.severities, "statuses": STATUS_CHOICES,
        "max_search": MAX_SEARCH,
        "live": live_url(tocsin, "incidents"),
    }  # fmt: skip
    try:
        filters = read_filters(request)
        keys = (model.get(filters.severity).key,) if filters.severity else ()
    except InvalidInput as exc:
        q = request.query_params
        typed = Filters(service=q.get("service", "")[:100], q=q.get("q", "")[:MAX_SEARCH])
        context |= {"filters": typed, "error": str(exc), "rows": [], "total": 0, "pages": 1}
        return page(request, "incidents.html", context, status_of(exc))
    offset = (filters.page - 1) * PAGE_SIZE
    query = IncidentFilter(
        filters.statuses(), keys, filters.service or None, None, PAGE_SIZE, offset,
        filters.q or None,
    )  # fmt: skip
    found = tocsin.incidents.find(query)
    now = tocsin.clock.now()
    context |= {
        "filters": filters,
        "rows": [view(i, model, now) for i in found.items],
        "total": found.total,
        "pages": max(1, math.ceil(found.total / PAGE_SIZE)),
        "error": None,
    }
    return page(request, "incidents.html", context)
