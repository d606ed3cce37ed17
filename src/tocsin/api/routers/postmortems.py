"""Post-mortems over HTTP: read (viewer), draft, edit, review, return, publish (responder).

An edit names the version it was made on (`version`); if the post-mortem moved on since,
the answer is 409 and nothing is stored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from tocsin.api import responses as r
from tocsin.api.deps import App, Responder, Viewer
from tocsin.api.routers.incidents import Ref
from tocsin.api.schemas import Strict
from tocsin.core.postmortem import TEXT_MAX

router = APIRouter(tags=["postmortems"], responses=r.ERRORS)


class DraftIn(Strict):
    author: str | None = Field(default=None, max_length=200, description="default: commander")
    category: str | None = Field(default=None, max_length=64, description="root-cause category")
    again: bool = Field(default=False, description="draft again from the timeline (new version)")


class EditIn(Strict):
    text: str = Field(min_length=1, max_length=TEXT_MAX, description="the whole Markdown")
    version: int = Field(ge=1, le=1_000_000, description="the version this edit was made on")
    category: str | None = Field(default=None, max_length=64)
    author: str | None = Field(default=None, max_length=200)


class MoveIn(Strict):
    version: int | None = Field(default=None, ge=1, le=1_000_000)


@router.get("/incidents/{ref}/postmortem")
def get_postmortem(
    ref: Ref,
    tocsin: App,
    _: Viewer,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> dict[str, Any]:
    """The current version (or `version`), with its text."""
    return tocsin.postmortems.show(ref, version).to_dict()


@router.get("/incidents/{ref}/postmortem/history")
def postmortem_history(ref: Ref, tocsin: App, _: Viewer) -> list[dict[str, Any]]:
    """Every version, oldest first, without the texts."""
    return [v.to_dict(with_text=False) for v in tocsin.postmortems.get(ref).versions]


@router.post("/incidents/{ref}/postmortem/draft", status_code=201)
def draft_postmortem(ref: Ref, body: DraftIn, tocsin: App, who: Responder) -> dict[str, Any]:
    """Draft it from the timeline in the team's template (refused while the incident is
    open, naming what is missing)."""
    made = tocsin.postmortems.draft(ref, who.name, body.author, body.category, body.again)
    return made.to_dict()


@router.put("/incidents/{ref}/postmortem")
def edit_postmortem(ref: Ref, body: EditIn, tocsin: App, who: Responder) -> dict[str, Any]:
    made = tocsin.postmortems.edit(
        ref, who.name, body.text, body.version, body.category, body.author
    )
    return made.to_dict()


def _mover(action: str, doc: str) -> None:
    """One route per move (not a path parameter: POST …/history stays 405)."""

    @router.post(
        f"/incidents/{{ref}}/postmortem/{action}", name=f"{action}_postmortem", description=doc
    )
    def move(ref: Ref, body: MoveIn, tocsin: App, who: Responder) -> dict[str, Any]:
        return tocsin.postmortems.move(ref, action, who.name, body.version).to_dict()


_mover("review", "draft → in review")
_mover("return", "in review → draft")
_mover("publish", "in review → published (kept unchanged; a later edit makes a new draft)")


@router.get("/postmortems")
def list_postmortems(
    tocsin: App, _: Viewer, overdue: Annotated[bool, Query()] = False
) -> JSONResponse:
    """Post-mortems due or written, newest due first; `overdue=true`: past due, unpublished."""
    now = tocsin.clock.now()
    found = tocsin.postmortems.overview(overdue)
    return JSONResponse([s.to_dict(now) for s in found])
