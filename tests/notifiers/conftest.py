"""Fixtures for the notifier tests: each service's fake on 127.0.0.1, and short timeouts so
a hanging server costs well under a second."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Protocol, TypeVar

import pytest

from tests.support.fakes.base import running
from tests.support.fakes.ntfy import FakeNtfy
from tests.support.fakes.receiver import FakeReceiver
from tests.support.fakes.slack import FakeSlack
from tests.support.fakes.telegram import FakeTelegram
from tests.support.fakes.twilio import FakeTwilio
from tocsin.core.notify import Notification, Purpose
from tocsin.integrations.notifiers.http import Timeouts

FAST = Timeouts(connect=1.0, read=0.4)
SLACK_TOKEN = "xoxb-1111-2222-SECRETslacktoken"  # noqa: S105 - a test credential
TELEGRAM_TOKEN = "123456789:AAH-SECRETtelegramTOKENvalue"  # noqa: S105 - a test credential
TWILIO_SID = "AC" + "0" * 31 + "1"
TWILIO_TOKEN = "SECRETtwilioAuthToken0001"  # noqa: S105 - a test credential
NTFY_TOKEN = "tk_SECRETntfytokenvalue0001"  # noqa: S105 - a test credential
WEBHOOK_SECRET = "SECRETwebhookHmacKey"  # noqa: S105 - a test credential
WEBHOOK_PATH = "/services/T000/B000/SECRETwebhookPATH"

PAGE = Notification(
    Purpose.PAGE,
    "P1 INC-7: API returning 500s",
    "Error rate 12% on /v1/orders & <climbing>.",
    incident="INC-7",
    severity="P1",
    urgent=True,
    ack_url="https://tocsin.example/ack/abc.def",
    incident_url="https://tocsin.example/incidents/INC-7",
    idempotency_key="page:INC-7:alice:1",
)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with running(FakeSlack(SLACK_TOKEN, {"C0INCIDENTS", "U0ALICE"}, WEBHOOK_PATH)) as server:
        assert isinstance(server, FakeSlack)
        yield server


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(TELEGRAM_TOKEN, {"42", "-1001234567890", "77"}, frozenset({"77"}))
    with running(fake) as server:
        assert isinstance(server, FakeTelegram)
        yield server


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with running(FakeTwilio(TWILIO_SID, TWILIO_TOKEN)) as server:
        assert isinstance(server, FakeTwilio)
        yield server


@pytest.fixture
def ntfy() -> Iterator[FakeNtfy]:
    with running(FakeNtfy(NTFY_TOKEN)) as server:
        assert isinstance(server, FakeNtfy)
        yield server


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    with running(FakeReceiver()) as server:
        assert isinstance(server, FakeReceiver)
        yield server


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log line at every level, the HTTP clients' included."""
    caplog.set_level(logging.DEBUG)
    return caplog


class Closable(Protocol):
    def close(self) -> None: ...


T = TypeVar("T", bound=Closable)


class Closing(Protocol):
    def __call__(self, notifier: T) -> T: ...


@pytest.fixture
def closing() -> Iterator[Closing]:
    """`closing(notifier)` returns it and closes it (its HTTP client) after the test."""
    made: list[Closable] = []

    def track(notifier: T) -> T:
        made.append(notifier)
        return notifier

    yield track
    for notifier in made:
        notifier.close()
