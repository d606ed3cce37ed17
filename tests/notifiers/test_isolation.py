"""One slow channel never holds back another: a Slack server that hangs costs its own
timeout, while a Telegram message sent at the same time goes through at once."""

from __future__ import annotations

import threading
import time

from tests.conftest import START
from tests.notifiers.conftest import FAST, PAGE, SLACK_TOKEN, TELEGRAM_TOKEN, Closing
from tests.support.fakes.base import Fault
from tests.support.fakes.slack import FakeSlack
from tests.support.fakes.telegram import FakeTelegram
from tocsin.app.clock import ManualClock
from tocsin.app.delivery import Attempt, Courier
from tocsin.app.ports import Notifier
from tocsin.core.delivery import Next
from tocsin.core.notify import ContactKind, ContactMethod
from tocsin.integrations.notifiers.slack import SlackNotifier
from tocsin.integrations.notifiers.telegram import TelegramNotifier


class Half:
    def random(self) -> float:
        return 0.5


def test_a_hanging_channel_does_not_delay_another(
    slack: FakeSlack, telegram: FakeTelegram, closing: Closing
) -> None:
    clock = ManualClock(START)
    notifiers: dict[ContactKind, Notifier] = {
        ContactKind.SLACK: SlackNotifier(SLACK_TOKEN, slack.api_url, FAST, clock),
        ContactKind.TELEGRAM: closing(TelegramNotifier(TELEGRAM_TOKEN, telegram.url, FAST, clock)),
    }
    courier = Courier(notifiers, clock, Half())
    slack.fail_next(Fault.HANG)
    hung: list[Attempt] = []
    worker = threading.Thread(
        target=lambda: hung.append(
            courier.attempt(ContactMethod(ContactKind.SLACK, "C0INCIDENTS"), PAGE, 1)
        )
    )
    worker.start()
    assert slack.wait_for_requests(1)  # the Slack request is on the wire, and hanging

    started = time.monotonic()
    quick = courier.attempt(ContactMethod(ContactKind.TELEGRAM, "42"), PAGE, 1)
    took = time.monotonic() - started
    still_hanging = worker.is_alive()
    worker.join()

    assert quick.decision.next is Next.DONE
    assert still_hanging, "the Slack attempt should still be waiting for its timeout"
    assert took < 0.8
    assert hung[0].decision.next is Next.RETRY  # the hang cost Slack one retry
