"""Action items over HTTP: an incident's items, all items (by owner, overdue), add, change,
export. Viewers read; responders write. Bad input is 422 naming the field."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from tocsin.api import responses as r
from tocsin.api.deps import App, Responder, Viewer
from tocsin.api.routers.incidents import Ref
from tocsin.api.schemas import Strict
from tocsin.app.action_items import Changes
from tocsin.core import action_items as rules
from tocsin.core.action_items import ActionItem, Draft

router = APIRouter(tags=["action items"], responses=r.ERRORS)
ItemRef = Annotated[str, Path(pattern=r"^(AI-|ai-)?[1-9][0-9]{0,9}$", description="e.g. AI-12")]
Label = Annotated[str, Field(min_length=1, max_length=63)]
Line = Field(default=None, min_length=1, max_length=200)


class ItemIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    owner: str = Field(min_length=1, max_length=100, description="a handle, e.g. alice")
    deadline: date | None = None
    priority: str | None = Field(default=None, max_length=10, description="P1..P4")
    labels: list[Label] = Field(default_factory=list, max_length=20)
    category: str | None = Field(default=None, max_length=40)
    runbook: str | None = Field(default=None, max_length=500)
    postmortem: str | None = Field(default=None, max_length=200)


class ItemPatch(Strict):
    title: str | None = Line
    owner: str | None = Field(default=None, min_length=1, max_length=100)
    deadline: date | Literal[""] | None = Field(default=None, description='"" clears it')
    priority: str | None = Field(default=None, max_length=10)
    labels: list[Label] | None = Field(default=None, max_length=20)
    category: str | None = Field(default=None, max_length=40)
    runbook: str | None = Field(default=None, max_length=500)
    status: str | None = Field(default=None, max_length=20)


class ExportIn(Strict):
    to: Literal["github", "jira"] | None = Field(
        default=None, description="default: trackers.default"
    )


def _json(tocsin: App, item: ActionItem) -> dict[str, Any]:
    return item.to_dict(tocsin.action_items.today())


@router.get("/incidents/{ref}/action-items")
def incident_items(ref: Ref, tocsin: App, _: Viewer) -> dict[str, Any]:
    return {"items": [_json(tocsin, i) for i in tocsin.action_items.list(incident=ref)]}


@router.post("/incidents/{ref}/action-items", status_code=201)
def add_item(ref: Ref, body: ItemIn, tocsin: App, who: Responder) -> dict[str, Any]:
    draft = Draft(body.title, body.owner, body.deadline, body.priority, tuple(body.labels),
                  body.category, body.runbook, body.postmortem)  # fmt: skip
    return _json(tocsin, tocsin.action_items.add(ref, draft, who.name))


@router.get("/action-items")
def list_items(
    tocsin: App,
    _: Viewer,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    overdue: bool = False,
    status: Annotated[str | None, Query(max_length=20)] = None,
    incident: Annotated[str | None, Query(max_length=20)] = None,
) -> dict[str, Any]:
    statuses = (rules.status(status),) if status else ()
    found = tocsin.action_items.list(incident, owner, overdue, statuses)
    return {"items": [_json(tocsin, i) for i in found]}


@router.get("/action-items/{item}")
def get_item(item: ItemRef, tocsin: App, _: Viewer) -> dict[str, Any]:
    return _json(tocsin, tocsin.action_items.get(item))


@router.patch("/action-items/{item}")
def change_item(item: ItemRef, body: ItemPatch, tocsin: App, who: Responder) -> dict[str, Any]:
    deadline = body.deadline.isoformat() if isinstance(body.deadline, date) else body.deadline
    labels = None if body.labels is None else tuple(body.labels)
    changes = Changes(body.title, body.owner, deadline, body.priority, labels, body.category,
                      body.runbook, body.status)  # fmt: skip
    return _json(tocsin, tocsin.action_items.edit(item, changes, who.name))


@router.post("/action-items/{item}/export", status_code=202)
def export_item(item: ItemRef, body: ExportIn, tocsin: App, _: Responder) -> JSONResponse:
    """Queue the export (a job): 202 with the tracker and whether a new job was queued."""
    [done] = tocsin.exports.export([item], body.to)
    return JSONResponse({"item": done.item.ref, "tracker": done.tracker.value, "queued": done.new},
                        status_code=202)  # fmt: skip
