"""Slack: chat.postMessage through slack_sdk and incoming webhooks, against a local server
speaking Slack's Web API."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.conftest import START
from tests.notifiers.conftest import FAST, PAGE, SLACK_TOKEN, WEBHOOK_PATH, Closing
from tests.support.fakes.base import Fault
from tests.support.fakes.slack import FakeSlack
from tocsin.app.clock import ManualClock
from tocsin.core.notify import ContactKind, ContactMethod, DeliveryStatus
from tocsin.integrations.notifiers.slack import SlackNotifier, SlackWebhookNotifier

CHANNEL = ContactMethod(ContactKind.SLACK, "C0INCIDENTS")
HOOK = ContactMethod(ContactKind.SLACK_WEBHOOK, "ops")
Hooks = Callable[[], SlackWebhookNotifier]


def bot(slack: FakeSlack, token: str = SLACK_TOKEN) -> SlackNotifier:
    return SlackNotifier(token, slack.api_url, FAST, ManualClock(START))


@pytest.fixture
def hooks(slack: FakeSlack, closing: Closing) -> Callable[[], SlackWebhookNotifier]:
    return lambda: closing(
        SlackWebhookNotifier({"ops": slack.webhook_url}, FAST, ManualClock(START))
    )


def test_post_message_as_the_bot_with_blocks(slack: FakeSlack) -> None:
    delivery = bot(slack).send(CHANNEL, PAGE)

    assert delivery.status is DeliveryStatus.SENT
    assert delivery.remote_id == "1700000000.000001"
    assert delivery.at == START
    [request] = slack.posts()
    assert request.method == "POST"
    assert request.headers["authorization"] == f"Bearer {SLACK_TOKEN}"
    assert request.headers["content-type"].startswith("application/json")
    body = request.json()
    assert body["channel"] == "C0INCIDENTS"
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context", "actions"]
    buttons = body["blocks"][3]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons[:2]] == [
        ("tocsin_acknowledge", "INC-7"),
        ("tocsin_resolve", "INC-7"),
    ]


def test_an_update_replies_in_the_announcements_thread(slack: FakeSlack) -> None:
    first = bot(slack).send(CHANNEL, PAGE)
    bot(slack).send(CHANNEL, replace(PAGE, thread=first.remote_id))
    assert slack.posts()[1].json()["thread_ts"] == first.remote_id


@pytest.mark.parametrize(
    ("channel", "token", "words"),
    [
        ("C0NOWHERE", SLACK_TOKEN, "channel_not_found"),
        ("C0INCIDENTS", "xoxb-wrong-token-value", "invalid_auth"),
    ],
)
def test_slacks_refusals_fail_for_good_in_slacks_words(
    slack: FakeSlack, channel: str, token: str, words: str
) -> None:
    delivery = bot(slack, token).send(ContactMethod(ContactKind.SLACK, channel), PAGE)
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.detail == f"Slack: {words}"
    assert len(slack.posts()) == 1  # one attempt: no retries inside the client


def test_rate_limit_is_a_retry_after_slacks_retry_after(slack: FakeSlack) -> None:
    slack.fail_next(Fault.RATE_LIMIT)
    delivery = bot(slack).send(CHANNEL, PAGE)
    assert delivery.status is DeliveryStatus.RETRY
    assert delivery.retry_after == timedelta(seconds=7)
    assert len(slack.posts()) == 1


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.GARBAGE, Fault.CLOSE, Fault.HANG])
def test_server_trouble_costs_one_retry(slack: FakeSlack, fault: Fault) -> None:
    slack.fail_next(fault)
    started = time.monotonic()
    delivery = bot(slack).send(CHANNEL, PAGE)
    assert delivery.status is DeliveryStatus.RETRY, delivery
    assert time.monotonic() - started < 3  # a hang costs the (1 s) client timeout
    assert len(slack.posts()) == 1
    assert bot(slack).send(CHANNEL, PAGE).status is DeliveryStatus.SENT  # the next one goes


def test_connection_refused_is_a_retry(slack: FakeSlack) -> None:
    notifier = SlackNotifier(SLACK_TOKEN, "http://127.0.0.1:9/api/", FAST, ManualClock(START))
    assert notifier.send(CHANNEL, PAGE).status is DeliveryStatus.RETRY


def test_incoming_webhook_posts_blocks_and_reads_ok(slack: FakeSlack, hooks: Hooks) -> None:
    delivery = hooks().send(HOOK, PAGE)
    assert delivery.status is DeliveryStatus.SENT
    [request] = [r for r in slack.requests if r.path == WEBHOOK_PATH]
    assert request.json()["blocks"][0]["type"] == "header"


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (Fault.RATE_LIMIT, DeliveryStatus.RETRY),
        (Fault.SERVER_ERROR, DeliveryStatus.RETRY),
        (Fault.HANG, DeliveryStatus.RETRY),
        (Fault.CLOSE, DeliveryStatus.RETRY),
    ],
)
def test_incoming_webhook_failures(
    slack: FakeSlack, hooks: Hooks, fault: Fault, status: DeliveryStatus
) -> None:
    slack.fail_next(fault)
    assert hooks().send(HOOK, PAGE).status is status


def test_a_revoked_webhook_fails_without_showing_its_url(
    slack: FakeSlack, closing: Closing
) -> None:
    notifier = closing(
        SlackWebhookNotifier(
            {"ops": slack.url + "/services/T000/B000/SECRETrevoked"}, FAST, ManualClock(START)
        )
    )
    delivery = notifier.send(HOOK, PAGE)
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.detail == "Slack webhook refused it (HTTP 404): no_service"
    unknown = notifier.send(ContactMethod(ContactKind.SLACK_WEBHOOK, "nope"), PAGE)
    assert unknown.status is DeliveryStatus.FAILED
    assert "SECRET" not in unknown.detail
    assert "configured: ops" in unknown.detail


def test_no_secret_in_details_or_logs(
    slack: FakeSlack, hooks: Hooks, all_logs: pytest.LogCaptureFixture
) -> None:
    slack.fail_next(Fault.SERVER_ERROR, Fault.CLOSE)
    details = [bot(slack).send(CHANNEL, PAGE).detail for _ in range(3)]
    details.append(bot(slack, "xoxb-wrong-token-value").send(CHANNEL, PAGE).detail)
    slack.fail_next(Fault.CLOSE)
    details += [hooks().send(HOOK, PAGE).detail for _ in range(2)]
    assert "HTTP Request: POST [redacted]" in all_logs.text  # httpx's own line, cleaned
    everything = all_logs.text + " ".join(details)
    assert SLACK_TOKEN not in everything
    assert "xoxb-wrong-token-value" not in everything
    assert "SECRETwebhookPATH" not in everything
