"""The quarterly review job: made once when a quarter ends, kept for the dashboard, sent once
to each destination (a "try later" tried again), on an injected clock through the jobs table."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tocsin.app.clock import ManualClock
from tocsin.app.delivery import Courier
from tocsin.app.quarterly import CHAIN, Destination, QuarterlyReviews
from tocsin.bootstrap import Tocsin
from tocsin.core.notify import (
    ContactKind,
    ContactMethod,
    Delivery,
    DeliveryStatus,
    Notification,
)
from tocsin.core.scope import Scope
from tocsin.integrations.notifiers.renderers import email


class Mailbox:
    kind = ContactKind.EMAIL

    def __init__(self, answers: list[DeliveryStatus]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, Notification]] = []

    def send(self, to: ContactMethod, n: Notification) -> Delivery:
        status = self.answers.pop(0) if self.answers else DeliveryStatus.SENT
        if status is DeliveryStatus.SENT:
            self.sent.append((to.address, n))
        return Delivery(status, "ok" if status is DeliveryStatus.SENT else "try later")


def courier(mailbox: Mailbox, clock: ManualClock) -> Courier:
    return Courier({ContactKind.EMAIL: mailbox}, clock, random.Random(1))  # noqa: S311


def run_for(t: Tocsin, clock: ManualClock, hours: int) -> None:
    """Run every job due, an hour at a time."""
    for _ in range(hours):
        while t.job_runner.run_due("test"):
            pass
        clock.advance(timedelta(hours=1))


def test_each_quarter_s_review_is_made_and_sent_once(tocsin: Tocsin, clock: ManualClock) -> None:
    mailbox = Mailbox([DeliveryStatus.RETRY])  # the first attempt: try later
    lead = Destination(
        "email:lead@example.com", ContactMethod(ContactKind.EMAIL, "lead@example.com")
    )
    quarterly = QuarterlyReviews(tocsin.insights, clock, courier(mailbox, clock), [lead])
    for kind, handler in (
        ("insights.quarterly", quarterly.check),
        ("insights.send", quarterly.send),
    ):
        tocsin.job_runner.handlers.register(kind, handler, replace=True)
    assert CHAIN in tocsin.recurring()
    clock.set(datetime(2026, 9, 30, 20, 0, tzinfo=UTC))
    tocsin.incidents.declare("ann", "Checkout down", "P1", Scope(services=("checkout",)))
    tocsin.jobs.seed([CHAIN])
    run_for(tocsin, clock, 3)  # until 23:00 on the quarter's last day: Q2 ended long ago
    assert tocsin.insights.recent_reviews() == []
    run_for(tocsin, clock, 30)  # over the quarter's end, and a day more
    (made,) = tocsin.insights.recent_reviews()
    assert (made.quarter, made.incidents, made.made_at) == (
        "2026Q3", 1, datetime(2026, 10, 1, 0, 0, tzinfo=UTC),
    )  # fmt: skip
    assert made.deliveries == {"email:lead@example.com": "sent"}
    ((to, note),) = mailbox.sent
    assert (to, note.title) == ("lead@example.com", "Incident review 2026Q3")
    assert "<svg" in email.html_body(note)  # the report is the mail's HTML
    assert email.text(note).count("| P1 | 1 |") == 1  # and its Markdown the text part
    clock.set(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))
    run_for(tocsin, clock, 5)
    assert [r.quarter for r in tocsin.insights.recent_reviews()] == ["2026Q4", "2026Q3"]
    assert [n.title for _, n in mailbox.sent] == [
        "Incident review 2026Q3", "Incident review 2026Q4",
    ]  # fmt: skip
    stored = tocsin.insights.stored_review("2026Q4")
    assert stored is not None
    assert "No incidents were declared in 2026Q4" in stored.markdown


def test_a_tocsin_started_long_after_a_quarter_ended_does_not_send_it_late(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    mailbox = Mailbox([])
    lead = Destination("email:a@example.com", ContactMethod(ContactKind.EMAIL, "a@example.com"))
    quarterly = QuarterlyReviews(tocsin.insights, clock, courier(mailbox, clock), [lead])
    tocsin.job_runner.handlers.register("insights.quarterly", quarterly.check, replace=True)
    clock.set(datetime(2026, 10, 9, 0, 0, tzinfo=UTC))  # 8 days after Q3 ended
    tocsin.jobs.seed([CHAIN])
    run_for(tocsin, clock, 2)
    assert (tocsin.insights.recent_reviews(), mailbox.sent) == ([], [])
