"""Post-mortem reminders through the job runner on an injected clock: before the due date and
after it, to the author else the commander, each exactly once; none once published or after
a reopen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.test_paging import Recorder, ZeroJitter
from tocsin.app.clock import ManualClock
from tocsin.app.delivery import Courier
from tocsin.app.postmortem_reminders import PostmortemReminders, ReminderPolicy, reminder_times
from tocsin.bootstrap import Tocsin
from tocsin.core.notify import ContactKind, ContactMethod
from tocsin.store.uow import SqlUnitOfWork

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
T = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


class People:
    def on_call(self, schedule: str, at: datetime, uow: object = None) -> str | None:
        return None

    def reach(self, person: str) -> list[tuple[timedelta, ContactMethod]]:
        return [(timedelta(0), ContactMethod(ContactKind.EMAIL, f"{person}@example.com"))]

    def channel(self, name: str) -> ContactMethod | None:
        return None


def wire(tocsin: Tocsin, clock: ManualClock) -> list[tuple[str, str, str]]:
    sent: list[tuple[str, str, str]] = []
    notifiers = {kind: Recorder(kind, sent) for kind in ContactKind}
    reminders = PostmortemReminders(
        clock, ReminderPolicy(), People(), Courier(notifiers, clock, ZeroJitter())
    )
    reminders.install(tocsin.handlers, tocsin.job_runner.handlers, replace=True)
    return sent


def run(tocsin: Tocsin, clock: ManualClock, hours: float) -> None:
    clock.advance(timedelta(hours=hours))
    while tocsin.job_runner.run_due("test-worker"):
        pass


@SQLITE
def test_before_and_after_each_once_then_silence_when_published(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    sent = wire(tocsin, clock)
    ref = tocsin.incidents.declare("ann", "API down", "P1", commander="alice").incident.id
    tocsin.incidents.resolve(ref, "ann", "a lock", "batches")
    run(tocsin, clock, 23.9)
    assert sent == []
    run(tocsin, clock, 0.1)  # 24 h before the due date
    assert [(to, title) for _, to, title in sent] == [
        ("alice@example.com", "Post-mortem due: INC-1")
    ]
    tocsin.postmortems.draft(ref, "ann", author="bob")
    handler = tocsin.job_runner.handlers.get("postmortem.remind")
    assert handler is not None
    for job in tocsin.jobs.find():  # a worker that died after sending runs the job again
        if job.kind == "postmortem.remind" and job.status.value == "done":
            handler(job, lambda: SqlUnitOfWork(tocsin.engine))
    assert len(sent) == 1
    run(tocsin, clock, 24)  # due: overdue now, to the author
    assert sent[-1][1:] == ("bob@example.com", "Post-mortem overdue: INC-1")
    assert [s.incident for s in tocsin.postmortems.overview(overdue=True)] == []  # not yet past
    run(tocsin, clock, 1)
    assert [s.incident for s in tocsin.postmortems.overview(overdue=True)] == [1]
    tocsin.postmortems.move(ref, "review", "bob")
    tocsin.postmortems.move(ref, "publish", "carol")
    run(tocsin, clock, 100)
    assert len(sent) == 2
    pages = [e for e in tocsin.incidents.timeline(ref) if "postmortem_reminder" in e.data]
    assert [e.text for e in pages] == [
        "Post-mortem reminder (before) to alice",
        "Post-mortem reminder (after1) to bob",
    ]


@SQLITE
def test_a_reopened_incident_is_not_reminded(tocsin: Tocsin, clock: ManualClock) -> None:
    sent = wire(tocsin, clock)
    ref = tocsin.incidents.declare("ann", "API down", "P2", commander="alice").incident.id
    tocsin.incidents.resolve(ref, "ann")
    tocsin.incidents.reopen(ref, "ann", "back")
    run(tocsin, clock, 200)
    assert sent == []
    minor = tocsin.incidents.declare("ann", "Typo", "P4").incident.id
    tocsin.incidents.resolve(minor, "ann")
    assert not [j for j in tocsin.jobs.find() if j.incident == 2]  # P4: nothing due


def test_reminder_times() -> None:
    due = T + timedelta(hours=48)
    got = reminder_times(T, due, ReminderPolicy(max_after=2))
    assert got == [
        ("before", T + timedelta(hours=24)),
        ("after1", due),
        ("after2", due + timedelta(hours=24)),
    ]
    late = reminder_times(due - timedelta(hours=1), due, ReminderPolicy(max_after=1))
    assert late == [("after1", due)]  # the "before" moment had passed at resolve
