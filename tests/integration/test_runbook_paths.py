"""Both runbooks' escalation paths end to end, as `tocsin init` writes them (the preset's
policy, default_policy uncommented), on an injected clock, across the autumn clock changes
of two time zones: Europe/Berlin (last Sunday of October) and America/New_York (first
Sunday of November). Schedules hand off at 09:00 local time, so the shift across each change
lasts 25 hours, and each page goes to whoever is on call at the instant its step fires. What
is checked is what the far sides (local Slack, Telegram, Twilio, ntfy doubles and aiosmtpd)
received, minute by minute, not Tocsin's own records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FAST_HASHER
from tests.support.peers import Peers, close_notifiers, running_peers
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin, build
from tocsin.config import render_preset
from tocsin.core.scope import Impact, Scope

BERLIN = """\
people:
  - handle: ann
    name: Ann Berlin
    phone: "+49 170 1111111"
    contact_methods: [{kind: ntfy, address: ann-pages, label: push}]
    notification_rules: [{after: 0m, methods: [push]}, {after: 5m, methods: [voice]}]
  - {handle: bob, name: Bob Berlin, contact_methods: [{kind: ntfy, address: bob-pages}]}
  - handle: engineering-lead
    name: Lena Lead
    contact_methods: [{kind: sms, address: "+491702222222"}]
  - {handle: cto, name: Carl CTO, email: cto@example.com}
  - {handle: ceo, name: Cleo CEO, telegram: "42"}
schedules:
  - name: oncall-engineer
    time_zone: Europe/Berlin
    layers:
      - {people: [ann, bob], rotation: daily, handoff: "09:00", start: 2026-10-01}
"""

NEW_YORK = """\
people:
  - {handle: cat, name: Cat NewYork, slack: U0CAT1234}
  - {handle: dan, name: Dan NewYork, contact_methods: [{kind: ntfy, address: dan-pages}]}
schedules:
  - name: on-call
    time_zone: America/New_York
    layers:
      - {people: [cat, dan], rotation: daily, handoff: "09:00", start: 2026-10-01}
channels:
  - {name: incidents, type: slack, channel: C0TEAM, token_env: PEER_SLACK_TOKEN}
"""


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def peers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Peers]:
    with running_peers(tmp_path, {"U0CAT1234", "C0TEAM"}, {"42"}) as found:
        monkeypatch.setenv("SSL_CERT_FILE", str(found.cert))
        yield found


def wired(tmp_path: Path, peers: Peers, clock: ManualClock, text: str) -> Tocsin:
    config = tmp_path / "tocsin.yaml"
    config.write_text(text + peers.notifiers_yaml(), encoding="utf-8")
    env = {
        **peers.env(),
        "TOCSIN_CONFIG": str(config),
        "TOCSIN_DATABASE_URL": f"sqlite:///{tmp_path / 'tocsin.db'}",
    }
    return build(env=env, cwd=tmp_path, clock=clock, hasher=FAST_HASHER)


def uncomment(text: str, *lines: str) -> str:
    for line in lines:
        assert f"#{line}" in text
        text = text.replace(f"#{line}", line)
    return text


class Minutes:
    """Run the worker minute by minute and note, per minute since the start, what each far
    side received in that minute (as the servers logged it)."""

    def __init__(self, tocsin: Tocsin, clock: ManualClock, peers: Peers) -> None:
        self.tocsin, self.clock, self.peers = tocsin, clock, peers
        self.start = clock.now()
        self.seen: Counter[tuple[str, str]] = Counter(peers.deliveries())  # from now on
        self.log: list[tuple[int, str, str]] = []

    def run(self, until: int) -> list[tuple[int, str, str]]:
        """Up to and including minute `until`; returns everything noted so far."""
        while True:
            while self.tocsin.job_runner.run_due("worker"):
                pass
            minute = round((self.clock.now() - self.start) / timedelta(minutes=1))
            now = Counter(self.peers.deliveries())
            self.log += [(minute, kind, to) for kind, to in sorted((now - self.seen).elements())]
            self.seen = now
            if minute >= until:
                return self.log
            self.clock.advance(timedelta(minutes=1))


def test_the_first_runbooks_path_across_berlins_october_change(
    tmp_path: Path, peers: Peers, clock: ManualClock
) -> None:
    """On call -> engineering lead (brought forward by P1's 5-minute target) -> CTO at 30 for
    P1 -> CEO at 60 for P1 with customer impact. Bob's Saturday shift runs 25 hours, to
    Sunday 09:00 CET (08:00 UTC): a 24-hour clock would have handed to ann at 07:00 UTC."""
    text = uncomment(render_preset("p1-p4"), "  default_policy: first-seed")
    tocsin = wired(tmp_path, peers, clock, text + BERLIN)
    try:
        [who] = tocsin.oncall.who("oncall-engineer", utc(2026, 10, 25, 7, 30))
        assert (who.current.person, who.current.since, who.current.until) == (
            "bob", utc(2026, 10, 24, 7), utc(2026, 10, 25, 8))  # fmt: skip
        [spring] = tocsin.oncall.who("oncall-engineer", utc(2027, 3, 28, 6))
        assert spring.current.until - spring.current.since == timedelta(hours=23)  # type: ignore[operator]
        clock.set(utc(2026, 10, 25, 7, 30))  # 08:30 CET, after the clocks went back
        impact = Impact(customer_impact=True)
        tocsin.incidents.declare("alertmanager", "Checkout down", "P1", Scope(("api",)), impact)
        assert Minutes(tocsin, clock, peers).run(61) == [
            (0, "ntfy", "bob-pages"),  # on call at that instant: bob, not ann
            (5, "sms", "+491702222222"),  # the 5-minute target passed: the lead at once
            (30, "email", "cto@example.com"),  # P1
            (60, "telegram", "42"),  # P1 with customer impact
        ]
        # After the hand-off (09:00 CET = 08:00 UTC), the on-call page goes to ann, whose
        # rule calls her after 5 minutes; an acknowledgement stops the rest.
        clock.set(utc(2026, 10, 25, 8, 1))
        ref = tocsin.incidents.declare("alertmanager", "Search slow", "P2", Scope(("web",)))
        minutes = Minutes(tocsin, clock, peers)
        assert minutes.run(6) == [(0, "ntfy", "ann-pages"), (5, "voice", "+491701111111")]
        tocsin.incidents.acknowledge(ref.incident.id, "ann")
        assert len(minutes.run(59)) == 2  # no lead at 15: acknowledged
        # At 60, P2's update cadence: the acknowledger is reminded to post an update.
        assert minutes.run(60)[2:] == [(60, "ntfy", "ann-pages")]
        assert "Reminder: post a status update on INC-2" in peers.ntfy.messages[-1]["title"]
        texts = [e.text for e in tocsin.incidents.timeline(ref.incident.id)]
        assert "Escalation stopped: acknowledged by ann" in texts
    finally:
        close_notifiers(tocsin)
        tocsin.engine.dispose()


def test_the_second_runbooks_path_across_new_yorks_november_change(
    tmp_path: Path, peers: Peers, clock: ManualClock
) -> None:
    """The on-call person who owns the alarm and the team channel, every 15 minutes, three
    rounds. Cat's Saturday shift runs 25 hours, to Sunday 09:00 EST (14:00 UTC): round 1
    (08:50 EST) pages cat, rounds 2 and 3 (after 09:00) page dan."""
    text = uncomment(
        render_preset("sev1-sev3"),
        "  default_policy: second-seed",
        "  announce:",
        "    - {channels: [incidents]}",
    )
    tocsin = wired(tmp_path, peers, clock, text + NEW_YORK)
    try:
        [who] = tocsin.oncall.who("on-call", utc(2026, 11, 1, 13, 50))
        assert (who.current.person, who.current.since, who.current.until) == (
            "cat", utc(2026, 10, 31, 13), utc(2026, 11, 1, 14))  # fmt: skip
        [spring] = tocsin.oncall.who("on-call", utc(2027, 3, 14, 12))
        assert spring.current.until - spring.current.since == timedelta(hours=23)  # type: ignore[operator]
        clock.set(utc(2026, 11, 1, 13, 50))  # 08:50 EST, after the clocks went back
        tocsin.incidents.declare("cloudwatch", "Orders not saving", "SEV-1", Scope(("api",)))
        log = Minutes(tocsin, clock, peers).run(45)
        pages = [(m, kind, to) for m, kind, to in log if to != "C0TEAM"]
        assert pages == [
            (0, "slack", "U0CAT1234"),  # round 1: cat, on call at 08:50 EST
            (15, "ntfy", "dan-pages"),  # round 2 at 09:05 EST: dan
            (30, "ntfy", "dan-pages"),  # round 3
        ]
        team = [m for m, _, to in log if to == "C0TEAM"]
        # The announcement and round 1 (a second apart, Slack's pace per channel), then
        # rounds 2 and 3.
        assert team == [0, 1, 15, 30]
        posts = [r.json()["text"] for r in peers.slack.posts() if r.json()["channel"] == "C0TEAM"]
        assert "Orders not saving" in posts[0]
    finally:
        close_notifiers(tocsin)
        tocsin.engine.dispose()
