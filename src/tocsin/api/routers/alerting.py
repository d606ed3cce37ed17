"""/api/v1/alerts, /silences, /maintenance and /integrations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import Field

from tocsin.api import models as m
from tocsin.api.deps import Admin, App, Responder, Viewer
from tocsin.api.responses import ERRORS
from tocsin.api.schemas import IsoTime, Strict
from tocsin.app.ports import AlertFilter
from tocsin.app.views import (
    alert_json,
    dismissal_json,
    incident_json,
    silence_json,
    suggestion_json,
    window_json,
)
from tocsin.core.alerts import AlertStatus
from tocsin.core.errors import InvalidInput

router = APIRouter(tags=["alerts"], responses=ERRORS)


class SilenceIn(Strict):
    matchers: list[str] = Field(min_length=1, max_length=20, examples=[["alertname=DiskFull"]])
    starts_at: IsoTime | None = None
    ends_at: IsoTime
    comment: str = Field(min_length=1, max_length=1000)


class MaintenanceIn(Strict):
    service: str = Field(min_length=1, max_length=100)
    starts_at: IsoTime | None = None
    ends_at: IsoTime
    comment: str = Field(min_length=1, max_length=1000)


class MaintenanceEdit(Strict):
    starts_at: IsoTime | None = None
    ends_at: IsoTime | None = None
    comment: str | None = Field(default=None, min_length=1, max_length=1000)


class DeclareFromAlertsIn(Strict):
    title: str | None = Field(
        default=None, max_length=200, description="default: the worst alert's summary"
    )


AlertRef = Annotated[
    str,
    Path(description="an alert group's key (32 hex characters) or an alert's id"),
]


def _check_aware(**moments: datetime | None) -> None:
    for name, moment in moments.items():
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(f"{name}: give a timezone, e.g. 2026-11-22T18:00:00Z")


@router.get("/alerts")
def list_alerts(
    tocsin: App,
    _: Viewer,
    status: Literal["firing", "resolved"] | None = None,
    service: Annotated[str | None, Query(max_length=100)] = None,
    integration: Annotated[str | None, Query(max_length=100)] = None,
    incident: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,  # the column range
    suppressed: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Alerts, most recent first, with the total that match."""
    state = AlertStatus(status) if status else None
    query = AlertFilter(state, service, integration, incident, suppressed, limit, offset)
    page = tocsin.alert_admin.alerts(query)
    items = [alert_json(a) for a in page.items]
    return {"items": items, "total": page.total, "limit": limit, "offset": offset}


@router.get("/alerts/suggestions")
def list_suggestions(
    tocsin: App,
    _: Viewer,
    dismissed: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Suggested incidents, the worst first: alert groups routed with `suggest`, firing,
    without an open incident. `dismissed=true`: the dismissed ones, with who and when."""
    page = tocsin.suggestions.list(dismissed, limit, offset)
    items = [suggestion_json(s) for s in page.items]
    return {"items": items, "total": page.total, "limit": limit, "offset": offset}


@router.post("/alerts/{alert_ref}/declare", status_code=201, response_model=m.Outcome)
def declare_from_alerts(
    alert_ref: AlertRef, tocsin: App, who: Responder, body: DeclareFromAlertsIn | None = None
) -> dict[str, Any]:
    """Declare an incident for an alert group (or the group of an alert), its alerts linked;
    the answer carries the announcement as `message`."""
    result = tocsin.suggestions.declare(alert_ref, who.name, body.title if body else None)
    data = incident_json(result.incident)
    data["message"] = result.message
    return data


@router.post("/alerts/{alert_ref}/dismiss")
def dismiss_suggestion(alert_ref: AlertRef, tocsin: App, who: Responder) -> dict[str, Any]:
    """Stop suggesting the group until it fires again after all its alerts resolved."""
    return dismissal_json(tocsin.suggestions.dismiss(alert_ref, who.name))


@router.get("/silences")
def list_silences(tocsin: App, _: Viewer, include_expired: bool = False) -> list[dict[str, Any]]:
    return [silence_json(s) for s in tocsin.alert_admin.silences(include_expired)]


@router.post("/silences", status_code=201)
def create_silence(body: SilenceIn, tocsin: App, who: Responder) -> dict[str, Any]:
    _check_aware(starts_at=body.starts_at, ends_at=body.ends_at)
    silence = tocsin.alert_admin.silence(
        body.matchers, body.starts_at, body.ends_at, who.name, body.comment
    )
    return silence_json(silence)


@router.delete("/silences/{silence_id}")
def expire_silence(
    silence_id: Annotated[int, Path(ge=1, le=2_147_483_647)], tocsin: App, who: Responder
) -> dict[str, Any]:
    tocsin.alert_admin.expire_silence(silence_id, who.name)
    return {"id": silence_id, "expired": True}


@router.get("/maintenance")
def list_maintenance(tocsin: App, _: Viewer, include_expired: bool = False) -> list[dict[str, Any]]:
    return [window_json(w) for w in tocsin.alert_admin.windows(include_expired)]


@router.post("/maintenance", status_code=201)
def create_maintenance(body: MaintenanceIn, tocsin: App, who: Responder) -> dict[str, Any]:
    _check_aware(starts_at=body.starts_at, ends_at=body.ends_at)
    window = tocsin.alert_admin.maintenance(
        body.service, body.starts_at, body.ends_at, who.name, body.comment
    )
    return window_json(window)


WindowId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.post("/maintenance/{window_id}/end")
def end_maintenance(window_id: WindowId, tocsin: App, who: Responder) -> dict[str, Any]:
    """End a window now (one not started yet is cancelled); recorded in the audit log."""
    return window_json(tocsin.alert_admin.end_maintenance(window_id, who.name))


@router.patch("/maintenance/{window_id}")
def edit_maintenance(
    window_id: WindowId, body: MaintenanceEdit, tocsin: App, who: Responder
) -> dict[str, Any]:
    """New times or comment for a window that has not ended: checked as a new window is,
    refused whole (nothing changes) if any field is wrong or the window would overlap another
    of its service (409, naming it); recorded in the audit log."""
    _check_aware(starts_at=body.starts_at, ends_at=body.ends_at)
    window = tocsin.alert_admin.edit_maintenance(
        window_id, who.name, body.starts_at, body.ends_at, body.comment
    )
    return window_json(window)


@router.get("/integrations")
def list_integrations(tocsin: App, _: Admin) -> list[dict[str, Any]]:
    """Each integration with its key: admin only."""
    return [
        {"name": i.name, "source": i.source, "key": i.key, "created_at": i.created_at}
        for i in tocsin.alert_admin.integrations()
    ]
