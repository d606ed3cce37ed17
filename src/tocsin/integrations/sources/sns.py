"""Amazon SNS HTTP(S) subscription messages: the envelope, whatever it carries.

SNS posts JSON as `text/plain`. `Type` (and the `x-amz-sns-message-type` header, which must
agree with it) says which message this is:
- SubscriptionConfirmation: GET its `subscribe_url` to confirm (only for expected topics).
- UnsubscribeConfirmation: the subscription is gone; `subscribe_url` would restore it.
- Notification: `message` is what was published (for CloudWatch, an alarm as JSON).
Each result keeps the decoded `envelope` for `sns_signature.verify`. Verify before acting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tocsin.core.alerts import FieldProblem
from tocsin.integrations.sources.fields import Reader, as_object, decode

TYPE_HEADER = "x-amz-sns-message-type"
TOPIC_HEADER = "x-amz-sns-topic-arn"
_REQUIRED = ("MessageId", "TopicArn", "Message", "Timestamp")
_CONFIRMATION_REQUIRED = (*_REQUIRED, "Token", "SubscribeURL")


@dataclass(frozen=True, slots=True)
class SubscriptionConfirmation:
    message_id: str
    topic_arn: str
    token: str
    subscribe_url: str
    envelope: dict[str, object] = field(repr=False)


@dataclass(frozen=True, slots=True)
class UnsubscribeConfirmation:
    message_id: str
    topic_arn: str
    token: str
    subscribe_url: str
    envelope: dict[str, object] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Notification:
    message_id: str
    topic_arn: str
    subject: str | None
    message: str
    envelope: dict[str, object] = field(repr=False)


@dataclass(frozen=True, slots=True)
class InvalidMessage:
    """Not an SNS message we can read; nothing to verify or act on."""

    problems: list[FieldProblem]


SnsMessage = SubscriptionConfirmation | UnsubscribeConfirmation | Notification | InvalidMessage


def parse_envelope(headers: Mapping[str, str], body: bytes) -> SnsMessage:
    """One SNS POST: its headers (any case) and raw body."""
    decoded = decode(body)
    envelope = as_object(decoded, "") if not isinstance(decoded, FieldProblem) else decoded
    if isinstance(envelope, FieldProblem):
        return InvalidMessage([envelope])
    fields = Reader(envelope)
    kind = fields.text("Type", required=True)
    _check_headers(fields, {k.lower(): v for k, v in headers.items()})
    if kind == "Notification":
        return _notification(fields)
    if kind in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
        return _confirmation(fields, kind)
    if kind is not None:
        fields.problem("Type", f"unknown SNS message type {kind!r}")
    return InvalidMessage(fields.problems)


def _check_headers(fields: Reader, headers: Mapping[str, str]) -> None:
    for header, key in ((TYPE_HEADER, "Type"), (TOPIC_HEADER, "TopicArn")):
        said = headers.get(header)
        if said is not None and said != fields.value.get(key):
            fields.problems.append(FieldProblem(f"headers.{header}", f"does not match {key}"))


def _notification(fields: Reader) -> SnsMessage:
    found = {key: fields.text(key, required=True) for key in _REQUIRED}
    subject = fields.text("Subject")
    if fields.problems:
        return InvalidMessage(fields.problems)
    return Notification(
        message_id=str(found["MessageId"]),
        topic_arn=str(found["TopicArn"]),
        subject=subject,
        message=str(found["Message"]),
        envelope=dict(fields.value),
    )


def _confirmation(fields: Reader, kind: str) -> SnsMessage:
    found = {key: str(fields.text(key, required=True)) for key in _CONFIRMATION_REQUIRED}
    if fields.problems:
        return InvalidMessage(fields.problems)
    made = (
        SubscriptionConfirmation if kind == "SubscriptionConfirmation" else UnsubscribeConfirmation
    )
    return made(
        message_id=found["MessageId"],
        topic_arn=found["TopicArn"],
        token=found["Token"],
        subscribe_url=found["SubscribeURL"],
        envelope=dict(fields.value),
    )
