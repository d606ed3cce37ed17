"""Escalation and pages on a real database (SQLite and PostgreSQL), on an injected clock:
both runbooks' paths, acknowledge and resolve stop them, a raised severity re-evaluates,
a breach fires the next step at once, a failing method falls back, a page is sent once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.support.paging import paging_yaml
from tocsin.app.clock import ManualClock
from tocsin.app.comms import Comms
from tocsin.app.delivery import Courier
from tocsin.app.paging import Paging
from tocsin.bootstrap import Tocsin, build
from tocsin.core.escalation import Policy, Step, Target, TargetKind, first_seed_policy
from tocsin.core.notify import (
    ContactKind,
    ContactMethod,
    Delivery,
    DeliveryStatus,
    Notification,
)
from tocsin.core.scope import Impact, Scope
from tocsin.core.timeline import EntryKind
from tocsin.store import database
from tocsin.store.uow import SqlUnitOfWork

SMS = ContactMethod(ContactKind.SMS, "+4915100000001", "mobile")
NTFY = ContactMethod(ContactKind.NTFY, "alice-pager")
VOICE = ContactMethod(ContactKind.VOICE, "+4915100000001", "mobile")


class Directory:
    def __init__(self) -> None:
        self.on_duty = {"primary": "alice"}
        self.plans: dict[str, list[tuple[timedelta, ContactMethod]]] = {
            "alice": [(timedelta(0), NTFY), (timedelta(minutes=5), VOICE)],
            "engineering-lead": [(timedelta(0), SMS)],
            "cto": [(timedelta(0), SMS)],
            "ceo": [(timedelta(0), SMS)],
        }

    def on_call(self, schedule: str, at: datetime, uow: object = None) -> str | None:
        return self.on_duty.get(schedule)

    def reach(self, person: str) -> list[tuple[timedelta, ContactMethod]]:
        return self.plans.get(person, [])

    def channel(self, name: str) -> ContactMethod | None:
        return ContactMethod(ContactKind.SLACK, "C0TEAM") if name == "team" else None


class ZeroJitter:
    """The shortest backoff each time: tests move the clock, they do not wait."""

    def random(self) -> float:
        return 0.0


class Recorder:
    """A notifier for one kind: remembers what it was asked to send, answers as scripted."""

    def __init__(self, kind: ContactKind, sent: list[tuple[str, str, str]]) -> None:
        self.kind = kind
        self.sent = sent
        self.answers: list[DeliveryStatus] = []
        self.threads: list[str | None] = []

    def send(self, to: ContactMethod, notification: Notification) -> Delivery:
        status = self.answers.pop(0) if self.answers else DeliveryStatus.SENT
        self.sent.append((self.kind.value, to.address, notification.title))
        self.threads.append(notification.thread)
        remote = f"{self.kind.value}-{len(self.sent)}"
        return Delivery(status, "" if status is DeliveryStatus.SENT else "scripted", remote)


@pytest.fixture
def sent() -> list[tuple[str, str, str]]:
    return []


@pytest.fixture
def notifiers(sent: list[tuple[str, str, str]]) -> dict[ContactKind, Recorder]:
    return {kind: Recorder(kind, sent) for kind in ContactKind}


def wire(
    tocsin: Tocsin,
    clock: ManualClock,
    notifiers: dict[ContactKind, Recorder],
    policy_for: Callable[[Sequence[str], str], Policy | None],
) -> Directory:
    directory = Directory()
    courier = Courier(notifiers, clock, ZeroJitter())
    paging = Paging(clock, tocsin.incidents.severities, policy_for, directory, courier)
    paging.install(tocsin.handlers, tocsin.job_runner.handlers, replace=True)  # fakes
    return directory


def wire_comms(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], channels: list[str]
) -> None:
    """Communication through the fakes: every incident posts to `channels`."""
    courier = Courier(notifiers, clock, ZeroJitter())
    comms = Comms(clock, tocsin.incidents.severities, lambda s, sev: channels, Directory(), courier)
    comms.install(tocsin.handlers, tocsin.job_runner.handlers, replace=True)


def run(tocsin: Tocsin, clock: ManualClock, minutes: float = 0) -> None:
    """Move the clock, then run every job due by then (as a worker would)."""
    clock.advance(timedelta(minutes=minutes))
    while tocsin.job_runner.run_due("test-worker"):
        pass


def steps(tocsin: Tocsin, ref: str) -> list[str]:
    return [
        e.text
        for e in tocsin.incidents.timeline(ref)
        if e.kind is EntryKind.ESCALATION and e.data["event"] != "started"
    ]


def first_seed(services: Sequence[str], severity: str) -> Policy:
    return first_seed_policy("P1")


def test_the_first_runbook_escalates_on_call_lead_cto_ceo(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], sent: list
) -> None:
    wire(tocsin, clock, notifiers, first_seed)
    impact = Impact(customer_impact=True)
    ref = tocsin.incidents.declare("bot", "API down", "P1", Scope(("api",)), impact).incident.id
    run(tocsin, clock)
    assert sent == [("ntfy", "alice-pager", "P1 INC-1: API down")]
    for _ in range(6):  # one minute at a time, up to 60 minutes and past
        run(tocsin, clock, 11)
    assert [s[:2] for s in sent] == [
        ("ntfy", "alice-pager"),
        ("voice", "+4915100000001"),  # alice's rule: a call after 5 minutes
        ("sms", "+4915100000001"),  # the lead at 15 (the same number in this fake)
        ("sms", "+4915100000001"),  # the CTO at 30
        ("sms", "+4915100000001"),  # the CEO at 60
    ]
    # P1's response target (5m) passed unacknowledged: the lead was paged then, not at 15.
    assert steps(tocsin, ref) == [
        "Step 1: notifying alice",
        "Response target 5m passed unacknowledged",
        "Step 2: notifying engineering-lead",
        "Step 3: notifying cto",
        "Step 4: notifying ceo",
    ]
    step2 = next(e for e in tocsin.incidents.timeline(ref) if e.text.startswith("Step 2"))
    declared = tocsin.incidents.get(ref).declared_at
    assert step2.at - declared < timedelta(minutes=15)
    pages = [e for e in tocsin.incidents.timeline(ref) if e.kind is EntryKind.PAGE]
    assert [e.data["status"] for e in pages].count("sent") == 5


def test_a_first_step_due_at_once_fires_in_the_declarations_own_transaction(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], sent: list
) -> None:
    """No step job to claim first: the declaration commits the step and its page jobs."""
    wire(tocsin, clock, notifiers, first_seed)
    ref = tocsin.incidents.declare("bot", "API down", "P1", Scope(("api",))).incident.id
    assert steps(tocsin, ref) == ["Step 1: notifying alice"]  # no job has run yet
    keys = sorted(j.key or "" for j in tocsin.jobs.find((), 100) if "remind" not in j.kind)
    assert keys == [
        "breach:1:3",
        "esc:1:3:0:1",  # the next step, at 15 minutes
        "page:1:3:0:0:alice:0",  # ntfy now
        "page:1:3:0:0:alice:1",  # the call in 5 minutes
    ]
    assert tocsin.job_runner.run_due("w") == 1  # the page due now, and nothing else
    assert sent == [("ntfy", "alice-pager", "P1 INC-1: API down")]


def test_acknowledge_stops_and_a_p2_never_reaches_the_cto(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], sent: list
) -> None:
    wire(tocsin, clock, notifiers, first_seed)
    tocsin.incidents.declare("bot", "Slow dashboard", "P2", Scope(("web",)))
    run(tocsin, clock)
    run(tocsin, clock, 16)  # the lead is paged at 15
    tocsin.incidents.acknowledge("INC-1", "alice")
    before = list(sent)
    run(tocsin, clock, 120)
    assert sent == before  # nothing more after the acknowledgement
    assert [s[0] for s in sent] == ["ntfy", "voice", "sms"]
    assert steps(tocsin, "INC-1")[-1] == "Escalation stopped: acknowledged by alice"


def test_raising_the_severity_re_evaluates_with_the_new_policy(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], sent: list
) -> None:
    wire(tocsin, clock, notifiers, lambda s, sev: first_seed_policy("P1") if sev == "P1" else None)
    tocsin.incidents.declare("bot", "Errors creeping up", "P3", Scope(("api",)))
    run(tocsin, clock, 30)
    assert sent == []  # P3 pages nobody here
    tocsin.incidents.change_severity("INC-1", "bob", "P1", "checkout failing")
    run(tocsin, clock)
    assert sent == [("ntfy", "alice-pager", "P1 INC-1: Errors creeping up")]


def test_a_method_that_fails_for_good_falls_back_to_the_next_at_once(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], sent: list
) -> None:
    wire(tocsin, clock, notifiers, first_seed)
    notifiers[ContactKind.NTFY].answers = [DeliveryStatus.FAILED]
    tocsin.incidents.declare("bot", "DB down", "P1", Scope(("db",)))
    run(tocsin, clock)
    assert [s[0] for s in sent] == ["ntfy", "voice"]  # the call now, not in 5 minutes
    run(tocsin, clock, 6)
    assert [s[0] for s in sent].count("voice") == 1  # and not a second time at 5


def test_a_retry_answer_is_retried_then_delivered_once(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], sent: list
) -> None:
    wire(tocsin, clock, notifiers, first_seed)
    notifiers[ContactKind.NTFY].answers = [DeliveryStatus.RETRY, DeliveryStatus.RETRY]
    tocsin.incidents.declare("bot", "DB down", "P1", Scope(("db",)))
    run(tocsin, clock)
    run(tocsin, clock, 0.1)
    run(tocsin, clock, 0.2)
    assert [s[0] for s in sent] == ["ntfy", "ntfy", "ntfy"]
    pages = [e.data["status"] for e in tocsin.incidents.timeline("INC-1") if e.kind.value == "page"]
    assert pages == ["sending", "retry", "sending", "retry", "sending", "sent"]


def test_a_page_whose_worker_died_mid_send_is_not_sent_again(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], sent: list
) -> None:
    """The attempt marker is committed before the send: a job run again after its lease
    (the worker died before marking it done) finds it and sends nothing."""
    wire(tocsin, clock, notifiers, first_seed)
    tocsin.incidents.declare("bot", "DB down", "P1", Scope(("db",)))
    run(tocsin, clock)  # the page due now
    assert sent == [("ntfy", "alice-pager", "P1 INC-1: DB down")]
    page = next(j for j in tocsin.jobs.find((), 100) if j.kind == "page.send")
    handler = tocsin.job_runner.handlers.get("page.send")
    assert handler is not None
    handler(page, lambda: SqlUnitOfWork(tocsin.engine))  # run again, as after a lease
    assert len(sent) == 1


def test_messages_go_to_the_team_channel_updates_in_the_announcement_thread(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], sent: list
) -> None:
    wire_comms(tocsin, clock, notifiers, ["team"])
    tocsin.incidents.declare("bot", "Checkout failing", "P1", Scope(("api",)), commander="alice")
    run(tocsin, clock)
    tocsin.incidents.post_update("INC-1", "alice", "Rolling back the deploy")
    run(tocsin, clock, 0.05)  # Slack takes about one message a second per channel
    tocsin.incidents.resolve("INC-1", "alice", "bad deploy", "rolled back")
    run(tocsin, clock, 0.05)
    slack = [s for s in sent if s[0] == "slack"]
    assert [s[1] for s in slack] == ["C0TEAM", "C0TEAM", "C0TEAM"]
    threads = notifiers[ContactKind.SLACK].threads
    assert threads[0] is None  # the announcement starts the thread
    assert threads[1:] == ["slack-1", "slack-1"]  # the update and RESOLVED reply in it


def test_the_commander_is_reminded_to_post_an_update_until_one_is_posted(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], sent: list
) -> None:
    wire_comms(tocsin, clock, notifiers, [])
    every = tocsin.incidents.severities.get("P1").update_every
    assert every is not None
    tocsin.incidents.declare("bot", "Checkout failing", "P1", Scope(("api",)), commander="alice")
    run(tocsin, clock, every.total_seconds() / 60 + 0.5)
    run(tocsin, clock, every.total_seconds() / 60)
    reminders = [e for e in tocsin.incidents.timeline("INC-1") if "reminder" in e.data]
    assert len(reminders) == 2
    assert reminders[0].text == "Reminder: post a status update on INC-1 (alice)"
    assert sent[0][:2] == ("ntfy", "alice-pager")  # alice's first method
    tocsin.incidents.post_update("INC-1", "alice", "Still rolling back")
    run(tocsin, clock, every.total_seconds() / 60 * 3)
    after = [e for e in tocsin.incidents.timeline("INC-1") if "reminder" in e.data]
    assert len(after) == 3  # one more, a cadence after the update; then none while it runs


def test_a_declaration_pages_on_its_own_connection_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first step fires inside the declaring transaction: who is on call is read on
    that transaction's connection. A second connection taken meanwhile (the on-call
    service's own read) made 100 concurrent declarations on PostgreSQL wait out the pool's
    30 s timeout, each holding one connection while waiting for another."""
    monkeypatch.setattr(database, "POOL", {"pool_size": 1, "max_overflow": 0, "pool_timeout": 1})
    (tmp_path / "tocsin.yaml").write_text(paging_yaml("http://127.0.0.1:9"), encoding="utf-8")
    env = {"TOCSIN_CONFIG": str(tmp_path / "tocsin.yaml"),
           "TOCSIN_DATABASE_URL": f"sqlite:///{tmp_path / 'tocsin.db'}"}  # fmt: skip
    tocsin = build(env=env, cwd=tmp_path)
    try:
        ref = tocsin.incidents.declare("bot", "API down", "P1").incident.id
        assert steps(tocsin, ref) == ["Step 1: notifying ann, bob"]
    finally:
        tocsin.engine.dispose()


def test_a_breach_at_the_minute_a_round_is_due_fires_that_round_only(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], sent: list
) -> None:
    """P1's 5-minute target passes as round 2 falls due: round 2 goes out then, round 3 at
    its own time. Before, the breach skipped the step due that very minute and brought the
    one after it forward: rounds 2 and 3 at once."""
    every_five = Policy(
        "every-five",
        (Step(timedelta(0), (Target(TargetKind.SCHEDULE, "primary"),)),),
        repeat=2,
        repeat_gap=timedelta(minutes=5),
    )
    directory = wire(tocsin, clock, notifiers, lambda s, sev: every_five)
    directory.plans["alice"] = [(timedelta(0), NTFY)]
    tocsin.incidents.declare("bot", "DB down", "P1")
    pages_at = []
    for minute in range(12):
        run(tocsin, clock, 0 if minute == 0 else 1)
        pages_at += [minute] * (len(sent) - len(pages_at))
    assert pages_at == [0, 5, 10]


def test_a_reminder_run_again_after_its_worker_died_is_on_the_timeline_once(
    tocsin: Tocsin, clock: ManualClock, notifiers: dict[ContactKind, Recorder], sent: list
) -> None:
    """The reminder commits its entry, then pushes: a worker that dies between leaves the
    job to run again after its lease. The push goes again (at least once); the timeline
    keeps one reminder, not two."""
    wire_comms(tocsin, clock, notifiers, [])
    every = tocsin.incidents.severities.get("P1").update_every
    assert every is not None
    tocsin.incidents.declare("bot", "Checkout failing", "P1", Scope(("api",)), commander="alice")
    clock.advance(every)
    [job] = [j for j in tocsin.jobs.find((), 100) if j.kind == "comms.remind"]
    handler = tocsin.job_runner.handlers.get("comms.remind")
    assert handler is not None
    handler(job, lambda: SqlUnitOfWork(tocsin.engine))
    handler(job, lambda: SqlUnitOfWork(tocsin.engine))  # again, as after a lease
    reminders = [e for e in tocsin.incidents.timeline("INC-1") if "reminder" in e.data]
    assert len(reminders) == 1
    assert [s[:2] for s in sent].count(("ntfy", "alice-pager")) == 2
