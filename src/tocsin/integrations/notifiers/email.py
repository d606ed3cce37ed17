"""E-mail over SMTP: STARTTLS (or TLS from the first byte), optional AUTH, a text and an HTML
part, and an attachment hook (an iCalendar invitation, for instance). `to.address` is the
recipient.

SMTP answers in codes: 4xx is "try later" (RETRY), 5xx is "never" (FAILED). A refused
login or a server without STARTTLS when it is required is FAILED: retrying will not fix it.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from tocsin.app.clock import SystemClock
from tocsin.app.ports import Clock
from tocsin.core.notify import ContactKind, ContactMethod, Delivery, Notification
from tocsin.integrations.notifiers.http import (
    DEFAULT_TIMEOUTS,
    Timeouts,
    clip,
    failed,
    note,
    retry,
    sent,
)
from tocsin.integrations.notifiers.renderers import email as render
from tocsin.integrations.notifiers.secrets import protect


@dataclass(frozen=True, slots=True)
class EmailAttachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "octet-stream"
    params: dict[str, str] = field(default_factory=dict)  # {"method": "REQUEST"} for text/calendar


Attach = Callable[[ContactMethod, Notification], Sequence[EmailAttachment]]


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    starttls: bool = True  # upgrade a plain connection; refuse to go on without it
    tls: bool = False  # TLS from the first byte (port 465)
    username: str | None = None
    password: str | None = None
    sender: str = "tocsin@localhost"
    sender_name: str = "Tocsin"


class EmailNotifier:
    kind = ContactKind.EMAIL

    def __init__(
        self,
        settings: SmtpSettings,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        clock: Clock | None = None,
        tls_context: ssl.SSLContext | None = None,
        attach: Attach | None = None,
    ) -> None:
        self._settings = settings
        self._redact = protect([settings.password or ""])
        self._timeout = max(timeouts.connect, timeouts.read)
        self._clock = clock or SystemClock()
        self._tls = tls_context or ssl.create_default_context()
        self._attach = attach

    def send(self, to: ContactMethod, notification: Notification) -> Delivery:
        try:
            message = self.message(to, notification)
        except ValueError as exc:  # a header that cannot be written: a bad address
            return note(to, failed(self._clock, f"cannot address the e-mail: {exc}"))
        try:
            self._deliver(message, to.address)
        except smtplib.SMTPResponseException as exc:
            return note(to, self._answered(exc.smtp_code, exc.smtp_error))
        except smtplib.SMTPRecipientsRefused as exc:
            code, words = next(iter(exc.recipients.values()), (550, b"refused"))
            return note(to, self._answered(code, words))
        except smtplib.SMTPNotSupportedError as exc:
            return note(to, failed(self._clock, f"the SMTP server does not offer it: {exc}"))
        except ssl.SSLCertVerificationError as exc:
            return note(
                to, failed(self._clock, f"the SMTP server's certificate: {exc.verify_message}")
            )
        except (smtplib.SMTPException, OSError) as exc:
            # Disconnected, refused, reset, timed out, TLS handshake cut: worth another try.
            return note(to, retry(self._clock, self._redact(f"{type(exc).__name__}: {exc}")))
        return note(to, sent(self._clock, message["Message-ID"]))

    def message(self, to: ContactMethod, n: Notification) -> EmailMessage:
        content = render.render(n)
        s = self._settings
        message = EmailMessage()
        message["Subject"] = content.subject
        message["From"] = formataddr((s.sender_name, s.sender))
        message["To"] = to.address
        message["Date"] = format_datetime(self._clock.now())
        message["Message-ID"] = _message_id(n.idempotency_key, s.sender)
        message["Auto-Submitted"] = "auto-generated"
        if n.thread:
            message["In-Reply-To"] = message["References"] = n.thread
        if content.urgent:
            message["X-Priority"] = "1"
            message["Importance"] = "high"
        message.set_content(content.text)
        message.add_alternative(content.html, subtype="html")
        if n.extra.get("ics"):  # a meeting invitation: the calendar as the third alternative
            message.add_alternative(
                n.extra["ics"], subtype="calendar", params={"method": "REQUEST"}
            )
        for item in self._attach(to, n) if self._attach else ():
            message.add_attachment(
                item.content,
                item.maintype,
                item.subtype,
                filename=item.filename,
                params=item.params,
            )
        return message

    def _deliver(self, message: EmailMessage, recipient: str) -> None:
        s = self._settings
        if s.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=self._timeout, context=self._tls
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=self._timeout)
        with client:
            client.ehlo()
            if s.starttls and not s.tls:
                client.starttls(context=self._tls)
                client.ehlo()
            if s.username is not None:
                client.login(s.username, s.password or "")
            client.send_message(message, s.sender, [recipient])

    def _answered(self, code: int, words: bytes | str) -> Delivery:
        text = words.decode("utf-8", "replace") if isinstance(words, bytes) else str(words)
        detail = self._redact(clip(f"SMTP {code}: {text}", 240))
        if 400 <= code < 500:
            return retry(self._clock, detail)
        return failed(self._clock, detail)


def _message_id(key: str, sender: str) -> str:
    """The same idempotency key gives the same Message-ID, so a repeat is recognisable."""
    domain = sender.rpartition("@")[2] or "tocsin"
    if not key:
        return make_msgid("tocsin", domain)
    return f"<tocsin.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"
