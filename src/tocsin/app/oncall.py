"""On call: who is on call now or then and who is next, overrides made at run time,
reachability, calendar feeds, and the hand-offs the paging work turns into notifications.

The schedules and people come from tocsin.yaml (a `Roster`); overrides and feeds from the
database. Everything time-based is core/oncall.py with the clock passed in.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from tocsin.app import calendar as ics
from tocsin.app.accounts import digest
from tocsin.app.oncall_records import CalendarFeed, FeedTarget, OverrideRecord
from tocsin.app.ports import Clock, UnitOfWork
from tocsin.core import oncall, rules
from tocsin.core.access import Unauthenticated
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.notify import ContactMethod
from tocsin.core.oncall import OnCall, Schedule, Shift
from tocsin.core.people import Holiday, Person, normal_address

CHECK_AHEAD = timedelta(days=30)  # `tocsin oncall check` and `config check` look this far
MAX_OVERRIDE = timedelta(days=366)
FEED_PAST = timedelta(days=14)  # a calendar feed shows shifts this far back ...
FEED_AHEAD = timedelta(days=90)  # ... and this far ahead
FEED_PREFIX = "tcf_"
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # times asked about: far enough from datetime's
LATEST = datetime(2200, 1, 1, tzinfo=UTC)  # limits that a year's look around cannot overflow


def address_problem(method: ContactMethod) -> str | None:
    """Why a method cannot work, or None. The default only checks the address; the paging
    work passes one that also knows which channels are configured."""
    try:
        normal_address(method.kind, method.address)
    except InvalidInput as exc:
        return str(exc)
    return None


@dataclass(frozen=True, slots=True)
class Roster:
    """The people and schedules of tocsin.yaml, as the core domain's types, in file order."""

    people: Mapping[str, Person] = field(default_factory=dict)
    schedules: Mapping[str, Schedule] = field(default_factory=dict)

    @property
    def holidays(self) -> tuple[Holiday, ...]:
        return tuple(p.holiday for p in self.people.values() if p.holiday is not None)

    def name_of(self, handle: str | None) -> str | None:
        if handle is None:
            return None
        person = self.people.get(handle)
        return person.display if person else handle


@dataclass(frozen=True, slots=True)
class WhoIsOn:
    """One schedule at one instant: who is on call, since and until when, and who is next.
    `names` gives the display name of each person mentioned."""

    schedule: str
    time_zone: str
    at: datetime
    current: OnCall
    next: OnCall | None
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Unreachable:
    schedule: str
    person: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Gap:
    schedule: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Reachability:
    start: datetime
    end: datetime
    unreachable: list[Unreachable]
    gaps: list[Gap]

    @property
    def ok(self) -> bool:
        return not self.unreachable and not self.gaps


@dataclass(frozen=True, slots=True)
class ScheduledHandoff:
    """At `at`, `schedule` passes from `before` to `after` (None: nobody)."""

    schedule: str
    at: datetime
    before: str | None
    after: str | None


class OncallService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        roster: Roster,
        reader: Callable[[], UnitOfWork] | None = None,
        method_problem: Callable[[ContactMethod], str | None] = address_problem,
    ) -> None:
        self._uow = uow
        self._read = reader or uow
        self._clock = clock
        self.roster = roster
        self._method_problem = method_problem

    # -- who is on call -------------------------------------------------------------------

    def schedule(self, name: str) -> Schedule:
        found = self.roster.schedules.get(name)
        if found is None:
            known = ", ".join(self.roster.schedules) or "none in tocsin.yaml"
            raise NotFound(f"no schedule {name}; schedules: {known}")
        return found

    def who(self, schedule: str | None = None, at: datetime | None = None) -> list[WhoIsOn]:
        """Each schedule (or the one named) at `at` (default now)."""
        moment = self._instant(at, "at")
        chosen = [self.schedule(schedule)] if schedule else list(self.roster.schedules.values())
        overrides = self._overrides(moment - oncall.HORIZON, schedule)
        return [self._who(s, overrides.get(s.name, []), moment) for s in chosen]

    def _who(self, schedule: Schedule, overrides: list[oncall.Override], at: datetime) -> WhoIsOn:
        holidays = self.roster.holidays
        current = oncall.on_call(schedule, overrides, at, holidays)
        following = oncall.next_on_call(schedule, overrides, at, holidays)
        mentioned = {current.person, following.person if following else None} - {None}
        names = {h: self.roster.name_of(h) or h for h in mentioned if h}
        return WhoIsOn(schedule.name, schedule.zone, at, current, following, names)

    # -- the paging work's Directory port (app/ports.py): who is on call, how to reach them --

    def on_call(self, schedule: str, at: datetime, uow: UnitOfWork | None = None) -> str | None:
        """Who is on call in `schedule` at `at`, overrides and holidays included; `uow`:
        read the overrides in that transaction rather than in one of its own."""
        found = self.roster.schedules.get(schedule)
        if found is None:
            return None
        overrides = self._overrides(at, schedule, uow).get(schedule, [])
        return oncall.on_call(found, overrides, at, self.roster.holidays).person

    def reach(self, person: str) -> list[tuple[timedelta, ContactMethod]]:
        """The person's notification rules in order, one (after, method) each."""
        found = self.roster.people.get(person)
        if found is None:
            return []
        return [(rule.after, method) for rule in found.plan() for method in rule.methods]

    def shifts(self, schedule: str, start: datetime, end: datetime) -> list[Shift]:
        found = self.schedule(schedule)
        overrides = self._overrides(start, found.name).get(found.name, [])
        return oncall.shifts(found, overrides, start, end, self.roster.holidays)

    def person_shifts(self, person: str, start: datetime, end: datetime) -> list[tuple[str, Shift]]:
        self._person(person)
        overrides = self._overrides(start)
        return [
            (s.name, shift)
            for s in self.roster.schedules.values()
            for shift in oncall.shifts(
                s, overrides.get(s.name, []), start, end, self.roster.holidays
            )
            if shift.person == person
        ]

    def handoffs(self, start: datetime, end: datetime) -> list[ScheduledHandoff]:
        """Every hand-off of every schedule in [start, end): the hook for hand-off
        notifications (the paging work schedules one job per hand-off)."""
        overrides = self._overrides(start - oncall.DAY)
        found = [
            ScheduledHandoff(s.name, h.at, h.before, h.after)
            for s in self.roster.schedules.values()
            for h in oncall.handoffs(s, overrides.get(s.name, []), start, end, self.roster.holidays)
        ]
        return sorted(found, key=lambda h: (h.at, h.schedule))

    def _overrides(
        self, ending_after: datetime, schedule: str | None = None, uow: UnitOfWork | None = None
    ) -> dict[str, list[oncall.Override]]:
        if uow is not None:
            stored = uow.oncall.overrides(schedule, ending_after)
        else:
            with self._read() as tx:
                stored = tx.oncall.overrides(schedule, ending_after)
        found: dict[str, list[oncall.Override]] = {}
        for record in stored:
            found.setdefault(record.schedule, []).append(record.to_core())
        return found

    # -- overrides ----------------------------------------------------------------------

    def add_override(
        self,
        schedule: str,
        person: str,
        starts: datetime | None,
        ends: datetime,
        by: str,
        reason: str = "",
    ) -> OverrideRecord:
        """`person` is on call for `schedule` from `starts` (default now) to `ends`."""
        self.schedule(schedule)
        handle = self._person(person).handle
        now = self._clock.now()
        start = self._instant(starts, "from")
        end = self._instant(ends, "to")
        if end <= start:
            raise InvalidInput("the override must end after it starts: --to comes after --from")
        if end - start > MAX_OVERRIDE:
            raise InvalidInput("an override lasts at most a year; change the rotation instead")
        if end <= now:
            raise InvalidInput("the override would end in the past; give a --to in the future")
        why = rules.optional_text(reason, "reason", 1000) or ""
        draft = OverrideRecord(0, schedule, handle, start, end, rules.actor(by), now, why)
        with self._uow() as uow:
            new_id = uow.oncall.add_override(draft)
            uow.commit()
        return replace(draft, id=new_id)

    def overrides(
        self, schedule: str | None = None, include_past: bool = False
    ) -> list[OverrideRecord]:
        if schedule:
            self.schedule(schedule)
        with self._read() as uow:
            return uow.oncall.overrides(
                schedule or None, None if include_past else self._clock.now()
            )

    def remove_override(self, override_id: int) -> OverrideRecord:
        with self._uow() as uow:
            removed = uow.oncall.remove_override(override_id)
            if removed is None:
                raise NotFound(
                    f"no override {override_id}; list them with `tocsin oncall override list`"
                )
            uow.commit()
        return removed

    # -- reachability ---------------------------------------------------------------------

    def check(self, ahead: timedelta = CHECK_AHEAD) -> Reachability:
        """Everyone on a schedule with no working contact method, and every gap in each
        schedule's coverage from now to `ahead` (overrides and holidays included)."""
        start = self._clock.now()
        end = start + ahead
        unreachable = [
            Unreachable(s.name, handle, self.roster.name_of(handle) or handle, reason)
            for s in self.roster.schedules.values()
            for handle in s.people
            if (reason := self.unreachable_reason(handle))
        ]
        overrides = self._overrides(start)
        holes = [
            Gap(s.name, a, b)
            for s in self.roster.schedules.values()
            for a, b in oncall.gaps(s, overrides.get(s.name, []), start, end, self.roster.holidays)
        ]
        return Reachability(start, end, unreachable, holes)

    def unreachable_reason(self, handle: str) -> str | None:
        person = self.roster.people.get(handle)
        if person is None:
            return "not in people"
        if not person.contacts:
            return "no contact method"
        problems = [self._method_problem(m) for m in person.contacts]
        if all(problems):
            return "no working contact method: " + "; ".join(p for p in problems if p)
        return None

    # -- calendar feeds -------------------------------------------------------------------

    def add_feed(self, target: str, name: str, by: str) -> tuple[CalendarFeed, str]:
        """A secret feed URL token for one schedule or one person; shown once."""
        kind = self._target(target)
        self._check_target(kind, name)
        secret = FEED_PREFIX + secrets.token_urlsafe(32)
        with self._uow() as uow:
            feed = uow.oncall.add_feed(
                kind.value, name, digest(secret), rules.actor(by), self._clock.now()
            )
            uow.commit()
        return feed, secret

    def feeds(self) -> list[CalendarFeed]:
        with self._read() as uow:
            return uow.oncall.feeds()

    def remove_feed(self, feed_id: int) -> CalendarFeed:
        with self._uow() as uow:
            removed = uow.oncall.remove_feed(feed_id)
            if removed is None:
                raise NotFound(
                    f"no calendar feed {feed_id}; list them with `tocsin oncall feed list`"
                )
            uow.commit()
        return removed

    def check_feed_token(self, secret: str, target: str, name: str) -> None:
        """Raises Unauthenticated unless `secret` is a feed of exactly this schedule or person."""
        if secret.startswith(FEED_PREFIX):
            with self._read() as uow:
                feed = uow.oncall.feed_by_hash(digest(secret))
            if feed is not None and (feed.target.value, feed.name) == (target, name):
                return
        raise Unauthenticated("invalid or revoked calendar feed token")

    def calendar(self, target: str, name: str) -> str:
        """The iCalendar text of a schedule's shifts, or of one person's on every schedule."""
        kind = self._target(target)
        self._check_target(kind, name)
        now = self._clock.now()
        start, end = now - FEED_PAST, now + FEED_AHEAD
        if kind is FeedTarget.SCHEDULE:
            pairs = [(name, s) for s in self.shifts(name, start, end)]
            title = f"On call: {name}"
        else:
            pairs = self.person_shifts(name, start, end)
            title = f"On call: {self.roster.name_of(name)}"
        events = [self._event(schedule, shift) for schedule, shift in pairs]
        return ics.calendar(title, events, now)

    def _event(self, schedule: str, shift: Shift) -> ics.Event:
        who = self.roster.name_of(shift.person) or shift.person
        detail = f"{who} is on call for {schedule} ({shift.layer})."
        if shift.replaces:
            detail += f" Covering for {self.roster.name_of(shift.replaces)}."
        uid = f"{schedule}-{shift.person}-{ics.stamp(shift.start)}@tocsin"
        return ics.Event(uid, shift.start, shift.end, f"On call: {who} ({schedule})", detail)

    # -- helpers --------------------------------------------------------------------------

    def _person(self, handle: str) -> Person:
        found = self.roster.people.get(handle.strip().lstrip("@"))
        if found is None:
            known = ", ".join(self.roster.people) or "none in tocsin.yaml"
            raise InvalidInput(f"unknown person {handle!r}; people: {known}")
        return found

    def _target(self, target: str) -> FeedTarget:
        try:
            return FeedTarget(target)
        except ValueError:
            raise InvalidInput(
                f"a calendar feed is for a schedule or a person, not {target!r}"
            ) from None

    def _check_target(self, kind: FeedTarget, name: str) -> None:
        if kind is FeedTarget.SCHEDULE:
            self.schedule(name)
        elif name not in self.roster.people:
            raise NotFound(f"no person {name}; people: {', '.join(self.roster.people) or 'none'}")

    def _instant(self, moment: datetime | None, name: str) -> datetime:
        if moment is None:
            return self._clock.now()
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidInput(f"{name}: give a time zone, e.g. 2026-12-24T09:00:00+01:00 or …Z")
        if not EARLIEST <= moment <= LATEST:
            raise InvalidInput(f"{name}: give a time from 1970 to 2199")
        return moment
