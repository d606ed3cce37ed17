"""ntfy against a local server speaking ntfy's publish API."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from tests.conftest import START
from tests.notifiers.conftest import FAST, NTFY_TOKEN, PAGE, Closing
from tests.support.fakes.base import Fault
from tests.support.fakes.ntfy import FakeNtfy
from tocsin.app.clock import ManualClock
from tocsin.core.notify import ContactKind, ContactMethod, DeliveryStatus
from tocsin.integrations.notifiers.ntfy import NtfyNotifier

TOPIC = ContactMethod(ContactKind.NTFY, "alice-pages")
Make = Callable[..., NtfyNotifier]


@pytest.fixture
def make(ntfy: FakeNtfy, closing: Closing) -> Make:
    def build(token: str | None = NTFY_TOKEN) -> NtfyNotifier:
        return closing(NtfyNotifier(ntfy.url, token, FAST, ManualClock(START)))

    return build


def test_an_urgent_page_is_priority_5_with_an_acknowledge_action(
    ntfy: FakeNtfy, make: Make
) -> None:
    delivery = make().send(TOPIC, replace(PAGE, title="Zahlung gestört"))

    assert (delivery.status, delivery.remote_id) == (DeliveryStatus.SENT, "msg000000001")
    [request] = ntfy.requests
    assert (request.method, request.path) == ("POST", "/alice-pages")
    assert request.headers["authorization"] == f"Bearer {NTFY_TOKEN}"
    [stored] = ntfy.messages
    assert stored["priority"] == 5
    assert stored["title"] == "P1 INC-7: Zahlung gestört"  # decoded from RFC 2047
    assert stored["message"] == PAGE.text
    assert stored["tags"] == ["rotating_light"]
    assert stored["click"] == PAGE.incident_url
    ack = stored["actions"][0]
    assert (ack["action"], ack["label"], ack["url"], ack["method"]) == (
        "http",
        "Acknowledge",
        PAGE.ack_url,
        "POST",
    )


def test_no_token_sends_no_authorization(ntfy: FakeNtfy, make: Make) -> None:
    delivery = make(None).send(TOPIC, PAGE)
    assert "authorization" not in ntfy.requests[0].headers
    assert (delivery.status, delivery.detail) == (DeliveryStatus.FAILED, "ntfy 40101: unauthorized")


def test_a_wrong_token_is_forbidden_for_good(make: Make) -> None:
    delivery = make("tk_wrongwrongwrong").send(TOPIC, PAGE)
    assert (delivery.status, delivery.detail) == (DeliveryStatus.FAILED, "ntfy 40301: forbidden")


def test_an_invalid_topic_is_refused_before_sending(ntfy: FakeNtfy, make: Make) -> None:
    delivery = make().send(ContactMethod(ContactKind.NTFY, "a/b?c"), PAGE)
    assert delivery.status is DeliveryStatus.FAILED
    assert ntfy.requests == []


@pytest.mark.parametrize(
    "fault", [Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.GARBAGE, Fault.CLOSE, Fault.HANG]
)
def test_trouble_costs_one_retry(ntfy: FakeNtfy, make: Make, fault: Fault) -> None:
    ntfy.fail_next(fault)
    started = time.monotonic()
    delivery = make().send(TOPIC, PAGE)
    assert delivery.status is DeliveryStatus.RETRY, delivery
    assert time.monotonic() - started < 2
    assert make().send(TOPIC, PAGE).status is DeliveryStatus.SENT
    assert len(ntfy.messages) == 1


def test_rate_limit_words_are_ntfys(ntfy: FakeNtfy, make: Make) -> None:
    ntfy.fail_next(Fault.RATE_LIMIT)
    assert make().send(TOPIC, PAGE).detail == "rate limited (429): limit reached: too many requests"


def test_the_token_stays_out_of_details_and_logs(
    ntfy: FakeNtfy, make: Make, all_logs: pytest.LogCaptureFixture
) -> None:
    ntfy.fail_next(Fault.CLOSE)
    details = [make().send(TOPIC, PAGE).detail, make("tk_wrongwrongwrong").send(TOPIC, PAGE).detail]
    everything = all_logs.text + " ".join(details)
    assert NTFY_TOKEN not in everything
    assert "tk_wrongwrongwrong" not in everything
