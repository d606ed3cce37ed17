"""Twilio SMS and voice against a local server speaking Twilio's REST API."""

from __future__ import annotations

import base64
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.conftest import START
from tests.notifiers.conftest import FAST, PAGE, TWILIO_SID, TWILIO_TOKEN, Closing
from tests.support.fakes.base import Fault
from tests.support.fakes.twilio import FakeTwilio
from tocsin.app.clock import ManualClock
from tocsin.core.notify import ContactKind, ContactMethod, DeliveryStatus
from tocsin.integrations.notifiers.twilio import TwilioSmsNotifier, TwilioVoiceNotifier

FROM = "+15005550006"
PHONE = "+4917012345678"
SMS = ContactMethod(ContactKind.SMS, PHONE)
CALL = ContactMethod(ContactKind.VOICE, PHONE)
Sms = Callable[..., TwilioSmsNotifier]


@pytest.fixture
def sms(twilio: FakeTwilio, closing: Closing) -> Sms:
    def build(token: str = TWILIO_TOKEN) -> TwilioSmsNotifier:
        return closing(
            TwilioSmsNotifier(TWILIO_SID, token, FROM, twilio.base_url, FAST, ManualClock(START))
        )

    return build


@pytest.fixture
def voice(twilio: FakeTwilio, closing: Closing) -> TwilioVoiceNotifier:
    return closing(
        TwilioVoiceNotifier(
            TWILIO_SID, TWILIO_TOKEN, FROM, twilio.base_url, FAST, ManualClock(START)
        )
    )


def test_sms_is_a_form_post_with_basic_auth(twilio: FakeTwilio, sms: Sms) -> None:
    delivery = sms().send(SMS, PAGE)

    assert delivery.status is DeliveryStatus.SENT
    assert delivery.remote_id == f"SM{1:032x}"
    [request] = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    credentials = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {credentials}"
    form = request.form()
    assert (form["To"], form["From"]) == (PHONE, FROM)
    assert form["Body"].endswith("Ack: https://tocsin.example/ack/abc.def")


def test_the_call_reads_the_incident_and_gathers_a_digit_for_the_ack_url(
    twilio: FakeTwilio, voice: TwilioVoiceNotifier
) -> None:
    delivery = voice.send(CALL, PAGE)

    assert (delivery.status, delivery.remote_id) == (DeliveryStatus.SENT, f"CA{1:032x}")
    [request] = twilio.requests
    assert request.path.endswith("/Calls.json")
    twiml = ET.fromstring(request.form()["Twiml"])  # noqa: S314 - ours
    gather = twiml.find("Gather")
    assert gather is not None
    assert (gather.attrib["numDigits"], gather.attrib["action"]) == ("1", PAGE.ack_url)
    assert "API returning 500s" in (gather.findtext("Say") or "")


@pytest.mark.parametrize(
    ("to", "token", "words"),
    [
        ("0170 123", TWILIO_TOKEN, "Twilio 21211: Invalid 'To' Phone Number: 0170 123"),
        (PHONE, "wrong-token-0000000", "Twilio 20003: Authenticate"),
    ],
)
def test_twilios_refusals_fail_for_good_in_its_words(
    sms: Sms, to: str, token: str, words: str
) -> None:
    delivery = sms(token).send(ContactMethod(ContactKind.SMS, to), PAGE)
    assert (delivery.status, delivery.detail) == (DeliveryStatus.FAILED, words)


def test_20429_retries_after_retry_after(twilio: FakeTwilio, sms: Sms) -> None:
    twilio.fail_next(Fault.RATE_LIMIT)
    delivery = sms().send(SMS, PAGE)
    assert delivery.status is DeliveryStatus.RETRY
    assert delivery.retry_after == timedelta(seconds=3)
    assert delivery.detail == "Twilio 20429: Too Many Requests"


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.GARBAGE, Fault.CLOSE, Fault.HANG])
def test_server_trouble_costs_one_retry(
    twilio: FakeTwilio, voice: TwilioVoiceNotifier, fault: Fault
) -> None:
    twilio.fail_next(fault)
    started = time.monotonic()
    assert voice.send(CALL, PAGE).status is DeliveryStatus.RETRY
    assert time.monotonic() - started < 2
    assert voice.send(CALL, PAGE).status is DeliveryStatus.SENT
    assert len(twilio.requests) == 2


def test_the_auth_token_stays_out_of_details_and_logs(
    twilio: FakeTwilio, sms: Sms, all_logs: pytest.LogCaptureFixture
) -> None:
    twilio.fail_next(Fault.CLOSE)
    details = [sms().send(SMS, PAGE).detail for _ in range(2)]
    details.append(sms("wrong-token-0000000").send(SMS, PAGE).detail)
    everything = all_logs.text + " ".join(details)
    assert "HTTP Request: POST" in all_logs.text
    assert TWILIO_TOKEN not in everything
    assert "wrong-token-0000000" not in everything
    assert base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode() not in everything
