"""Schedules: rotations on the wall clock, restrictions, stacked layers, holidays, overrides;
properties checked with hypothesis over random schedules in several time zones."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tocsin.core.oncall import (
    HORIZON,
    Handoff,
    Layer,
    OnCall,
    Override,
    Restriction,
    Schedule,
    ScheduleError,
    Shift,
    gaps,
    handoffs,
    next_on_call,
    on_call,
    shifts,
)
from tocsin.core.people import Holiday

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
WEEKDAYS = frozenset(range(5))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


def daily(zone: str, people: tuple[str, ...] = ("ann", "bob"), **kw: object) -> Schedule:
    layer = Layer(people, timedelta(days=1), time(9), date(2026, 1, 1), zone, **kw)  # type: ignore[arg-type]
    return Schedule("primary", (layer,), zone)


# -- daylight saving: a shift is as long as the wall clock says ------------------------------


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [
        (BERLIN, date(2026, 3, 29), date(2026, 10, 25)),
        (NEW_YORK, date(2026, 3, 8), date(2026, 11, 1)),
    ],
)
def test_a_daily_shift_across_a_clock_change_lasts_what_the_wall_clock_says(
    zone: str, spring: date, autumn: date
) -> None:
    schedule = daily(zone)
    for day, hours in ((spring, 23), (autumn, 25)):
        before = datetime.combine(day - timedelta(days=1), time(9))
        start = local(zone, before.year, before.month, before.day, 9)
        found = shifts(schedule, [], start, start + 4 * timedelta(days=1))
        assert [s.length for s in found[:3]] == [timedelta(hours=hours), 24 * H, 24 * H]
        assert all(s.start.astimezone(ZoneInfo(zone)).time() == time(9) for s in found)
        current = on_call(schedule, [], start + H)
        assert (current.since, current.until) == (start, start + timedelta(hours=hours))


def test_the_two_zones_change_on_different_dates() -> None:
    berlin, new_york = daily(BERLIN), daily(NEW_YORK)
    window = (utc(2026, 3, 1), utc(2026, 4, 5))
    short_berlin = [s.start.date() for s in shifts(berlin, [], *window) if s.length == 23 * H]
    short_ny = [s.start.date() for s in shifts(new_york, [], *window) if s.length == 23 * H]
    assert (short_berlin, short_ny) == ([date(2026, 3, 28)], [date(2026, 3, 7)])


def test_a_weekly_rotation_across_the_change_is_one_hour_short() -> None:
    layer = Layer(("ann", "bob"), timedelta(days=7), time(9), date(2026, 3, 23), BERLIN)
    found = shifts(Schedule("p", (layer,)), [], utc(2026, 3, 23, 8), utc(2026, 4, 6, 7))
    assert [(s.person, s.length) for s in found] == [("ann", 167 * H), ("bob", 168 * H)]


def test_a_custom_rotation_counts_wall_clock_hours() -> None:
    layer = Layer(("ann", "bob"), timedelta(hours=36), time(21), date(2026, 3, 27), BERLIN)
    found = shifts(Schedule("p", (layer,)), [], local(BERLIN, 2026, 3, 27, 21), utc(2026, 4, 1))
    assert [s.start.astimezone(ZoneInfo(BERLIN)).hour for s in found[:3]] == [21, 9, 21]
    assert [s.length for s in found[:2]] == [35 * H, 36 * H]


def test_a_hand_off_the_clock_skips_happens_when_it_jumps_and_a_repeated_one_the_first_time() -> (
    None
):
    spring = Layer(("ann", "bob"), timedelta(days=1), time(2, 30), date(2026, 3, 28), BERLIN)
    found = shifts(Schedule("p", (spring,)), [], utc(2026, 3, 28), utc(2026, 3, 30))
    assert found[1].start == utc(2026, 3, 29, 1, 0)  # 03:00 CEST, the first moment after 02:00
    autumn = Layer(("ann", "bob"), timedelta(days=1), time(2, 30), date(2026, 10, 24), BERLIN)
    found = shifts(Schedule("p", (autumn,)), [], utc(2026, 10, 24), utc(2026, 10, 26))
    assert found[1].start == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, not 02:30 CET


def test_business_hours_stay_nine_to_five_local_across_the_change() -> None:
    hours = Restriction(WEEKDAYS, time(9), time(17))
    schedule = daily(NEW_YORK, restrictions=(hours,))
    found = shifts(schedule, [], utc(2026, 3, 5), utc(2026, 3, 11))
    wall = [
        (s.start.astimezone(ZoneInfo(NEW_YORK)), s.end.astimezone(ZoneInfo(NEW_YORK)))
        for s in found
    ]
    assert [(a.strftime("%a %H:%M"), b.strftime("%H:%M")) for a, b in wall] == [
        ("Thu 09:00", "17:00"),
        ("Fri 09:00", "17:00"),
        ("Mon 09:00", "17:00"),
        ("Tue 09:00", "17:00"),
    ]
    assert found[2].start - found[1].start == timedelta(days=3) - H  # the weekend lost an hour


# -- layers, restrictions, holidays, overrides ------------------------------------------------


def test_a_later_layer_wins_where_it_has_someone() -> None:
    base = Layer(("ann", "bob"), timedelta(days=7), time(9), date(2026, 1, 5), "UTC", name="week")
    nights = Layer(
        ("zoe",), timedelta(days=7), time(0), date(2026, 1, 5), "UTC",
        (Restriction(WEEKDAYS, time(18), time(6)),), "nights",
    )  # fmt: skip
    schedule = Schedule("p", (base, nights))
    found = shifts(schedule, [], utc(2026, 1, 5, 9), utc(2026, 1, 6, 12))
    assert [(s.person, s.layer, s.start.hour, s.end.hour) for s in found] == [
        ("ann", "week", 9, 18),
        ("zoe", "nights", 18, 6),
        ("ann", "week", 6, 12),
    ]


def test_weekend_and_overnight_restrictions() -> None:
    weekend = Restriction(frozenset({5, 6}), time(0), time(0))
    schedule = daily("UTC", ("ann",), restrictions=(weekend,))
    found = shifts(schedule, [], utc(2026, 1, 5), utc(2026, 1, 19))
    assert [(s.start, s.end) for s in found] == [
        (utc(2026, 1, 10), utc(2026, 1, 12)),
        (utc(2026, 1, 17), utc(2026, 1, 19)),
    ]


def test_a_holiday_hands_the_shifts_to_someone_and_an_override_wins_over_all() -> None:
    schedule = daily("UTC")
    away = Holiday("ann", utc(2026, 1, 1), utc(2026, 1, 4), "cid")
    override = Override("dee", utc(2026, 1, 2, 12), utc(2026, 1, 2, 15))
    found = shifts(schedule, [override], utc(2026, 1, 1, 9), utc(2026, 1, 4, 9), [away])
    assert [(s.person, s.replaces, s.layer, s.start, s.end) for s in found] == [
        ("cid", "ann", "layer-1", utc(2026, 1, 1, 9), utc(2026, 1, 2, 9)),
        ("bob", None, "layer-1", utc(2026, 1, 2, 9), utc(2026, 1, 2, 12)),
        ("dee", "bob", "override", utc(2026, 1, 2, 12), utc(2026, 1, 2, 15)),
        ("bob", None, "layer-1", utc(2026, 1, 2, 15), utc(2026, 1, 3, 9)),
        ("cid", "ann", "layer-1", utc(2026, 1, 3, 9), utc(2026, 1, 4, 0)),
        ("ann", None, "layer-1", utc(2026, 1, 4, 0), utc(2026, 1, 4, 9)),
    ]


def test_an_override_fills_a_gap_and_the_latest_of_two_wins() -> None:
    schedule = daily("UTC", ("ann",), restrictions=(Restriction(WEEKDAYS, time(9), time(17)),))
    first = Override("bob", utc(2026, 1, 5, 16), utc(2026, 1, 5, 20))
    second = Override("cid", utc(2026, 1, 5, 19), utc(2026, 1, 5, 21))
    found = shifts(schedule, [first, second], utc(2026, 1, 5), utc(2026, 1, 6))
    assert [(s.person, s.replaces, s.start.hour, s.end.hour) for s in found] == [
        ("ann", None, 9, 16),
        ("bob", "ann", 16, 17),
        ("bob", None, 17, 19),
        ("cid", None, 19, 21),
    ]
    assert gaps(schedule, [first, second], utc(2026, 1, 5), utc(2026, 1, 6)) == [
        (utc(2026, 1, 5), utc(2026, 1, 5, 9)),
        (utc(2026, 1, 5, 21), utc(2026, 1, 6)),
    ]


def test_who_is_on_call_now_and_next_and_the_hand_offs() -> None:
    schedule = daily(
        "UTC", ("ann", "bob"), restrictions=(Restriction(WEEKDAYS, time(9), time(17)),)
    )
    friday_night = utc(2026, 1, 9, 20)
    assert on_call(schedule, [], friday_night) == OnCall(
        None, utc(2026, 1, 9, 17), utc(2026, 1, 12, 9)
    )
    assert next_on_call(schedule, [], friday_night) == OnCall(
        "bob", utc(2026, 1, 12, 9), utc(2026, 1, 12, 17)
    )
    assert next_on_call(schedule, [], utc(2026, 1, 12, 10)) == OnCall(
        "ann", utc(2026, 1, 13, 9), utc(2026, 1, 13, 17)
    )
    assert handoffs(schedule, [], utc(2026, 1, 12), utc(2026, 1, 13, 12)) == [
        Handoff(utc(2026, 1, 12, 9), None, "bob"),
        Handoff(utc(2026, 1, 12, 17), "bob", None),
        Handoff(utc(2026, 1, 13, 9), None, "ann"),
    ]  # fmt: skip


def test_one_person_around_the_clock_is_on_until_further_notice() -> None:
    schedule = daily("UTC", ("solo",))
    assert on_call(schedule, [], utc(2026, 6, 1)) == OnCall("solo", utc(2026, 1, 1, 9), None)
    assert next_on_call(schedule, [], utc(2026, 6, 1)) is None
    far = utc(2026, 1, 1, 9) + 2 * HORIZON
    assert on_call(schedule, [], far) == OnCall("solo", None, None)


def test_nobody_is_on_call_before_a_layer_starts() -> None:
    schedule = daily("UTC")
    assert on_call(schedule, [], utc(2025, 12, 31)) == OnCall(None, None, utc(2026, 1, 1, 9))
    assert shifts(schedule, [], utc(2025, 12, 1), utc(2026, 1, 1, 9)) == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Layer((), timedelta(days=1), time(9), date(2026, 1, 1)), "has no people"),
        (lambda: Layer(("a",), 30 * MINUTE, time(9), date(2026, 1, 1)), "from 1h to 366d"),
        (lambda: Layer(("a",), DAY, time(9), date(2026, 1, 1), "Mars/Base"), "unknown time zone"),
        (lambda: Restriction(frozenset({7}), time(9), time(17)), r"Monday \(0\) to Sunday \(6\)"),
        (lambda: Schedule("p", ()), "has no layers"),
    ],
)  # fmt: skip
def test_a_schedule_that_cannot_work_says_why(build: object, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        build()  # type: ignore[operator]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ScheduleError, match="at has no time zone"):
        on_call(daily("UTC"), [], datetime(2026, 1, 2))  # noqa: DTZ001


# -- properties ---------------------------------------------------------------------------

ZONES = [
    "UTC", BERLIN, NEW_YORK, "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Apia",
    "America/Sao_Paulo", "Europe/London",
]  # fmt: skip
PEOPLE = ["ann", "bob", "cid", "dee"]
EARLIEST = datetime(2011, 1, 1)  # noqa: DTZ001 - hypothesis wants naive bounds
LATEST = datetime(2030, 12, 31)  # noqa: DTZ001

rotations = st.one_of(
    st.integers(1, 400).map(lambda h: timedelta(hours=h)),
    st.integers(1, 14).map(lambda d: timedelta(days=d)),
    st.integers(60, 3000).map(lambda m: timedelta(minutes=m)),
)
times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
restrictions = st.builds(Restriction, st.frozensets(st.integers(0, 6), min_size=1), times, times)


@st.composite
def layers(draw: st.DrawFn, index: int) -> Layer:
    return Layer(
        tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4))),
        draw(rotations),
        draw(times),
        draw(st.dates(date(2010, 6, 1), date(2030, 6, 1))),
        draw(st.sampled_from(ZONES)),
        tuple(draw(st.lists(restrictions, max_size=2))),
        f"layer-{index}",
    )


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    count = draw(st.integers(1, 3))
    return Schedule("s", tuple(draw(layers(i)) for i in range(count)))


instants = st.datetimes(EARLIEST, LATEST, timezones=st.just(UTC)).map(
    lambda t: t.replace(second=0, microsecond=0)
)


@st.composite
def spans(draw: st.DrawFn, around: datetime, kind: type) -> object:
    start = around + timedelta(minutes=draw(st.integers(-20 * 24 * 60, 20 * 24 * 60)))
    end = start + timedelta(minutes=draw(st.integers(1, 5 * 24 * 60)))
    person = draw(st.sampled_from(PEOPLE))
    if kind is Holiday:
        return Holiday(person, start, end, draw(st.sampled_from(PEOPLE)))
    return Override(person, start, end)


@st.composite
def worlds(
    draw: st.DrawFn,
) -> tuple[Schedule, list[Override], list[Holiday], datetime, datetime]:
    schedule = draw(schedules())
    start = draw(instants)
    end = start + timedelta(minutes=draw(st.integers(60, 30 * 24 * 60)))
    overrides = draw(st.lists(spans(start, Override), max_size=3))
    holidays = draw(st.lists(spans(start, Holiday), max_size=2))
    return schedule, overrides, holidays, start, end  # type: ignore[return-value]


World = tuple[Schedule, list[Override], list[Holiday], datetime, datetime]
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def person_at(found: list[Shift], moment: datetime) -> str | None:
    return next((s.person for s in found if s.start <= moment < s.end), None)


@PROPERTY
@given(worlds())
def test_shifts_are_ordered_positive_and_never_overlap(world: World) -> None:
    schedule, overrides, holidays, start, end = world
    found = shifts(schedule, overrides, start, end, holidays)
    for shift in found:
        assert start <= shift.start < shift.end <= end
    for a, b in itertools.pairwise(found):
        assert a.end <= b.start
        if a.end == b.start:  # contiguous: merged unless something differs
            assert (a.person, a.layer, a.replaces) != (b.person, b.layer, b.replaces)


@PROPERTY
@given(worlds(), st.data())
def test_shifts_do_not_depend_on_the_window_asked_for(world: World, data: st.DataObject) -> None:
    schedule, overrides, holidays, start, end = world
    minutes = int((end - start) / timedelta(minutes=1))
    a = data.draw(st.integers(0, minutes - 1))
    b = data.draw(st.integers(a + 1, minutes))
    inner_start, inner_end = start + timedelta(minutes=a), start + timedelta(minutes=b)
    whole = shifts(schedule, overrides, start, end, holidays)
    clipped = [
        Shift(s.person, max(s.start, inner_start), min(s.end, inner_end), s.layer, s.replaces)
        for s in whole
        if s.end > inner_start and s.start < inner_end
    ]
    assert shifts(schedule, overrides, inner_start, inner_end, holidays) == clipped


@PROPERTY
@given(worlds(), st.data())
def test_on_call_at_any_instant_agrees_with_the_shifts(world: World, data: st.DataObject) -> None:
    schedule, overrides, holidays, start, end = world
    found = shifts(schedule, overrides, start, end, holidays)
    minutes = int((end - start) / timedelta(minutes=1))
    for _ in range(3):
        at = start + timedelta(minutes=data.draw(st.integers(0, minutes - 1)))
        current = on_call(schedule, overrides, at, holidays)
        assert current.person == person_at(found, at)
        assert current.since is None or current.since <= at
        assert current.until is None or at < current.until
        for edge in (current.since, current.until):
            if edge is not None and start < edge < end:  # a real change, visible in the shifts
                assert person_at(found, edge - timedelta(microseconds=1)) != person_at(found, edge)
        if current.since is not None and current.since >= start:
            assert person_at(found, current.since) == current.person


@PROPERTY
@given(worlds())
def test_gaps_are_exactly_where_no_shift_is(world: World) -> None:
    schedule, overrides, holidays, start, end = world
    found = shifts(schedule, overrides, start, end, holidays)
    holes = gaps(schedule, overrides, start, end, holidays)
    covered = sum((s.length for s in found), timedelta()) + sum(
        (b - a for a, b in holes), timedelta()
    )
    assert covered == end - start
    for a, b in holes:
        assert person_at(found, a) is None
        assert person_at(found, b - timedelta(microseconds=1)) is None


@PROPERTY
@given(worlds())
def test_hand_offs_are_the_changes_of_person(world: World) -> None:
    schedule, overrides, holidays, start, end = world
    found = handoffs(schedule, overrides, start, end, holidays)
    for handoff in found:
        assert start <= handoff.at < end
        assert handoff.before != handoff.after
    for handoff in found[:8] + found[-8:]:
        before = on_call(schedule, overrides, handoff.at - timedelta(microseconds=1), holidays)
        after = on_call(schedule, overrides, handoff.at, holidays)
        assert (before.person, after.person) == (handoff.before, handoff.after)


@PROPERTY
@given(worlds())
def test_next_on_call_starts_where_the_current_span_ends(world: World) -> None:
    schedule, overrides, holidays, start, _ = world
    current = on_call(schedule, overrides, start, holidays)
    following = next_on_call(schedule, overrides, start, holidays)
    if following is None:
        return
    assert following.person is not None
    assert current.until is not None
    assert following.since is not None
    assert following.since >= current.until
    assert on_call(schedule, overrides, following.since, holidays).person == following.person


@PROPERTY
@given(worlds())
def test_layers_without_restrictions_cover_every_instant_once_started(world: World) -> None:
    schedule, overrides, holidays, start, end = world
    plain = Schedule(
        "plain",
        tuple(
            Layer(
                layer.people, layer.rotation, layer.handoff, layer.start, layer.zone, (), layer.name
            )
            for layer in schedule.layers
        ),
    )
    began = min(layer.anchor.replace(tzinfo=ZoneInfo(layer.zone)) for layer in plain.layers)
    assume(began.astimezone(UTC) + timedelta(days=1) <= start)
    found = shifts(plain, overrides, start, end, holidays)
    assert found[0].start == start
    assert found[-1].end == end
    assert all(a.end == b.start for a, b in itertools.pairwise(found))
