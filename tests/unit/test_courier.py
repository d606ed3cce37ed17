"""app/delivery.py: one attempt through the rate limiter and the channel, and the decision."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import START
from tocsin.app.clock import ManualClock
from tocsin.app.delivery import Courier
from tocsin.core.delivery import Next, Rate, RateLimiter
from tocsin.core.notify import (
    ContactKind,
    ContactMethod,
    Delivery,
    DeliveryStatus,
    Notification,
    Purpose,
)

PAGE = Notification(Purpose.PAGE, "P1 INC-7", "down", incident="INC-7", urgent=True)
SLACK = ContactMethod(ContactKind.SLACK, "U0ALICE")


class Scripted:
    """A notifier answering from a script, recording what it was asked to send."""

    kind = ContactKind.SLACK

    def __init__(self, *answers: Delivery | Exception) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[ContactMethod, Notification]] = []

    def send(self, to: ContactMethod, notification: Notification) -> Delivery:
        self.sent.append((to, notification))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class Half:
    def random(self) -> float:
        return 0.5


def courier(notifier: Scripted, clock: ManualClock, limiter: RateLimiter | None = None) -> Courier:
    return Courier({ContactKind.SLACK: notifier}, clock, Half(), limiter)


def test_sent_is_done() -> None:
    notifier = Scripted(Delivery(DeliveryStatus.SENT, remote_id="1.2"))
    attempt = courier(notifier, ManualClock(START)).attempt(SLACK, PAGE, 1)
    assert attempt.decision.next is Next.DONE
    assert attempt.delivery is not None
    assert attempt.delivery.remote_id == "1.2"
    assert notifier.sent == [(SLACK, PAGE)]


def test_a_rate_limited_destination_waits_without_sending() -> None:
    clock = ManualClock(START)
    notifier = Scripted(Delivery(DeliveryStatus.SENT), Delivery(DeliveryStatus.SENT))
    send = courier(notifier, clock, RateLimiter({"slack.channel": Rate(1.0)}))
    assert send.attempt(SLACK, PAGE, 1).decision.next is Next.DONE
    waiting = send.attempt(SLACK, PAGE, 1)
    assert waiting.waiting
    assert waiting.delivery is None
    assert waiting.decision.at == START + timedelta(seconds=1)
    assert len(notifier.sent) == 1
    clock.advance(timedelta(seconds=1))
    assert send.attempt(SLACK, PAGE, 1).decision.next is Next.DONE


def test_a_retry_is_scheduled_and_a_failure_moves_on() -> None:
    clock = ManualClock(START)
    notifier = Scripted(
        Delivery(DeliveryStatus.RETRY, "HTTP 503", retry_after=timedelta(seconds=20)),
        Delivery(DeliveryStatus.FAILED, "Slack: channel_not_found"),
    )
    send = courier(notifier, clock, RateLimiter({}))
    retry = send.attempt(SLACK, PAGE, 1)
    assert (retry.decision.next, retry.decision.at) == (Next.RETRY, START + timedelta(seconds=20))
    failed = send.attempt(SLACK, PAGE, 2)
    assert failed.decision.next is Next.NEXT_METHOD
    assert failed.decision.reason == "Slack: channel_not_found"


def test_a_notifier_that_raises_costs_a_retry_not_the_page() -> None:
    attempt = courier(Scripted(RuntimeError("bug")), ManualClock(START)).attempt(SLACK, PAGE, 1)
    assert attempt.delivery is not None
    assert attempt.delivery.status is DeliveryStatus.RETRY
    assert attempt.decision.next is Next.RETRY


def test_a_channel_that_is_not_set_up_moves_on_at_once() -> None:
    attempt = courier(Scripted(), ManualClock(START)).attempt(
        ContactMethod(ContactKind.VOICE, "+4917012345678"), PAGE, 1
    )
    assert attempt.decision.next is Next.NEXT_METHOD
    assert "no voice notifier is set up" in attempt.decision.reason
