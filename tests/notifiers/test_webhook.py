"""Outbound webhooks: CloudEvents 1.0 structured mode, HMAC-SHA256 signed, checked by the
receiving server's own log."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from tests.conftest import START
from tests.notifiers.conftest import FAST, PAGE, WEBHOOK_SECRET, Closing
from tests.support.fakes.base import Fault
from tests.support.fakes.receiver import FakeReceiver
from tocsin.app.clock import ManualClock
from tocsin.core.notify import ContactKind, ContactMethod, DeliveryStatus
from tocsin.integrations.notifiers.webhook import Webhook, WebhookNotifier

HOOK = ContactMethod(ContactKind.WEBHOOK, "audit")


@pytest.fixture
def notifier(receiver: FakeReceiver, closing: Closing) -> WebhookNotifier:
    hooks = {
        "audit": Webhook(receiver.url + "/hooks/tocsin", WEBHOOK_SECRET),
        "plain": Webhook(receiver.url + "/plain"),
    }
    return closing(WebhookNotifier(hooks, "/tocsin", FAST, ManualClock(START)))


def test_a_signed_cloudevent_in_structured_mode(
    receiver: FakeReceiver, notifier: WebhookNotifier
) -> None:
    delivery = notifier.send(HOOK, PAGE)

    assert (delivery.status, delivery.remote_id) == (DeliveryStatus.SENT, PAGE.idempotency_key)
    [request] = receiver.requests
    assert request.path == "/hooks/tocsin"
    assert request.headers["content-type"] == "application/cloudevents+json; charset=utf-8"
    event = request.json()
    assert event["specversion"] == "1.0"
    assert event["type"] == "io.tocsin.page"
    assert (event["source"], event["id"], event["subject"]) == (
        "/tocsin",
        PAGE.idempotency_key,
        "INC-7",
    )
    assert event["time"] == "2026-11-22T03:00:00Z"
    assert event["data"]["title"] == PAGE.title
    # The receiver's check, written from the documented scheme, not from our code:
    timestamp = request.headers["x-tocsin-timestamp"]
    assert timestamp == str(int(START.timestamp()))
    signed = b"v1:" + timestamp.encode() + b":" + request.body
    expected = "v1=" + hmac.new(WEBHOOK_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["x-tocsin-signature"], expected)


def test_without_a_secret_nothing_is_signed(
    receiver: FakeReceiver, notifier: WebhookNotifier
) -> None:
    assert notifier.send(ContactMethod(ContactKind.WEBHOOK, "plain"), PAGE).status is (
        DeliveryStatus.SENT
    )
    assert "x-tocsin-signature" not in receiver.requests[0].headers


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (Fault.RATE_LIMIT, DeliveryStatus.RETRY),
        (Fault.SERVER_ERROR, DeliveryStatus.RETRY),
        (Fault.CLOSE, DeliveryStatus.RETRY),
        (Fault.HANG, DeliveryStatus.RETRY),
        (Fault.GARBAGE, DeliveryStatus.SENT),  # any 2xx is accepted: the body is not read
    ],
)
def test_faults(
    receiver: FakeReceiver, notifier: WebhookNotifier, fault: Fault, status: DeliveryStatus
) -> None:
    receiver.fail_next(fault)
    started = time.monotonic()
    assert notifier.send(HOOK, PAGE).status is status
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("answer", "status"),
    [(400, DeliveryStatus.FAILED), (410, DeliveryStatus.FAILED), (302, DeliveryStatus.FAILED),
     (408, DeliveryStatus.RETRY), (200, DeliveryStatus.SENT), (204, DeliveryStatus.SENT)],
)  # fmt: skip
def test_the_receivers_answer_decides(
    receiver: FakeReceiver, notifier: WebhookNotifier, answer: int, status: DeliveryStatus
) -> None:
    receiver.status = answer
    assert notifier.send(HOOK, PAGE).status is status


def test_a_retry_carries_the_same_event_id(
    receiver: FakeReceiver, notifier: WebhookNotifier
) -> None:
    receiver.fail_next(Fault.SERVER_ERROR)
    notifier.send(HOOK, PAGE)
    notifier.send(HOOK, PAGE)
    assert [r.json()["id"] for r in receiver.requests] == [PAGE.idempotency_key] * 2


def test_the_secret_is_never_sent_nor_logged(
    receiver: FakeReceiver, notifier: WebhookNotifier, all_logs: pytest.LogCaptureFixture
) -> None:
    receiver.status, receiver.body = 400, f"bad signature for {WEBHOOK_SECRET}".encode()
    delivery = notifier.send(HOOK, PAGE)
    assert delivery.detail == "HTTP 400: bad signature for [redacted]"
    request = receiver.requests[0]
    assert WEBHOOK_SECRET.encode() not in request.body + str(request.headers).encode()
    assert WEBHOOK_SECRET not in all_logs.text
