"""What paging and announcing share: where a person or a channel is reached, what is said,
and what the far side answered. Pure data: the adapters in integrations/notifiers/ render a
Notification for their channel and deliver it; the use cases decide who, when and what next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class ContactKind(StrEnum):
    """How a person (or a team channel) is reached."""

    EMAIL = "email"  # an address, over SMTP
    SLACK = "slack"  # a Slack user id (U…) or channel id (C…), chat.postMessage as the bot
    SLACK_WEBHOOK = "slack_webhook"  # the name of an incoming webhook (its URL is a secret)
    TELEGRAM = "telegram"  # a chat id
    SMS = "sms"  # a phone number in E.164, through Twilio
    VOICE = "voice"  # a phone number in E.164: Twilio calls and asks to press 1
    NTFY = "ntfy"  # a topic on the configured ntfy server
    WEBHOOK = "webhook"  # the name of a configured outbound webhook (CloudEvents, HMAC)


@dataclass(frozen=True, slots=True)
class ContactMethod:
    kind: ContactKind
    address: str
    label: str = ""  # "work phone"; shown in `tocsin oncall check` and on the timeline


class Purpose(StrEnum):
    PAGE = "page"  # wake someone: urgent, with an acknowledge action
    ANNOUNCE = "announce"  # the INCIDENT message to a channel
    UPDATE = "update"  # a status update (Slack thread / Telegram reply to the announcement)
    RESOLVED = "resolved"
    REMINDER = "reminder"  # post an update; the post-mortem is due
    TEST = "test"  # `tocsin page test PERSON`
    HANDOFF = "handoff"  # your shift starts


@dataclass(frozen=True, slots=True)
class Notification:
    """One thing to say to one destination; every channel renders it its own way."""

    purpose: Purpose
    title: str  # "P1 INC-7: API returning 500s"
    text: str  # the body: the rendered seed message, or a page's summary
    incident: str | None = None  # "INC-7"
    severity: str | None = None  # "P1"
    urgent: bool = False  # ntfy priority 5, voice call, no silent delivery
    ack_url: str | None = None  # the signed, expiring acknowledge link
    incident_url: str | None = None  # the web page
    thread: str | None = None  # the remote id of the message to reply under (Slack ts, …)
    idempotency_key: str = ""  # the same page is never delivered twice by a retry
    extra: dict[str, str] = field(default_factory=dict)


class DeliveryStatus(StrEnum):
    SENT = "sent"  # accepted by the far side
    RETRY = "retry"  # failed for now: 5xx, 429, timeout, garbage, connection closed
    FAILED = "failed"  # failed for good: bad address, bad credentials; try the next method


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the far side answered. `remote_id` (Slack ts, Telegram message id, Twilio sid,
    ntfy id) lets updates thread under an announcement and lets a retry check what went out."""

    status: DeliveryStatus
    detail: str = ""  # the far side's own words, secrets removed
    remote_id: str | None = None
    retry_after: timedelta | None = None  # from Retry-After or the API's own field
    at: datetime | None = None
