"""Telegram: sendMessage in HTML mode against a local server speaking the Bot API."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.conftest import START
from tests.notifiers.conftest import FAST, PAGE, TELEGRAM_TOKEN, Closing
from tests.support.fakes.base import Fault
from tests.support.fakes.telegram import FakeTelegram
from tocsin.app.clock import ManualClock
from tocsin.core.notify import ContactKind, ContactMethod, DeliveryStatus, Notification, Purpose
from tocsin.integrations.notifiers.telegram import TelegramNotifier

CHAT = ContactMethod(ContactKind.TELEGRAM, "42")
Make = Callable[..., TelegramNotifier]


@pytest.fixture
def make(telegram: FakeTelegram, closing: Closing) -> Make:
    def build(token: str = TELEGRAM_TOKEN) -> TelegramNotifier:
        return closing(TelegramNotifier(token, telegram.url, FAST, ManualClock(START)))

    return build


def test_send_message_in_html_with_the_acknowledge_button(
    telegram: FakeTelegram, make: Make
) -> None:
    delivery = make().send(CHAT, PAGE)

    assert (delivery.status, delivery.remote_id) == (DeliveryStatus.SENT, "100")
    [request] = telegram.requests
    assert request.path == f"/bot{TELEGRAM_TOKEN}/sendMessage"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert (body["chat_id"], body["parse_mode"]) == ("42", "HTML")
    assert "&amp; &lt;climbing&gt;" in body["text"]  # accepted by the fake's HTML check
    assert body["reply_markup"]["inline_keyboard"] == [
        [{"text": "Acknowledge", "callback_data": "ack:INC-7"}]
    ]


def test_markup_in_a_title_is_shown_not_refused(telegram: FakeTelegram, make: Make) -> None:
    hostile = Notification(Purpose.ANNOUNCE, "<b>p99 < 200ms</b> & <script>", "a <i>b</i> &c;")
    assert make().send(CHAT, hostile).status is DeliveryStatus.SENT
    assert "<b>p99 < 200ms</b> & <script>" in telegram.requests[0].json()["text"].replace(
        "&lt;", "<"
    ).replace("&gt;", ">").replace("&amp;", "&")


def test_a_reply_threads_under_the_announcement(telegram: FakeTelegram, make: Make) -> None:
    first = make().send(CHAT, PAGE)
    make().send(CHAT, replace(PAGE, purpose=Purpose.UPDATE, thread=first.remote_id))
    assert telegram.sent()[1]["reply_parameters"]["message_id"] == int(first.remote_id or 0)


@pytest.mark.parametrize(
    ("chat", "token", "words"),
    [
        ("999", TELEGRAM_TOKEN, "Telegram 400: Bad Request: chat not found"),
        ("77", TELEGRAM_TOKEN, "Telegram 403: Forbidden: bot was blocked by the user"),
        ("42", "123456789:AAH-WRONGtokenWRONG", "Telegram 401: Unauthorized"),
    ],
)
def test_refusals_fail_for_good_in_telegrams_words(
    telegram: FakeTelegram, make: Make, chat: str, token: str, words: str
) -> None:
    delivery = make(token).send(ContactMethod(ContactKind.TELEGRAM, chat), PAGE)
    assert (delivery.status, delivery.detail) == (DeliveryStatus.FAILED, words)


def test_429_retries_after_parameters_retry_after(telegram: FakeTelegram, make: Make) -> None:
    telegram.fail_next(Fault.RATE_LIMIT)
    delivery = make().send(CHAT, PAGE)
    assert delivery.status is DeliveryStatus.RETRY
    assert delivery.retry_after == timedelta(seconds=11)
    assert "retry after 11" in delivery.detail


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.GARBAGE, Fault.CLOSE, Fault.HANG])
def test_server_trouble_costs_one_retry(telegram: FakeTelegram, make: Make, fault: Fault) -> None:
    telegram.fail_next(fault)
    started = time.monotonic()
    delivery = make().send(CHAT, PAGE)
    assert delivery.status is DeliveryStatus.RETRY, delivery
    assert time.monotonic() - started < 2
    assert make().send(CHAT, PAGE).status is DeliveryStatus.SENT
    assert len(telegram.requests) == 2


def test_the_token_in_the_url_never_reaches_details_or_logs(
    telegram: FakeTelegram, make: Make, all_logs: pytest.LogCaptureFixture
) -> None:
    telegram.fail_next(Fault.CLOSE, Fault.SERVER_ERROR)
    details = [make().send(CHAT, PAGE).detail for _ in range(3)]
    details.append(make("123456789:AAH-WRONGtokenWRONG").send(CHAT, PAGE).detail)
    assert "HTTP Request: POST http://127.0.0.1" in all_logs.text
    assert "/bot[redacted]/sendMessage" in all_logs.text
    everything = all_logs.text + " ".join(details)
    assert TELEGRAM_TOKEN not in everything
    assert "AAH-WRONGtokenWRONG" not in everything
