"""The two races the chaos test (tests/e2e/test_paging_chaos.py) can only hit by chance,
made to happen on purpose, on a real database and an injected clock:

1. A worker dies after committing a page's attempt marker and before the notifier sent
   anything. The job runs again after its lease and finds the marker. Before the fix it
   sent nothing, ever: the page was lost. Now a channel whose receiver drops repeats of the
   idempotency key (webhooks: the CloudEvents id) sends again with the same key; any other
   channel records that the outcome is unknown instead of risking a second page.
2. Between the marker and the outcome, another transaction changes the incident (a sibling
   page, a step, an update). Before the fix the outcome's save raised ConcurrentChange, the
   job failed, and its rerun found the marker and stopped: a 429 or 5xx answer was never
   retried (the page was lost) and the outcome never recorded. Now the outcome is recorded
   from a fresh read and the retry scheduled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine

from tocsin.app.clock import ManualClock
from tocsin.app.comms import Comms
from tocsin.app.delivery import Courier
from tocsin.app.jobs import JobRunner
from tocsin.app.paging import Paging
from tocsin.bootstrap import Tocsin
from tocsin.core.escalation import Policy, first_seed_policy
from tocsin.core.incident import Incident
from tocsin.core.notify import ContactKind, ContactMethod, Delivery, DeliveryStatus, Notification
from tocsin.core.timeline import EntryKind
from tocsin.integrations.notifiers.webhook import Webhook, WebhookNotifier
from tocsin.store.uow import SqlUnitOfWork

METHODS = {
    ContactKind.WEBHOOK: ContactMethod(ContactKind.WEBHOOK, "alice-hook"),
    ContactKind.NTFY: ContactMethod(ContactKind.NTFY, "alice-pager"),
}


class Died(BaseException):
    """The worker process ending mid-send (no `except Exception` catches it)."""


class Channel:
    """One notifier: records the idempotency key of each send; `during` runs inside a send
    (once), `answers` are scripted."""

    def __init__(self, kind: ContactKind, idempotent: bool) -> None:
        self.kind = kind
        self.idempotent = idempotent
        self.keys: list[str] = []
        self.answers: list[DeliveryStatus] = []
        self.during: Callable[[], None] | None = None

    def send(self, to: ContactMethod, notification: Notification) -> Delivery:
        during, self.during = self.during, None
        if during is not None:
            during()
        self.keys.append(notification.idempotency_key)
        status = self.answers.pop(0) if self.answers else DeliveryStatus.SENT
        return Delivery(status, "" if status is DeliveryStatus.SENT else "scripted", "remote-1")


class OneMethod:
    def __init__(self, method: ContactMethod) -> None:
        self.method = method

    def on_call(self, schedule: str, at: datetime, uow: object = None) -> str | None:
        return "alice"

    def reach(self, person: str) -> list[tuple[timedelta, ContactMethod]]:
        return [(timedelta(0), self.method)] if person == "alice" else []

    def channel(self, name: str) -> ContactMethod | None:
        return None


class ZeroJitter:
    def random(self) -> float:
        return 0.0


def first_step_only(services: object, severity: str) -> Policy:
    return first_seed_policy("P1")


def wire(tocsin: Tocsin, clock: ManualClock, kind: ContactKind) -> Channel:
    channel = Channel(kind, idempotent=kind is ContactKind.WEBHOOK)
    courier = Courier({kind: channel}, clock, ZeroJitter())
    paging = Paging(
        clock, tocsin.incidents.severities, first_step_only, OneMethod(METHODS[kind]), courier
    )
    paging.install(tocsin.handlers, tocsin.job_runner.handlers, replace=True)  # fakes
    return channel


def run(tocsin: Tocsin) -> None:
    while tocsin.job_runner.run_due("test-worker"):
        pass


def page_statuses(tocsin: Tocsin) -> list[str]:
    return [
        e.data["status"] for e in tocsin.incidents.timeline("INC-1") if e.kind is EntryKind.PAGE
    ]


def test_the_webhook_notifier_says_its_receiver_drops_repeats(clock: ManualClock) -> None:
    hooks = {"alice-hook": Webhook("http://127.0.0.1:9/")}
    courier = Courier({ContactKind.WEBHOOK: WebhookNotifier(hooks)}, clock, ZeroJitter())
    assert courier.repeats_safely(ContactKind.WEBHOOK)
    assert not courier.repeats_safely(ContactKind.NTFY)  # none configured: nothing to repeat


@pytest.mark.parametrize("kind", [ContactKind.WEBHOOK, ContactKind.NTFY])
def test_a_worker_that_died_between_the_marker_and_the_send(
    tocsin: Tocsin, clock: ManualClock, kind: ContactKind
) -> None:
    channel = wire(tocsin, clock, kind)

    def die() -> None:
        raise Died

    channel.during = die
    tocsin.incidents.declare("bot", "DB down", "P1")
    with pytest.raises(Died):
        run(tocsin)  # the page: its marker is committed, nothing went out
    assert channel.keys == []
    assert page_statuses(tocsin) == ["sending"]

    clock.advance(tocsin.job_runner.lease + timedelta(seconds=1))
    run(tocsin)  # another worker takes the job after the lease
    run(tocsin)
    if kind is ContactKind.WEBHOOK:  # sent again with the same key: the receiver dedupes
        assert [key.split(":", 4)[4] for key in channel.keys] == ["alice:0#0"]
        assert page_statuses(tocsin) == ["sending", "sending", "sent"]
    else:  # it may have gone out: not sent twice, and the timeline says so
        assert channel.keys == []
        assert page_statuses(tocsin) == ["sending", "unknown"]
        last = [e for e in tocsin.incidents.timeline("INC-1") if e.kind is EntryKind.PAGE][-1]
        assert "not sent again" in last.text


class Interleaved(SqlUnitOfWork):
    """A unit of work that lets another transaction commit a change to the incident right
    after its `nth` read of it (counted across these units of work), as a worker paging
    the same incident's other person would."""

    reads = 0

    def __init__(self, engine: Engine, nth: int, change: Callable[[], None]) -> None:
        super().__init__(engine)
        self._nth = nth
        self._change = change

    def __enter__(self) -> Interleaved:
        super().__enter__()
        get = self.incidents.get

        def get_then_change(ref: int | str) -> Incident:
            found = get(ref)
            Interleaved.reads += 1
            if Interleaved.reads == self._nth:
                self._change()
            return found

        self.incidents.get = get_then_change  # type: ignore[method-assign]
        return self


def overtaken_runner(tocsin: Tocsin, clock: ManualClock) -> JobRunner:
    """A job runner whose second read of INC-1 (the marker reads it first, the outcome
    second) lets a status update commit right after it, as another worker would."""

    def update() -> None:
        tocsin.incidents.post_update("INC-1", "bob", "Looking into it")

    Interleaved.reads = 0
    return JobRunner(
        lambda: Interleaved(tocsin.engine, 2, update),
        tocsin.job_runner.handlers,
        clock,
        ZeroJitter(),
    )


@pytest.mark.postgres  # SQLite has one writer at a time: its reads cannot be overtaken
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_outcome_that_meets_a_concurrent_change_is_recorded_and_retried(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    channel = wire(tocsin, clock, ContactKind.NTFY)
    channel.answers = [DeliveryStatus.RETRY]  # a 429: try again shortly
    tocsin.incidents.declare("bot", "DB down", "P1")  # the first step, its page queued

    runner = overtaken_runner(tocsin, clock)
    assert runner.run_due("worker-a") == 1  # sends, and the update overtakes the outcome
    for _ in range(3):  # whatever it left to do, a minute apart
        clock.advance(timedelta(minutes=1))
        run(tocsin)
    first, second = channel.keys  # the 429 was retried: attempts 0 and 1 of the page
    page = first.split("#")[0]
    assert (first.split("#"), second.split("#")) == ([page, "0"], [page, "1"])
    assert page_statuses(tocsin) == ["sending", "retry", "sending", "sent"]


class TeamChannel(OneMethod):
    def channel(self, name: str) -> ContactMethod | None:
        return ContactMethod(ContactKind.SLACK, "C0TEAM") if name == "team" else None


@pytest.mark.postgres  # SQLite has one writer at a time: its reads cannot be overtaken
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_post_outcome_that_meets_a_concurrent_change_is_recorded_and_retried(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    """The same race for a channel post (the announcement): before the fix the outcome's
    save raised ConcurrentChange, and the rerun found the marker and posted nothing more:
    the 429 was never retried and the announcement never went out."""
    slack = Channel(ContactKind.SLACK, idempotent=False)
    slack.answers = [DeliveryStatus.RETRY]
    courier = Courier({ContactKind.SLACK: slack}, clock, ZeroJitter())
    comms = Comms(clock, tocsin.incidents.severities, lambda s, sev: ["team"],
                  TeamChannel(METHODS[ContactKind.NTFY]), courier)  # fmt: skip
    comms.install(tocsin.handlers, tocsin.job_runner.handlers, replace=True)
    tocsin.incidents.declare("bot", "Checkout failing", "P1")

    runner = overtaken_runner(tocsin, clock)
    assert runner.run_due("worker-a") >= 1  # posts, and the update overtakes the outcome
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        run(tocsin)
    announcement = slack.keys[0]
    assert slack.keys.count(announcement) >= 2  # the 429, then its retry (or retries)
    statuses = [
        (e.data["attempt"], e.data["status"])
        for e in tocsin.incidents.timeline("INC-1")
        if e.kind is EntryKind.PAGE and e.data.get("post") == 2
    ]
    assert statuses[:2] == [(0, "sending"), (0, "retry")]  # recorded despite the update
    assert [s for _, s in statuses].count("sent") == 1  # and delivered, once
