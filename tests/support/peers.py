"""Every channel's far side at once, for tests that go through tocsin.yaml's `notifiers:`
as `tocsin serve` wires them: the fakes of Slack, Telegram, Twilio, ntfy and a webhook
receiver on 127.0.0.1, and aiosmtpd with STARTTLS and AUTH. What they received is what a
test checks, not Tocsin's own records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.fakes.base import running
from tests.support.fakes.ntfy import FakeNtfy
from tests.support.fakes.receiver import FakeReceiver
from tests.support.fakes.slack import FakeSlack
from tests.support.fakes.smtp import SmtpServer, smtp_server
from tests.support.fakes.telegram import FakeTelegram
from tests.support.fakes.twilio import FakeTwilio
from tocsin.bootstrap import Tocsin

SLACK_TOKEN = "xoxb-1111-2222-peerslacktoken"  # noqa: S105 - a test credential
TELEGRAM_TOKEN = "123456789:AAH-peertelegramTOKENvalue"  # noqa: S105 - a test credential
TWILIO_SID = "AC" + "0" * 31 + "2"
TWILIO_TOKEN = "peerTwilioAuthToken0002"  # noqa: S105 - a test credential
SMTP_USER, SMTP_PASSWORD = "tocsin", "peerSmtpPassword2"
PUBLIC_URL = "https://tocsin.example"
ACK = re.compile(re.escape(PUBLIC_URL) + r"/ack/[A-Za-z0-9_.%-]+")


@dataclass
class Peers:
    slack: FakeSlack
    telegram: FakeTelegram
    twilio: FakeTwilio
    ntfy: FakeNtfy
    receiver: FakeReceiver
    smtp: SmtpServer
    cert: Path  # trust it (SSL_CERT_FILE) so Tocsin's own SMTP client accepts the server

    def notifiers_yaml(self) -> str:
        return f"""\
notifiers:
  slack: {{base_url: "{self.slack.api_url}", bot_token_env: PEER_SLACK_TOKEN}}
  telegram: {{base_url: "{self.telegram.url}", bot_token_env: PEER_TELEGRAM_TOKEN}}
  twilio:
    base_url: "{self.twilio.base_url}"
    account_sid_env: PEER_TWILIO_SID
    auth_token_env: PEER_TWILIO_TOKEN
    from_number_env: PEER_TWILIO_FROM
  email:
    host: {self.smtp.host}
    port: {self.smtp.port}
    from: tocsin@example.com
    username_env: PEER_SMTP_USER
    password_env: PEER_SMTP_PASSWORD
  ntfy: {{base_url: "{self.ntfy.url}"}}
  webhooks:
    audit: {{url: "{self.receiver.url}/hook"}}
  timeouts: {{connect: 2s, read: 2s}}
"""

    def env(self) -> dict[str, str]:
        return {
            "PEER_SLACK_TOKEN": SLACK_TOKEN,
            "PEER_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
            "PEER_TWILIO_SID": TWILIO_SID,
            "PEER_TWILIO_TOKEN": TWILIO_TOKEN,
            "PEER_TWILIO_FROM": "+15005550006",
            "PEER_SMTP_USER": SMTP_USER,
            "PEER_SMTP_PASSWORD": SMTP_PASSWORD,
            "TOCSIN_PUBLIC_URL": PUBLIC_URL,
        }

    def deliveries(self) -> list[tuple[str, str]]:
        """(channel, destination) of every delivery each far side took, server by server."""
        twilio = [r for r in self.twilio.requests if r.fault is None]
        return [
            *[("slack", r.json()["channel"]) for r in self.slack.posts() if r.fault is None],
            *[("telegram", str(r.json()["chat_id"])) for r in self.telegram.requests],
            *[("sms", r.form()["To"]) for r in twilio if "Messages" in r.path],
            *[("voice", r.form()["To"]) for r in twilio if "Calls" in r.path],
            *[("ntfy", str(m["topic"])) for m in self.ntfy.messages],
            *[("webhook", r.path) for r in self.receiver.requests],
            *[("email", ",".join(m.rcpt_tos)) for m in self.smtp.received],
        ]

    def received(self) -> dict[str, list[str]]:
        """Per channel, the text each delivery carried (what a person would read)."""
        return {
            "slack": [r.json()["text"] for r in self.slack.posts()],
            "telegram": [r.json()["text"] for r in self.telegram.requests],
            "sms": [r.form()["Body"] for r in self.twilio.requests if "Messages" in r.path],
            "voice": [r.form()["Twiml"] for r in self.twilio.requests if "Calls" in r.path],
            "ntfy": [m["message"] for m in self.ntfy.messages],
            "webhook": [r.body.decode() for r in self.receiver.requests],
            "email": [str(m.message().get_body(("plain",))) for m in self.smtp.received],
        }


def close_notifiers(tocsin: Tocsin) -> None:
    """Close the notifiers' HTTP clients (a test's process outlives its app)."""
    for notifier in tocsin.notifiers.values():
        close = getattr(notifier, "close", None)
        if close is not None:
            close()


@contextmanager
def running_peers(directory: Path, slack_ids: set[str], chats: set[str]) -> Iterator[Peers]:
    with ExitStack() as stack:
        servers = [
            stack.enter_context(running(server))
            for server in (
                FakeSlack(SLACK_TOKEN, slack_ids, "/services/T0/B0/peer"),
                FakeTelegram(TELEGRAM_TOKEN, chats),
                FakeTwilio(TWILIO_SID, TWILIO_TOKEN),
                FakeNtfy(),
                FakeReceiver(),
            )
        ]
        smtp = stack.enter_context(smtp_server(directory / "tls", SMTP_USER, SMTP_PASSWORD))
        slack, telegram, twilio, ntfy, receiver = servers
        assert isinstance(slack, FakeSlack)
        assert isinstance(telegram, FakeTelegram)
        assert isinstance(twilio, FakeTwilio)
        assert isinstance(ntfy, FakeNtfy)
        assert isinstance(receiver, FakeReceiver)
        yield Peers(slack, telegram, twilio, ntfy, receiver, smtp, directory / "tls" / "cert.pem")
