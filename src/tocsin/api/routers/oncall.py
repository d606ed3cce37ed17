"""/api/v1/oncall: who is on call now or then and who is next, overrides, reachability,
calendar feeds; /api/v1/people/{person}.ics.

Calendar apps cannot send an Authorization header, so a feed is also readable with its own
secret in the URL (`?token=tcf_…`, made with `tocsin oncall feed add`): it opens that one
feed and nothing else, and is stored hashed like API tokens."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime, Field
from starlette.concurrency import run_in_threadpool

from tocsin.api.deps import App, Responder, Viewer, current_principal
from tocsin.api.models import Out
from tocsin.api.responses import ERRORS, Error, own
from tocsin.api.schemas import IsoTime, Strict
from tocsin.app.oncall_views import (
    feed_json,
    feed_path,
    override_json,
    reachability_json,
    shift_json,
    who_json,
)
from tocsin.bootstrap import Tocsin
from tocsin.core.access import AccessRole
from tocsin.core.oncall import DAY

router = APIRouter(tags=["oncall"], responses=ERRORS)
Name = Annotated[str, Path(max_length=100)]  # an unknown name is a 404, as on the CLI
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CALENDAR: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "iCalendar (RFC 5545): one VEVENT per shift, 14 days back to 90 ahead",
        "content": {"text/calendar": {"schema": {"type": "string"}}},
    },
    401: {"model": Error, "description": "Neither a bearer token nor the feed's `?token=`"},
}


class SpanOut(Out):
    person: str | None
    name: str | None
    since: AwareDatetime | None
    until: AwareDatetime | None


class WhoOut(Out):
    schedule: str
    time_zone: str
    at: AwareDatetime
    on_call: SpanOut
    next: SpanOut | None


class ShiftOut(Out):
    person: str
    name: str
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    layer: str
    replaces: str | None


class ScheduleOut(WhoOut):
    shifts: list[ShiftOut]


class OnCallOut(Out):
    at: AwareDatetime
    schedules: list[WhoOut]


class OverrideOut(Out):
    id: int
    schedule: str
    person: str
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    created_by: str
    created_at: AwareDatetime
    reason: str


class UnreachableOut(Out):
    schedule: str
    person: str
    name: str
    reason: str


class GapOut(Out):
    schedule: str
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime


class CheckOut(Out):
    ok: bool
    from_: AwareDatetime = Field(alias="from")
    to: AwareDatetime
    unreachable: list[UnreachableOut]
    gaps: list[GapOut]


class FeedOut(Out):
    id: int
    target: Literal["schedule", "person"]
    name: str
    created_by: str
    created_at: AwareDatetime
    path: str


class NewFeedOut(FeedOut):
    token: str


class OverrideIn(Strict):
    schedule: str = Field(min_length=1, max_length=63)
    person: str = Field(min_length=1, max_length=100)
    from_: IsoTime | None = Field(default=None, alias="from", description="default: now")
    to: IsoTime
    reason: str = Field(default="", max_length=1000)


class FeedIn(Strict):
    target: Literal["schedule", "person"]
    name: str = Field(min_length=1, max_length=63)


@router.get("/oncall", response_model=OnCallOut, response_model_by_alias=True)
def who_is_on_call(tocsin: App, _: Viewer, at: IsoTime | None = None) -> dict[str, Any]:
    """Every schedule: who is on call at `at` (default now), since and until when, who is next."""
    found = tocsin.oncall.who(None, at)
    moment = at or tocsin.clock.now()
    return {"at": moment, "schedules": [who_json(w) for w in found]}


@router.get("/oncall/check", response_model=CheckOut, response_model_by_alias=True)
def check(tocsin: App, _: Viewer) -> dict[str, Any]:
    """People on a schedule nobody can reach, and gaps in coverage in the next 30 days."""
    return reachability_json(tocsin.oncall.check())


@router.get(
    "/oncall/overrides",
    response_model=list[OverrideOut],
    response_model_by_alias=True,
    responses=own(e404="No such schedule"),
)
def list_overrides(
    tocsin: App,
    _: Viewer,
    schedule: Annotated[str | None, Query(max_length=63)] = None,
    include_past: bool = False,
) -> list[dict[str, Any]]:
    return [override_json(o) for o in tocsin.oncall.overrides(schedule, include_past)]


@router.post(
    "/oncall/overrides",
    status_code=201,
    response_model=OverrideOut,
    response_model_by_alias=True,
    responses=own(e404="No such schedule"),
)
def add_override(body: OverrideIn, tocsin: App, who: Responder) -> dict[str, Any]:
    made = tocsin.oncall.add_override(
        body.schedule, body.person, body.from_, body.to, who.name, body.reason
    )
    return override_json(made)


@router.delete(
    "/oncall/overrides/{override_id}", response_model=OverrideOut, response_model_by_alias=True
)
def remove_override(override_id: RowId, tocsin: App, _: Responder) -> dict[str, Any]:
    return override_json(tocsin.oncall.remove_override(override_id))


@router.get("/oncall/feeds", response_model=list[FeedOut])
def list_feeds(tocsin: App, _: Viewer) -> list[dict[str, Any]]:
    return [{**feed_json(f), "path": feed_path(f)} for f in tocsin.oncall.feeds()]


@router.post(
    "/oncall/feeds",
    status_code=201,
    response_model=NewFeedOut,
    responses=own(e404="No such schedule or person"),
)
def add_feed(body: FeedIn, tocsin: App, who: Responder) -> dict[str, Any]:
    """A calendar feed URL with its own secret (shown once) for calendar apps."""
    feed, secret = tocsin.oncall.add_feed(body.target, body.name, who.name)
    return {**feed_json(feed), "path": feed_path(feed, secret), "token": secret}


@router.delete("/oncall/feeds/{feed_id}", response_model=FeedOut)
def remove_feed(feed_id: RowId, tocsin: App, _: Responder) -> dict[str, Any]:
    removed = tocsin.oncall.remove_feed(feed_id)
    return {**feed_json(removed), "path": feed_path(removed)}


@router.get("/oncall/{schedule}.ics", response_class=Response, responses=CALENDAR)
async def schedule_calendar(
    request: Request,
    schedule: Name,
    tocsin: App,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The schedule's shifts. Send a bearer token (viewer), or `?token=` of a feed."""
    return await _calendar(request, tocsin, "schedule", schedule, token)


@router.get("/people/{person}.ics", response_class=Response, responses=CALENDAR)
async def person_calendar(
    request: Request,
    person: Name,
    tocsin: App,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """One person's shifts on every schedule. A bearer token (viewer), or `?token=`."""
    return await _calendar(request, tocsin, "person", person, token)


@router.get("/oncall/{schedule}", response_model=ScheduleOut, response_model_by_alias=True)
def schedule_now(
    schedule: Name,
    tocsin: App,
    _: Viewer,
    at: IsoTime | None = None,
    days: Annotated[int, Query(ge=1, le=90)] = 14,
) -> dict[str, Any]:
    """Who is on call at `at` (default now) and next, and the shifts of the `days` after it."""
    [found] = tocsin.oncall.who(schedule, at)
    shifts = tocsin.oncall.shifts(schedule, found.at, found.at + days * DAY)
    names = tocsin.oncall.roster.name_of
    return {**who_json(found), "shifts": [shift_json(s, names(s.person)) for s in shifts]}


async def _calendar(
    request: Request, tocsin: Tocsin, target: str, name: str, token: str | None
) -> Response:
    if token:
        await run_in_threadpool(tocsin.oncall.check_feed_token, token, target, name)
    else:
        principal = await current_principal(request)
        principal.require(AccessRole.VIEWER)
    text = await run_in_threadpool(tocsin.oncall.calendar, target, name)
    headers = {"Cache-Control": "private, max-age=300"}
    return Response(text, media_type="text/calendar; charset=utf-8", headers=headers)
