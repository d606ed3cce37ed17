"""E-mail against a real SMTP server (aiosmtpd) with STARTTLS and AUTH."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import START
from tests.notifiers.conftest import FAST, PAGE
from tests.support.fakes.smtp import SmtpServer, silent_server, smtp_server
from tocsin.app.clock import ManualClock
from tocsin.core.notify import ContactKind, ContactMethod, DeliveryStatus
from tocsin.integrations.notifiers.email import EmailAttachment, EmailNotifier, SmtpSettings

USER, PASSWORD = "tocsin", "SECRETsmtpPassword1"
ALICE = ContactMethod(ContactKind.EMAIL, "alice@example.com")


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    with smtp_server(tmp_path / "tls", USER, PASSWORD) as server:
        yield server


def settings(smtp: SmtpServer, password: str = PASSWORD) -> SmtpSettings:
    return SmtpSettings(
        smtp.host, smtp.port, True, False, USER, password, "tocsin@example.com", "Tocsin"
    )


def notifier(smtp: SmtpServer, **kwargs: object) -> EmailNotifier:
    return EmailNotifier(
        settings(smtp, **kwargs),  # type: ignore[arg-type]
        FAST,
        ManualClock(START),
        tls_context=smtp.client_tls,
    )


def test_starttls_auth_and_a_text_and_html_message(smtp: SmtpServer) -> None:
    delivery = notifier(smtp).send(ALICE, PAGE)

    assert delivery.status is DeliveryStatus.SENT, delivery
    [received] = smtp.received
    assert (received.tls, received.login) == (True, USER)
    assert (received.mail_from, received.rcpt_tos) == ("tocsin@example.com", [ALICE.address])
    message = received.message()
    assert message["Subject"] == "[Page] P1 INC-7: P1 INC-7: API returning 500s"
    assert message["From"] == "Tocsin <tocsin@example.com>"
    assert message["Message-ID"] == delivery.remote_id
    assert message["X-Priority"] == "1"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Acknowledge: https://tocsin.example/ack/abc.def" in text.get_content()
    assert "&amp; &lt;climbing&gt;" in html.get_content()


def test_the_same_page_has_the_same_message_id(smtp: SmtpServer) -> None:
    first = notifier(smtp).send(ALICE, PAGE)
    again = notifier(smtp).send(ALICE, PAGE)
    other = notifier(smtp).send(ALICE, replace(PAGE, idempotency_key="page:INC-7:alice:2"))
    assert first.remote_id == again.remote_id != other.remote_id


def test_an_attachment_hook_adds_an_invitation(smtp: SmtpServer) -> None:
    invite = EmailAttachment(
        "shift.ics",
        b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        "text",
        "calendar",
        {"method": "REQUEST"},
    )
    sender = EmailNotifier(
        settings(smtp), FAST, ManualClock(START), smtp.client_tls, attach=lambda to, n: [invite]
    )
    assert sender.send(ALICE, PAGE).status is DeliveryStatus.SENT
    [part] = smtp.received[0].message().iter_attachments()
    assert part.get_filename() == "shift.ics"
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"


def test_a_wrong_password_fails_for_good_without_showing_it(
    smtp: SmtpServer, all_logs: pytest.LogCaptureFixture
) -> None:
    wrong = "SECRETwrongPassword2"
    delivery = notifier(smtp, password=wrong).send(ALICE, PAGE)
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.detail.startswith("SMTP 535")
    assert "SECRETwrongPassword2" not in delivery.detail + all_logs.text
    assert smtp.received == []


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("550 5.1.1 No such user", DeliveryStatus.FAILED),
        ("451 4.3.0 Try later", DeliveryStatus.RETRY),
    ],
)
def test_a_refused_recipient(smtp: SmtpServer, answer: str, status: DeliveryStatus) -> None:
    smtp.handler.refuse[ALICE.address] = answer
    delivery = notifier(smtp).send(ALICE, PAGE)
    assert (delivery.status, delivery.detail) == (status, f"SMTP {answer[:3]}: {answer[4:]}")


def test_a_server_without_starttls_is_refused_for_good(tmp_path: Path) -> None:
    with smtp_server(tmp_path / "tls", USER, PASSWORD, starttls=False) as plain:
        delivery = notifier(plain).send(ALICE, PAGE)
    assert delivery.status is DeliveryStatus.FAILED
    assert "STARTTLS" in delivery.detail
    assert plain.received == []


def test_an_untrusted_certificate_is_refused(smtp: SmtpServer) -> None:
    sender = EmailNotifier(settings(smtp), FAST, ManualClock(START), ssl.create_default_context())
    delivery = sender.send(ALICE, PAGE)
    assert delivery.status is DeliveryStatus.FAILED
    assert "certificate" in delivery.detail


@pytest.mark.parametrize("close", [False, True])
def test_a_silent_or_closing_server_costs_one_retry(close: bool) -> None:
    with silent_server(close=close) as port:
        sender = EmailNotifier(
            SmtpSettings("127.0.0.1", port, sender="tocsin@example.com"), FAST, ManualClock(START)
        )
        started = time.monotonic()
        delivery = sender.send(ALICE, PAGE)
    assert delivery.status is DeliveryStatus.RETRY, delivery
    assert time.monotonic() - started < 3


def test_nobody_listening_is_a_retry() -> None:
    sender = EmailNotifier(SmtpSettings("127.0.0.1", 9, sender="t@example.com"), FAST)
    assert sender.send(ALICE, PAGE).status is DeliveryStatus.RETRY


def test_an_address_that_would_inject_headers_is_refused(smtp: SmtpServer) -> None:
    evil = ContactMethod(ContactKind.EMAIL, "alice@example.com\r\nBcc: all@example.com")
    delivery = notifier(smtp).send(evil, PAGE)
    assert delivery.status is DeliveryStatus.FAILED
    assert smtp.received == []
