"""On-call schedules: who is on call at an instant, who is next, every shift in a window.

Pure: instants are passed in (timezone-aware), time zones come from the standard library's
zoneinfo. A schedule is a stack of layers; each layer rotates its people at a hand-off time
of day in its own time zone, optionally only inside weekly windows (restrictions). Where a
later layer has someone, it wins over the earlier ones. Holidays hand a person's shifts to
someone else; overrides, made at run time, win over everything.

Rotations follow the wall clock: a daily hand-off at 09:00 Europe/Berlin happens at 09:00
local time every day, so the shift across the March change lasts 23 hours and the one across
October 25. A hand-off time the clock skips (02:30 on the March change) happens when the
clock jumps over it; one the clock repeats happens the first time.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin.core.errors import InvalidInput
from tocsin.core.people import Holiday

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
MIN_ROTATION = timedelta(hours=1)
MAX_ROTATION = timedelta(days=366)
HORIZON = timedelta(days=400)  # how far on_call looks for the start and end of a shift
_OFFSETS_SPREAD = timedelta(hours=27)  # UTC offsets span -12h..+14h: never more apart
OVERRIDE_LAYER = "override"
_SECOND = timedelta(seconds=1)


class ScheduleError(InvalidInput):
    """A schedule that cannot work as written; the message names the part and the fix."""


@cache
def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or UTC"
        ) from None


def wall_to_utc(zone: ZoneInfo, local: datetime) -> datetime:
    """A wall-clock time in `zone` as a UTC instant. A time the clock repeats is its first
    occurrence; a time the clock skips is the instant it jumps (02:30 on the March change
    in Berlin is 03:00 CEST: the moment the clock passed 02:30)."""
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if utc_to_wall(zone, first) == local:
        return first
    before, after = local.replace(tzinfo=zone, fold=1).astimezone(UTC), first
    while after - before > _SECOND:  # the wall clock reads < local before the jump
        middle = before + _SECOND * ((after - before) // _SECOND // 2)
        if utc_to_wall(zone, middle) < local:
            before = middle
        else:
            after = middle
    return after


def utc_to_wall(zone: ZoneInfo, moment: datetime) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ScheduleError(f"{name} has no time zone; give an aware time")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Restriction:
    """A weekly window in the layer's time zone: on each of `days` (0 is Monday) from `start`
    to `end`. An `end` at or before `start` is on the next day (00:00 to 00:00: all day)."""

    days: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ScheduleError("a restriction needs days from Monday (0) to Sunday (6)")

    def windows(
        self, zone: ZoneInfo, first: date, last: date
    ) -> Iterator[tuple[datetime, datetime]]:
        """Its windows that start on a local date from `first` to `last`, in UTC."""
        overnight = self.end <= self.start
        day = first
        while day <= last:
            if day.weekday() in self.days:
                start = wall_to_utc(zone, datetime.combine(day, self.start))
                end_day = day + DAY if overnight else day
                end = wall_to_utc(zone, datetime.combine(end_day, self.end))
                if end > start:
                    yield start, end
            day += DAY


@dataclass(frozen=True, slots=True)
class Layer:
    """People in turn, each for `rotation` of wall-clock time, handing off at `handoff` on
    the local date `start` (the first person's first shift) and every rotation after."""

    people: tuple[str, ...]
    rotation: timedelta
    handoff: time
    start: date
    zone: str = "UTC"
    restrictions: tuple[Restriction, ...] = ()
    name: str = "layer-1"

    def __post_init__(self) -> None:
        if not self.people:
            raise ScheduleError(f"layer {self.name} has no people; list at least one")
        if not MIN_ROTATION <= self.rotation <= MAX_ROTATION:
            raise ScheduleError(
                f"layer {self.name}: a rotation lasts from 1h to 366d, not {self.rotation}"
            )
        if self.rotation % timedelta(minutes=1):
            raise ScheduleError(f"layer {self.name}: a rotation is a whole number of minutes")
        zone_of(self.zone)

    @property
    def anchor(self) -> datetime:
        """The first hand-off, on the wall clock (naive)."""
        return datetime.combine(self.start, self.handoff)

    def _index(self, moment: datetime) -> int:
        """The rotation whose wall-clock span holds `moment` (may be off by a few near a
        clock change; callers look a little further both ways)."""
        return (utc_to_wall(zone_of(self.zone), moment) - self.anchor) // self.rotation

    def _handoff_at(self, k: int) -> datetime:
        return wall_to_utc(zone_of(self.zone), self.anchor + k * self.rotation)

    def rotations(self, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
        """(person, from, to) for each rotation overlapping [start, end), clipped to it.

        Hand-offs are the wall-clock ones, made monotonic: where a clock change would put one
        before the previous (a rotation shorter than the change), the later shift is empty."""
        if len(set(self.people)) == 1:  # no hand-off changes anything: one span from the start
            begin = self._handoff_at(0)
            return [(self.people[0], max(begin, start), end)] if end > begin else []
        lookback = math.ceil(_OFFSETS_SPREAD / self.rotation) + 1
        first = self._index(start) - lookback - 1
        last = self._index(end) + lookback + 1
        if last < 0:
            return []
        first = max(first, 0)
        latest = self._handoff_at(max(first - lookback, 0))
        bounds = []
        for k in range(max(first - lookback, 0), last + 2):
            latest = max(latest, self._handoff_at(k))
            if k >= first:
                bounds.append(latest)
        found = []
        for offset, (begin, finish) in enumerate(itertools.pairwise(bounds)):
            if finish > begin and finish > start and begin < end:
                person = self.people[(first + offset) % len(self.people)]
                found.append((person, max(begin, start), min(finish, end)))
        return found

    def windows(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The restrictions' windows overlapping [start, end), merged and clipped."""
        zone = zone_of(self.zone)
        first = utc_to_wall(zone, start).date() - 2 * DAY
        last = utc_to_wall(zone, end).date() + DAY
        spans = sorted(w for r in self.restrictions for w in r.windows(zone, first, last))
        merged: list[tuple[datetime, datetime]] = []
        for begin, finish in spans:
            begin, finish = max(begin, start), min(finish, end)
            if finish <= begin:
                continue
            if merged and begin <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
            else:
                merged.append((begin, finish))
        return merged

    def segments(self, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
        """Who this layer has on call in [start, end): its rotations inside its windows."""
        rotations = self.rotations(start, end)
        if not self.restrictions:
            return rotations
        windows = self.windows(start, end)
        found, i, j = [], 0, 0
        while i < len(rotations) and j < len(windows):
            person, begin, finish = rotations[i]
            w_begin, w_end = windows[j]
            lo, hi = max(begin, w_begin), min(finish, w_end)
            if hi > lo:
                found.append((person, lo, hi))
            if finish <= w_end:
                i += 1
            else:
                j += 1
        return found


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    layers: tuple[Layer, ...]
    zone: str = "UTC"  # how its times are shown

    def __post_init__(self) -> None:
        if not self.layers:
            raise ScheduleError(f"schedule {self.name} has no layers; add one")
        zone_of(self.zone)

    @property
    def people(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for layer in self.layers for p in layer.people))


@dataclass(frozen=True, slots=True)
class Override:
    """From `start` to `end`, `person` is on call, whoever the layers say."""

    person: str
    start: datetime
    end: datetime

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class Shift:
    """`person` is on call from `start` to `end` through `layer` (a layer's name, or
    "override"); `replaces` is the person the layers had, when an override or a holiday
    hands the shift over."""

    person: str
    start: datetime
    end: datetime
    layer: str
    replaces: str | None = None

    @property
    def length(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class OnCall:
    """Who is on call (None: nobody, a gap) and the span they are on for without a break.
    `since` and `until` are None when the span reaches past HORIZON."""

    person: str | None
    since: datetime | None
    until: datetime | None


@dataclass(frozen=True, slots=True)
class Handoff:
    """At `at`, on call passes from `before` to `after` (None: nobody)."""

    at: datetime
    before: str | None
    after: str | None


def shifts(
    schedule: Schedule,
    overrides: Sequence[Override],
    start: datetime,
    end: datetime,
    holidays: Sequence[Holiday] = (),
) -> list[Shift]:
    """Every shift in [start, end), clipped to it, in time order; never overlapping. Adjacent
    shifts differ in person, layer or whom they replace."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        return []
    layers = [_Segments(layer.name, layer.segments(start, end)) for layer in schedule.layers]
    points = {start, end}
    for segments in layers:
        points.update(t for _, begin, finish in segments.items for t in (begin, finish))
    edges = [t for span in overrides for t in (span.start, span.end)]
    edges += [t for span in holidays for t in (span.start, span.end)]
    points.update(t for t in edges if start < t < end)
    found: list[Shift] = []
    ordered = sorted(points)
    for begin, finish in itertools.pairwise(ordered):
        shift = _who(layers, overrides, holidays, begin, finish)
        if shift is None:
            continue
        last = found[-1] if found else None
        if last and last.end == begin and _same(last, shift):
            found[-1] = Shift(last.person, last.start, finish, last.layer, last.replaces)
        else:
            found.append(shift)
    return found


class _Segments:
    """One layer's segments, found by time."""

    def __init__(self, layer: str, items: list[tuple[str, datetime, datetime]]) -> None:
        self.layer = layer
        self.items = items
        self._starts = [s[1] for s in items]

    def at(self, moment: datetime) -> str | None:
        index = bisect.bisect_right(self._starts, moment) - 1
        if index >= 0 and self.items[index][1] <= moment < self.items[index][2]:
            return self.items[index][0]
        return None


def _who(
    layers: list[_Segments],
    overrides: Sequence[Override],
    holidays: Sequence[Holiday],
    begin: datetime,
    finish: datetime,
) -> Shift | None:
    base: Shift | None = None
    for segments in reversed(layers):
        person = segments.at(begin)
        if person is not None:
            base = Shift(person, begin, finish, segments.layer)
            break
    if base is not None:
        away = next((h for h in holidays if h.person == base.person and h.covers(begin)), None)
        if away is not None:
            base = Shift(away.handed_to, begin, finish, base.layer, base.person)
    covering = [o for o in overrides if o.covers(begin)]
    if covering:
        replaced = (base.replaces or base.person) if base else None
        return Shift(covering[-1].person, begin, finish, OVERRIDE_LAYER, replaced)
    return base


def _same(a: Shift, b: Shift) -> bool:
    return (a.person, a.layer, a.replaces) == (b.person, b.layer, b.replaces)


def gaps(
    schedule: Schedule,
    overrides: Sequence[Override],
    start: datetime,
    end: datetime,
    holidays: Sequence[Holiday] = (),
) -> list[tuple[datetime, datetime]]:
    """The spans of [start, end) when nobody is on call."""
    found, cursor = [], _aware(start, "start")
    for shift in shifts(schedule, overrides, start, end, holidays):
        if shift.start > cursor:
            found.append((cursor, shift.start))
        cursor = shift.end
    end = _aware(end, "end")
    if cursor < end:
        found.append((cursor, end))
    return found


def on_call(
    schedule: Schedule,
    overrides: Sequence[Override],
    at: datetime,
    holidays: Sequence[Holiday] = (),
) -> OnCall:
    """Who is on call at `at`, since when and until when without a break (a hand-over to
    the same person through another layer is no break)."""
    at = _aware(at, "at")
    reach = 2 * DAY
    while True:
        found = shifts(schedule, overrides, at - reach, at + reach, holidays)
        person, since, until = _run_at(found, at, at - reach, at + reach)
        low, high = since == at - reach, until == at + reach
        if not (low or high) or reach >= HORIZON:
            return OnCall(person, None if low else since, None if high else until)
        reach = min(reach * 4, HORIZON)


def _run_at(
    found: list[Shift], at: datetime, start: datetime, end: datetime
) -> tuple[str | None, datetime, datetime]:
    """The person at `at` and the span around it with that person (or nobody) throughout."""
    index = bisect.bisect_right([s.start for s in found], at) - 1
    if index < 0 or found[index].end <= at:  # a gap
        since = found[index].end if index >= 0 else start
        until = found[index + 1].start if index + 1 < len(found) else end
        return None, since, until
    person = found[index].person
    first = last = index
    while (
        first > 0
        and found[first - 1].person == person
        and found[first - 1].end == found[first].start
    ):
        first -= 1
    while (
        last + 1 < len(found)
        and found[last + 1].person == person
        and found[last + 1].start == found[last].end
    ):
        last += 1
    return person, found[first].start, found[last].end


def next_on_call(
    schedule: Schedule,
    overrides: Sequence[Override],
    at: datetime,
    holidays: Sequence[Holiday] = (),
) -> OnCall | None:
    """Who comes on call after the current span (after any gap that follows it); None when
    nobody does within HORIZON."""
    current = on_call(schedule, overrides, at, holidays)
    moment = current.until
    for _ in range(2):  # the span after the current one, or after the gap that follows it
        if moment is None or moment - _aware(at, "at") > HORIZON:
            return None
        following = on_call(schedule, overrides, moment, holidays)
        if following.person is not None:
            return OnCall(following.person, moment, following.until)
        moment = following.until
    return None


def handoffs(
    schedule: Schedule,
    overrides: Sequence[Override],
    start: datetime,
    end: datetime,
    holidays: Sequence[Holiday] = (),
) -> list[Handoff]:
    """Each instant in [start, end) when the person on call changes (to or from nobody)."""
    start, end = _aware(start, "start"), _aware(end, "end")
    found: list[Handoff] = []
    before: str | None = None
    cursor = start - DAY
    for shift in shifts(schedule, overrides, cursor, end, holidays):
        if shift.start > cursor and before is not None:
            _add(found, cursor, before, None, start)
            before = None
        _add(found, shift.start, before, shift.person, start)
        before, cursor = shift.person, shift.end
    if before is not None and cursor < end:
        _add(found, cursor, before, None, start)
    return found


def _add(
    found: list[Handoff], at: datetime, before: str | None, after: str | None, start: datetime
) -> None:
    if before != after and at >= start:
        found.append(Handoff(at, before, after))
