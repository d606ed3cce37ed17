"""Outbound webhooks: a Notification as a CloudEvents 1.0 event in structured mode, and the
HMAC-SHA256 signature that lets the receiver check it came from this Tocsin.

Signature (the scheme Slack uses, with our names):
    X-Tocsin-Timestamp: <unix seconds>
    X-Tocsin-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>
A receiver recomputes it over the raw body and refuses timestamps more than 5 minutes off.

The event `id` is the notification's idempotency key when it has one, so a retried delivery
carries the same id and the receiver can drop the repeat (CloudEvents: `source` + `id` are
unique per event).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from tocsin.core.notify import Notification
from tocsin.integrations.notifiers.renderers.text import clean

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
TYPE_PREFIX = "io.tocsin."
SIGNATURE_HEADER = "X-Tocsin-Signature"
TIMESTAMP_HEADER = "X-Tocsin-Timestamp"
SIGNATURE_VERSION = "v1"
TOLERANCE = timedelta(minutes=5)


def event(n: Notification, source: str, now: datetime) -> dict[str, Any]:
    """The structured-mode event: context attributes and `data`."""
    out: dict[str, Any] = {
        "specversion": "1.0",
        "id": clean(n.idempotency_key) or str(uuid.uuid4()),
        "source": source,
        "type": TYPE_PREFIX + n.purpose.value,
        "time": now.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": data(n),
    }
    if n.incident:
        out["subject"] = clean(n.incident)
    return out


def data(n: Notification) -> dict[str, Any]:
    return {
        "purpose": n.purpose.value,
        "title": clean(n.title),
        "text": clean(n.text),
        "incident": _optional(n.incident),
        "severity": _optional(n.severity),
        "urgent": n.urgent,
        "ack_url": _optional(n.ack_url),
        "incident_url": _optional(n.incident_url),
        "thread": _optional(n.thread),
        "extra": {clean(k): clean(v) for k, v in n.extra.items()},
    }


def _optional(value: str | None) -> str | None:
    return None if value is None else clean(value)


def encode(cloud_event: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed."""
    return json.dumps(cloud_event, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, raw: bytes) -> str:
    signed = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + raw
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(secret: str, timestamp: str, raw: bytes, given: str, now: datetime) -> bool:
    """What a receiver does: the timestamp is recent and the signature matches."""
    try:
        sent = datetime.fromtimestamp(int(timestamp), now.tzinfo)
    except (ValueError, OverflowError, OSError):
        return False
    if abs(now - sent) > TOLERANCE:
        return False
    return hmac.compare_digest(signature(secret, timestamp, raw), given)
