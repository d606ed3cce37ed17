"""/oncall: who is on call per schedule; /oncall/{schedule}: the next 14 days as a timeline
of shifts, the overrides, and a form to add one (responder). Plain HTML and CSS, no script."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.api.deps import App
from tocsin.app.answers import status_of
from tocsin.app.oncall import WhoIsOn
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import DomainError, ErrorKind, InvalidInput, NotFound
from tocsin.core.oncall import DAY, Schedule, Shift, utc_to_wall, wall_to_utc, zone_of
from tocsin.web.auth import FormFields, PageRefused, PageSession, ResponderSession, WebSession
from tocsin.web.rendering import page

router = APIRouter()
DAYS_SHOWN = 14
SLOT = timedelta(minutes=15)  # the timeline's resolution: one table column
COLOURS = 8  # person-0 … person-7, by the person's place on the schedule


@dataclass(frozen=True, slots=True)
class Cell:
    span: int  # columns of SLOT
    css: str
    label: str  # shown when the cell is wide enough
    title: str  # who and when, in full


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    cells: list[Cell]


def on_call_now(tocsin: Tocsin) -> list[WhoIsOn]:
    """Every schedule now: the dashboard's on-call section."""
    return tocsin.oncall.who()


def timeline(tocsin: Tocsin, schedule: Schedule, shifts: list[Shift], first: date) -> list[DayRow]:
    """One row per local day from `first`, each as long as the wall clock says (23 or 25
    hours on a clock change), cut into cells at shift boundaries."""
    zone = zone_of(schedule.zone)
    order = list(schedule.people)
    rows = []
    for offset in range(DAYS_SHOWN):
        day = first + offset * DAY
        start = wall_to_utc(zone, datetime.combine(day, datetime.min.time()))
        end = wall_to_utc(zone, datetime.combine(day + DAY, datetime.min.time()))
        rows.append(DayRow(day, _cells(tocsin, shifts, start, end, order, schedule.zone)))
    return rows


def _cells(
    tocsin: Tocsin, shifts: list[Shift], start: datetime, end: datetime, order: list[str], zone: str
) -> list[Cell]:
    def column(moment: datetime) -> int:
        return round((moment - start) / SLOT)

    cells, cursor = [], start
    for shift in (s for s in shifts if s.end > start and s.start < end):
        begin, finish = max(shift.start, start), min(shift.end, end)
        if begin > cursor:
            cells.append(_gap(column(begin) - column(cursor), cursor, begin, zone))
        span = column(finish) - column(begin)
        if span > 0:
            name = tocsin.oncall.roster.name_of(shift.person) or shift.person
            place = order.index(shift.person) if shift.person in order else len(order)
            covering = f", covering {shift.replaces}" if shift.replaces else ""
            title = f"{name} ({shift.layer}{covering}): {_span_text(begin, finish, zone)}"
            cells.append(Cell(span, f"person-{place % COLOURS}", shift.person, title))
        cursor = finish
    if cursor < end:
        cells.append(_gap(column(end) - column(cursor), cursor, end, zone))
    return [c for c in cells if c.span > 0]


def _gap(span: int, start: datetime, end: datetime, zone: str) -> Cell:
    return Cell(span, "nobody", "", f"nobody on call: {_span_text(start, end, zone)}")


def _span_text(start: datetime, end: datetime, zone: str) -> str:
    tz = zone_of(zone)
    return f"{utc_to_wall(tz, start):%a %H:%M} to {utc_to_wall(tz, end):%a %H:%M}"


def local_time(text: str, schedule: Schedule, field: str) -> datetime | None:
    """A datetime-local field, read in the schedule's time zone; empty is None."""
    value = text.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field}: give a date and time, e.g. 2026-12-24T09:00") from None
    return wall_to_utc(zone_of(schedule.zone), moment) if moment.tzinfo is None else moment


@router.get("/oncall")
def oncall_list(request: Request, tocsin: App, session: PageSession) -> HTMLResponse:
    return _oncall_page(request, tocsin, session)


@router.post("/oncall/page-tests", response_model=None)
def send_test_page(
    request: Request, tocsin: App, who: ResponderSession, form: FormFields
) -> Response:
    """A test page through each of a person's contact methods (the worker sends them)."""
    try:
        tocsin.page_tests.start(form.get("person", ""), who.principal.name)
    except DomainError as exc:
        return _oncall_page(request, tocsin, who, error=str(exc), status=status_of(exc))
    return RedirectResponse("/oncall#page-tests", 303)


def _oncall_page(
    request: Request,
    tocsin: Tocsin,
    session: WebSession,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    context = {
        "session": session,
        "oncall": on_call_now(tocsin),
        "tests": tocsin.page_tests.status(),
        "people": [p for p in tocsin.oncall.roster.people.values() if p.contacts],
        "error": error,
    }
    return page(request, "oncall.html", context, status)


@router.get("/oncall/{schedule}")
def schedule_page(
    request: Request, schedule: str, tocsin: App, session: PageSession
) -> HTMLResponse:
    return _schedule_page(request, tocsin, session, schedule)


@router.post("/oncall/{schedule}/overrides", response_model=None)
def add_override(
    request: Request, schedule: str, tocsin: App, who: ResponderSession, form: FormFields
) -> Response:
    try:
        found = tocsin.oncall.schedule(schedule)
        ends = local_time(form.get("to", ""), found, "to")
        if ends is None:
            raise InvalidInput("to: give the end of the override")
        tocsin.oncall.add_override(
            schedule,
            form.get("person", ""),
            local_time(form.get("from", ""), found, "from"),
            ends,
            who.principal.name,
            form.get("reason", ""),
        )
    except DomainError as exc:
        kept = {k: v for k, v in form.items() if k != "csrf"}
        return _schedule_page(request, tocsin, who, schedule, str(exc), status_of(exc), kept)
    return RedirectResponse(f"/oncall/{schedule}#overrides", 303)


@router.post("/oncall/{schedule}/overrides/{override_id}/remove", response_model=None)
def remove_override(
    request: Request, schedule: str, override_id: int, tocsin: App, who: ResponderSession
) -> Response:
    try:
        tocsin.oncall.remove_override(override_id)
    except DomainError as exc:
        return _schedule_page(request, tocsin, who, schedule, str(exc), status_of(exc))
    return RedirectResponse(f"/oncall/{schedule}#overrides", 303)


def _schedule_page(
    request: Request,
    tocsin: Tocsin,
    session: WebSession,
    name: str,
    error: str = "",
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    """The schedule; after a refused override, `typed` is what the form held."""
    try:
        schedule = tocsin.oncall.schedule(name)
    except NotFound as exc:
        raise PageRefused(ErrorKind.NOT_FOUND, str(exc)) from None
    now = tocsin.clock.now()
    first = utc_to_wall(zone_of(schedule.zone), now).date()
    start = wall_to_utc(zone_of(schedule.zone), datetime.combine(first, datetime.min.time()))
    shifts = tocsin.oncall.shifts(name, start, start + (DAYS_SHOWN + 1) * DAY)
    [who] = tocsin.oncall.who(name)
    context = {
        "session": session,
        "schedule": schedule,
        "who": who,
        "rows": timeline(tocsin, schedule, shifts, first),
        "shifts": [s for s in shifts if s.end > now],
        "overrides": tocsin.oncall.overrides(name),
        "people": list(tocsin.oncall.roster.people.values()),
        "name_of": tocsin.oncall.roster.name_of,
        "error": error,
        "typed": typed or {},
    }
    return page(request, "schedule.html", context, status)
