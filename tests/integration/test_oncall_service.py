"""The on-call use cases on a real database (SQLite and PostgreSQL): who is on call with the
overrides stored, the override rules, reachability, calendar feeds, and hand-offs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from tests.support.oncall import oncall_config, wire
from tocsin.app.clock import ManualClock
from tocsin.app.oncall import ScheduledHandoff
from tocsin.bootstrap import Tocsin
from tocsin.core.access import Unauthenticated
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.oncall import OnCall

H = timedelta(hours=1)
# The clock starts on Sunday 2026-11-22 at 03:00 UTC (04:00 in Berlin). `primary` hands over
# daily at 09:00 Berlin time, ann and bob in turn from 2026-01-01 (ann): day 324 is ann's.
SAT_0800 = datetime(2026, 11, 21, 8, tzinfo=UTC)
SUN_0800 = datetime(2026, 11, 22, 8, tzinfo=UTC)
MON_0800 = datetime(2026, 11, 23, 8, tzinfo=UTC)


@pytest.fixture
def tocsin(tmp_path: Path, database_url: str, clock: ManualClock) -> Iterator[Tocsin]:
    wired = wire(tmp_path, database_url, clock, oncall_config())
    yield wired
    wired.engine.dispose()


def test_who_is_on_call_now_and_next_on_each_schedule(tocsin: Tocsin, clock: ManualClock) -> None:
    primary, business = tocsin.oncall.who()
    assert (primary.schedule, primary.time_zone, primary.at) == (
        "primary", "Europe/Berlin", clock.now(),
    )  # fmt: skip
    assert primary.current == OnCall("ann", SAT_0800, SUN_0800)
    assert primary.next == OnCall("bob", SUN_0800, MON_0800)
    assert primary.names == {"ann": "Ann Example", "bob": "Bob Example"}
    assert business.current.person is None
    assert business.next == OnCall(
        "cid", datetime(2026, 11, 23, 14, tzinfo=UTC), datetime(2026, 11, 23, 22, tzinfo=UTC)
    )
    [later] = tocsin.oncall.who("primary", SUN_0800 + H)
    assert later.current.person == "bob"


def test_an_override_changes_who_is_on_call_until_it_is_removed(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    start, end = clock.now() + H, clock.now() + 3 * H
    made = tocsin.oncall.add_override("primary", "@cid", start, end, "alice", " swap ")
    assert (made.id, made.person, made.created_by, made.reason) == (made.id, "cid", "alice", "swap")
    assert made.id > 0
    assert tocsin.oncall.who("primary", start)[0].current == OnCall("cid", start, end)
    assert tocsin.oncall.who("primary", end)[0].current.person == "ann"
    shifts = tocsin.oncall.shifts("primary", clock.now(), clock.now() + 4 * H)
    assert [(s.person, s.layer, s.replaces) for s in shifts] == [
        ("ann", "layer-1", None), ("cid", "override", "ann"), ("ann", "layer-1", None),
    ]  # fmt: skip
    assert [o.id for o in tocsin.oncall.overrides("primary")] == [made.id]
    assert tocsin.oncall.remove_override(made.id) == made
    assert tocsin.oncall.who("primary", start)[0].current.person == "ann"
    with pytest.raises(NotFound, match=f"no override {made.id}"):
        tocsin.oncall.remove_override(made.id)


def test_past_overrides_are_listed_only_when_asked(tocsin: Tocsin, clock: ManualClock) -> None:
    made = tocsin.oncall.add_override("business", "bob", None, clock.now() + H, "alice")
    assert made.starts_at == clock.now()
    clock.advance(2 * H)
    assert tocsin.oncall.overrides() == []
    assert tocsin.oncall.overrides(include_past=True) == [made]


@pytest.mark.parametrize(
    ("schedule", "person", "start", "end", "error", "message"),
    [
        ("nope", "ann", 0, 1, NotFound, "no schedule nope; schedules: primary, business"),
        ("primary", "zed", 0, 1, InvalidInput, "unknown person 'zed'; people: ann, bob, cid"),
        ("primary", "ann", 2, 1, InvalidInput, "must end after it starts"),
        ("primary", "ann", 0, 24 * 367, InvalidInput, "at most a year"),
        ("primary", "ann", -3, -1, InvalidInput, "would end in the past"),
    ],
)  # fmt: skip
def test_overrides_that_cannot_be_are_refused(
    tocsin: Tocsin,
    clock: ManualClock,
    schedule: str,
    person: str,
    start: int,
    end: int,
    error: type[Exception],
    message: str,
) -> None:
    now = clock.now()
    with pytest.raises(error, match=message):
        tocsin.oncall.add_override(schedule, person, now + start * H, now + end * H, "alice")
    assert tocsin.oncall.overrides(include_past=True) == []


def test_naive_times_are_refused(tocsin: Tocsin) -> None:
    with pytest.raises(InvalidInput, match="to: give a time zone"):
        tocsin.oncall.add_override("primary", "ann", None, datetime(2027, 1, 1), "alice")  # noqa: DTZ001


def test_check_lists_the_unreachable_and_the_gaps(tocsin: Tocsin, clock: ManualClock) -> None:
    report = tocsin.oncall.check()
    assert [(u.schedule, u.person, u.reason) for u in report.unreachable] == [
        ("business", "cid", "no contact method")
    ]
    assert {g.schedule for g in report.gaps} == {"business"}
    assert report.gaps[0].start == clock.now()
    assert len(report.gaps) == 22  # weeknights and weekends for 30 days
    assert not report.ok
    # an override covering a gap removes it
    first = report.gaps[0]
    tocsin.oncall.add_override("business", "ann", first.start, first.end, "alice")
    assert tocsin.oncall.check().gaps[0] != first


def test_hand_offs_between_two_instants_are_listed_for_the_paging_work(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    found = tocsin.oncall.handoffs(clock.now(), clock.now() + timedelta(days=1))
    assert found == [
        ScheduledHandoff("primary", SUN_0800, "ann", "bob"),
    ]
    tocsin.oncall.add_override("primary", "cid", SUN_0800 + H, SUN_0800 + 2 * H, "alice")
    found = tocsin.oncall.handoffs(SUN_0800, SUN_0800 + 3 * H)
    assert [(h.at - SUN_0800, h.before, h.after) for h in found] == [
        (timedelta(0), "ann", "bob"), (H, "bob", "cid"), (2 * H, "cid", "bob"),
    ]  # fmt: skip


def test_a_calendar_feed_opens_its_own_calendar_and_nothing_else(tocsin: Tocsin) -> None:
    feed, secret = tocsin.oncall.add_feed("schedule", "primary", "alice")
    assert secret.startswith("tcf_")
    tocsin.oncall.check_feed_token(secret, "schedule", "primary")
    for target, name in (("schedule", "business"), ("person", "primary"), ("person", "ann")):
        with pytest.raises(Unauthenticated):
            tocsin.oncall.check_feed_token(secret, target, name)
    assert [f.id for f in tocsin.oncall.feeds()] == [feed.id]
    assert tocsin.oncall.remove_feed(feed.id) == feed
    with pytest.raises(Unauthenticated):
        tocsin.oncall.check_feed_token(secret, "schedule", "primary")
    with pytest.raises(NotFound, match="no person zed"):
        tocsin.oncall.add_feed("person", "zed", "alice")
    with pytest.raises(InvalidInput, match="not 'team'"):
        tocsin.oncall.add_feed("team", "x", "alice")


def test_the_calendar_of_a_person_has_their_shifts_on_every_schedule(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    tocsin.oncall.add_override("business", "ann", MON_0800 + 7 * H, MON_0800 + 9 * H, "alice")
    parsed = icalendar.Calendar.from_ical(tocsin.oncall.calendar("person", "ann"))
    events = parsed.walk("VEVENT")
    summaries = {str(e["SUMMARY"]) for e in events}
    assert summaries == {"On call: Ann Example (primary)", "On call: Ann Example (business)"}
    starts = [e.decoded("DTSTART") for e in events]
    assert min(starts) >= clock.now() - timedelta(days=14)
    assert max(e.decoded("DTEND") for e in events) <= clock.now() + timedelta(days=90)
    covering = [e for e in events if "business" in str(e["SUMMARY"])]
    assert "Covering for Cid Nocontact" in str(covering[0]["DESCRIPTION"])
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_it_answers_the_paging_works_directory_questions(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    assert tocsin.oncall.on_call("primary", clock.now()) == "ann"
    tocsin.oncall.add_override("primary", "bob", clock.now(), clock.now() + H, "alice")
    assert tocsin.oncall.on_call("primary", clock.now()) == "bob"
    assert tocsin.oncall.on_call("business", clock.now()) is None
    assert tocsin.oncall.on_call("nope", clock.now()) is None
    assert [(after, m.kind.value) for after, m in tocsin.oncall.reach("ann")] == [
        (timedelta(0), "email"), (timedelta(0), "sms"), (timedelta(0), "voice"),
    ]  # fmt: skip
    assert tocsin.oncall.reach("cid") == []
