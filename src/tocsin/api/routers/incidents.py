"""/api/v1/incidents: list, declare, read, and one POST per action.

The list and the incident page are what every open tab and script polls: they answer with
the stored JSON (`IncidentService.find_json` / `detail_json`) as bytes, building no aggregate
and no pydantic object; their models document the shape in the OpenAPI document."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, Response

from tocsin.api import models as m
from tocsin.api import responses as r
from tocsin.api import schemas as s
from tocsin.api.deps import App, Responder, Viewer
from tocsin.api.offload import read_model
from tocsin.app.export import to_markdown
from tocsin.app.incidents import Outcome
from tocsin.app.ports import IncidentFilter
from tocsin.app.views import incident_json
from tocsin.core.lifecycle import Status
from tocsin.core.scope import Impact, Scope
from tocsin.core.search import MAX_SEARCH

router = APIRouter(prefix="/incidents", tags=["incidents"], responses=r.ERRORS)
# At most 9 digits: a bigger number cannot be an incident and overflows PostgreSQL's INTEGER.
REF_PATTERN = r"(?:[Ii][Nn][Cc]-?)?0{0,3}[1-9][0-9]{0,8}"
Ref = Annotated[str, Path(pattern=f"^{REF_PATTERN}$", description="INC-42 or 42")]
MAX_LIMIT, MAX_OFFSET, MAX_SEVERITY, MAX_SERVICE = 1000, 10_000_000, 20, 100
NO_STORE = {"Cache-Control": "no-store"}
SEARCH_HELP = "Text in the title, an update, a note, a mitigation or a label; any case."


class StatusFilter(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"
    ALL = "all"


def outcome(result: Outcome) -> dict[str, Any]:
    data = incident_json(result.incident)
    data["message"] = result.message
    return data


def statuses(values: list[StatusFilter]) -> tuple[Status, ...]:
    chosen: set[Status] = set()
    for value in values:
        if value is StatusFilter.ALL:
            return ()
        if value is StatusFilter.OPEN:
            chosen |= {Status.INVESTIGATING, Status.MITIGATED}
        else:
            chosen.add(Status(value.value))
    return tuple(sorted(chosen))


def documented(model: type[m.Out]) -> dict[int | str, dict[str, Any]]:
    """A 200 whose body the route writes itself, documented as `model`."""
    return {200: {"model": model, "description": "Successful Response"}}


def json_bytes(body: bytes) -> Response:
    return Response(body, media_type="application/json", headers=NO_STORE)


@router.get("", response_model=None, responses=documented(m.IncidentPage))
async def list_incidents(
    tocsin: App,
    _: Viewer,
    status: Annotated[list[StatusFilter], Query()] = [],  # noqa: B006 - FastAPI copies it
    severity: Annotated[list[str], Query(max_length=MAX_SEVERITY)] = [],  # noqa: B006
    service: Annotated[str | None, Query(max_length=MAX_SERVICE)] = None,
    since: s.IsoTime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    q: Annotated[str | None, Query(max_length=MAX_SEARCH, description=SEARCH_HELP)] = None,
) -> Response:
    """Incidents, newest first, with the total that match."""
    keys = tuple(tocsin.incidents.severities.get(k).key for k in severity)
    text = q.strip() if q else None
    query = IncidentFilter(statuses(status), keys, service, since, limit, offset, text or None)
    items, total = await read_model(tocsin, tocsin.incidents.find_json, query)
    return json_bytes(
        b'{"items": [%s], "total": %d, "limit": %d, "offset": %d}'
        % (",".join(items).encode(), total, limit, offset)
    )


@router.post("", status_code=201, response_model=m.Outcome)
def declare(body: s.DeclareIn, tocsin: App, who: Responder) -> dict[str, Any]:
    """Declare an incident; the answer carries the announcement as `message`."""
    scope = Scope().merged(body.scope.services, body.scope.tenants, body.scope.endpoints)
    i = body.impact
    impact = Impact().merged(i.summary, i.customer_impact, i.users_affected, i.data_loss)
    result = tocsin.incidents.declare(
        who.name, body.title, body.severity, scope, impact, body.labels, body.commander
    )
    return outcome(result)


@router.get("/{ref}", response_model=None, responses=documented(m.IncidentDetail))
async def get_incident(ref: Ref, tocsin: App, _: Viewer) -> Response:
    """One incident with its timeline."""
    return json_bytes((await read_model(tocsin, tocsin.incidents.detail_json, ref)).encode())


@router.get("/{ref}/timeline", response_model=list[m.EntryOut])
def get_timeline(ref: Ref, tocsin: App, _: Viewer) -> list[dict[str, Any]]:
    return [e.to_dict() for e in tocsin.incidents.timeline(ref)]


@router.get("/{ref}/export", response_class=Response, responses=r.plain_text("Markdown"))
def export_markdown(ref: Ref, tocsin: App, _: Viewer) -> Response:
    """The incident and its timeline as Markdown (JSON is GET /incidents/{ref})."""
    incident = tocsin.incidents.get(ref)
    severity = tocsin.incidents.severities.get(incident.severity)
    markdown = to_markdown(incident, tocsin.incidents.timeline(ref), severity)
    return PlainTextResponse(markdown)


@router.post("/{ref}/acknowledge", response_model=m.Outcome)
def acknowledge(ref: Ref, body: s.ActIn, tocsin: App, who: Responder) -> dict[str, Any]:
    return outcome(tocsin.incidents.acknowledge(ref, who.name, body.version))


@router.post("/{ref}/updates", response_model=m.Outcome)
def post_update(ref: Ref, body: s.UpdateIn, tocsin: App, who: Responder) -> dict[str, Any]:
    return outcome(tocsin.incidents.post_update(ref, who.name, body.text, body.version))


@router.post("/{ref}/severity", response_model=m.Outcome)
def change_severity(ref: Ref, body: s.SeverityIn, tocsin: App, who: Responder) -> dict[str, Any]:
    result = tocsin.incidents.change_severity(
        ref, who.name, body.severity, body.reason, body.version
    )
    return outcome(result)


@router.post("/{ref}/roles", response_model=m.Outcome)
def assign(ref: Ref, body: s.AssignIn, tocsin: App, who: Responder) -> dict[str, Any]:
    return outcome(tocsin.incidents.assign(ref, who.name, body.role, body.person, body.version))


@router.post("/{ref}/scope", response_model=m.Outcome)
def change_scope(ref: Ref, body: s.ScopePatch, tocsin: App, who: Responder) -> dict[str, Any]:
    """Parts left out keep their value."""
    current = tocsin.incidents.get(ref)
    scope = current.scope.merged(body.services, body.tenants, body.endpoints)
    version = body.version or current.version
    return outcome(tocsin.incidents.change_scope(ref, who.name, scope, version))


@router.post("/{ref}/impact", response_model=m.Outcome)
def change_impact(ref: Ref, body: s.ImpactPatch, tocsin: App, who: Responder) -> dict[str, Any]:
    """Parts left out keep their value."""
    current = tocsin.incidents.get(ref)
    impact = current.impact.merged(
        body.summary, body.customer_impact, body.users_affected, body.data_loss
    )
    version = body.version or current.version
    return outcome(tocsin.incidents.change_impact(ref, who.name, impact, version))


@router.post("/{ref}/labels", response_model=m.Outcome)
def relabel(ref: Ref, body: s.LabelsIn, tocsin: App, who: Responder) -> dict[str, Any]:
    return outcome(tocsin.incidents.relabel(ref, who.name, body.add, body.remove, body.version))


@router.post("/{ref}/mitigate", response_model=m.Outcome)
def mitigate(ref: Ref, body: s.MitigateIn, tocsin: App, who: Responder) -> dict[str, Any]:
    return outcome(tocsin.incidents.mitigate(ref, who.name, body.action, body.version))


@router.post("/{ref}/resolve", response_model=m.Outcome)
def resolve(ref: Ref, body: s.ResolveIn, tocsin: App, who: Responder) -> dict[str, Any]:
    result = tocsin.incidents.resolve(ref, who.name, body.root_cause, body.fix, body.version)
    return outcome(result)


@router.post("/{ref}/reopen", response_model=m.Outcome)
def reopen(ref: Ref, body: s.ReopenIn, tocsin: App, who: Responder) -> dict[str, Any]:
    return outcome(tocsin.incidents.reopen(ref, who.name, body.reason, body.version))


@router.post("/{ref}/close", response_model=m.Outcome)
def close(ref: Ref, body: s.ActIn, tocsin: App, who: Responder) -> dict[str, Any]:
    return outcome(tocsin.incidents.close(ref, who.name, body.version))


@router.post("/{ref}/notes", response_model=m.Outcome)
def note(ref: Ref, body: s.NoteIn, tocsin: App, who: Responder) -> dict[str, Any]:
    return outcome(tocsin.incidents.note(ref, who.name, body.text, body.version))
