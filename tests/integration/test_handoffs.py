"""Hand-off notifications on an injected clock and the job runner: the incoming (and, when
asked, the outgoing) person is told once per hand-off, `handoff_lead` ahead, through the
methods of their first notification rule; an override added at run time changes the next
hand-off; the wall clock's changes give 23- and 25-hour shifts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FAST_HASHER
from tocsin.app.clock import ManualClock
from tocsin.app.delivery import Courier
from tocsin.app.handoffs import PLAN_JOB
from tocsin.app.notices import NoticeSender
from tocsin.bootstrap import Tocsin, build
from tocsin.config import render_preset
from tocsin.core.notify import ContactKind, ContactMethod, Delivery, DeliveryStatus, Notification

CONFIG = """\
people:
  - handle: ann
    name: Ann Example
    email: ann@example.com
    contact_methods: [{kind: ntfy, address: ann-pages}]
    notification_rules:
      - {after: 0m, methods: [ntfy]}
      - {after: 5m, methods: [email]}
  - {handle: bob, name: Bob Example, contact_methods: [{kind: ntfy, address: bob-pages}]}
  - {handle: cid, name: Cid Example, contact_methods: [{kind: ntfy, address: cid-pages}]}
schedules:
  - name: primary
    time_zone: Europe/Berlin
    notify_handoff: true
    handoff_lead: 10m
    notify_outgoing: true
    layers:
      - {people: [ann, bob], rotation: daily, handoff: "09:00", start: 2026-01-01}
  - name: quiet                      # no notify_handoff: nobody is told
    time_zone: UTC
    layers:
      - {people: [cid, bob], rotation: daily, handoff: "06:00", start: 2026-01-01}
"""


class Recorder:
    """Every notifier kind: what was sent, to where, and when (the test clock)."""

    def __init__(self, kind: ContactKind, clock: ManualClock, sent: list) -> None:
        self.kind, self._clock, self.sent = kind, clock, sent

    def send(self, to: ContactMethod, n: Notification) -> Delivery:
        self.sent.append((self._clock.now(), to.kind.value, to.address, n.title, n.text))
        return Delivery(DeliveryStatus.SENT, remote_id=f"r{len(self.sent)}")


class ZeroJitter:
    def random(self) -> float:
        return 0.0


@pytest.fixture
def sent() -> list:
    return []


@pytest.fixture
def tocsin(tmp_path: Path, database_url: str, clock: ManualClock, sent: list) -> Iterator[Tocsin]:
    """On SQLite and PostgreSQL (the notices table, keys and jobs on both)."""
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4") + CONFIG, encoding="utf-8")
    env = {"TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": database_url}
    wired = build(env=env, cwd=tmp_path, clock=clock, hasher=FAST_HASHER)
    recorders = {kind: Recorder(kind, clock, sent) for kind in ContactKind}
    courier = Courier(recorders, clock, ZeroJitter())
    NoticeSender(clock, courier).install(wired.job_runner.handlers, replace=True)
    wired.jobs.seed(wired.recurring())
    yield wired
    wired.engine.dispose()


def walk(tocsin: Tocsin, clock: ManualClock, until: datetime, step: timedelta) -> None:
    """Run what is due, then move the clock a step, until `until`: a worker's day."""
    while True:
        while tocsin.job_runner.run_due("test"):
            pass
        if clock.now() >= until:
            return
        clock.advance(min(step, until - clock.now()))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_each_hand_off_is_told_once_ahead_to_the_incoming_and_the_outgoing_person(
    tocsin: Tocsin, clock: ManualClock, sent: list
) -> None:
    assert [c.kind for c in tocsin.recurring()].count(PLAN_JOB) == 1
    # 03:00 UTC, Sun 22 Nov; ann is on until 09:00 Berlin (08:00 UTC), then bob.
    walk(tocsin, clock, utc(2026, 11, 22, 8, 30), timedelta(minutes=5))
    assert (
        sorted(sent)
        == [
            (
                utc(2026, 11, 22, 7, 50),  # 10 minutes ahead
                "ntfy",
                "bob-pages",
                "You are on call for primary",
                "You are on call for primary from Sun 2026-11-22 09:00 CET to "
                "Mon 2026-11-23 09:00 CET (Europe/Berlin).",
            ),
            (
                utc(2026, 11, 22, 7, 50),
                "ntfy",
                "ann-pages",  # her first rule's method only; the e-mail is for pages that wait
                "Your shift on primary ends",
                "Your on-call shift for primary ends at Sun 2026-11-22 09:00 CET; "
                "Bob Example takes over.",
            ),
        ][::-1]
    )  # sorted: ann-pages before bob-pages
    # Planning again (every 5 minutes, and a second seed) stores nothing new.
    tocsin.jobs.seed(tocsin.recurring())
    walk(tocsin, clock, utc(2026, 11, 23, 8, 30), timedelta(minutes=20))
    assert len(sent) == 4  # Monday's hand-off back to ann: two more, and no repeats
    assert [s[2] for s in sent[2:]].count("ann-pages") == 1
    assert all("quiet" not in s[3] for s in sent)


def test_an_override_added_at_run_time_changes_the_next_hand_off(
    tocsin: Tocsin, clock: ManualClock, sent: list
) -> None:
    walk(tocsin, clock, utc(2026, 11, 22, 7, 45), timedelta(minutes=5))
    assert sent == []
    planned = [j.payload for j in tocsin.jobs.find((), 100) if j.kind == "handoff.notify"]
    assert {(p["person"], p["role"]) for p in planned} == {("bob", "incoming"), ("ann", "outgoing")}
    tocsin.oncall.add_override(
        "primary", "cid", utc(2026, 11, 22, 8), utc(2026, 11, 22, 11), "ann", "swap"
    )
    walk(tocsin, clock, utc(2026, 11, 22, 11, 30), timedelta(minutes=5))
    told = [(at, address, text) for at, _, address, _, text in sent]
    assert (
        utc(2026, 11, 22, 7, 50),
        "cid-pages",
        "You are on call for primary from Sun 2026-11-22 09:00 CET to "
        "Sun 2026-11-22 12:00 CET (Europe/Berlin).",
    ) in told
    assert (
        utc(2026, 11, 22, 10, 50),
        "bob-pages",
        "You are on call for primary from Sun 2026-11-22 12:00 CET to "
        "Mon 2026-11-23 09:00 CET (Europe/Berlin).",
    ) in told
    assert not any(a == "bob-pages" and at < utc(2026, 11, 22, 10) for at, a, _ in told)
    outgoing = [text for _, a, text in told if "ends" in text]
    assert outgoing == [
        "Your on-call shift for primary ends at Sun 2026-11-22 09:00 CET; Cid Example takes over.",
        "Your on-call shift for primary ends at Sun 2026-11-22 12:00 CET; Bob Example takes over.",
    ]


def test_a_shift_across_the_october_change_is_twenty_five_hours_as_the_wall_clock_says(
    tocsin: Tocsin, clock: ManualClock, sent: list
) -> None:
    clock.set(utc(2026, 10, 24, 6))  # Sat 24 Oct 08:00 CEST; Berlin falls back on Sunday
    tocsin.jobs.seed(tocsin.recurring())
    walk(tocsin, clock, utc(2026, 10, 24, 7, 55), timedelta(minutes=5))
    [(at, _, _, _, text)] = [s for s in sent if "You are on call" in s[3]]
    assert at == utc(2026, 10, 24, 6, 50)  # 08:50 CEST
    assert text.endswith("from Sat 2026-10-24 09:00 CEST to Sun 2026-10-25 09:00 CET "
                         "(Europe/Berlin).")  # fmt: skip
    [who] = tocsin.oncall.who("primary", utc(2026, 10, 24, 12))
    assert who.current.until is not None
    assert who.current.since is not None
    assert who.current.until - who.current.since == timedelta(hours=25)


def test_a_notice_whose_workers_were_down_past_the_hand_off_is_not_sent_late(
    tocsin: Tocsin, clock: ManualClock, sent: list
) -> None:
    walk(tocsin, clock, utc(2026, 11, 22, 7, 45), timedelta(minutes=5))  # planned for 07:50
    clock.set(utc(2026, 11, 22, 9, 30))  # no worker from 07:45 until 90 minutes after 08:00
    walk(tocsin, clock, utc(2026, 11, 22, 9, 30), timedelta(minutes=5))
    assert sent == []
