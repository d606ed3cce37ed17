"""Checking that a button press or keypress really comes from Slack, Telegram or Twilio,
as their documentation says to: pure functions, constant-time comparisons."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta

SLACK_SKEW = timedelta(minutes=5)  # Slack: reject timestamps more than 5 minutes off


def slack_ok(secret: str, timestamp: str, body: bytes, signature: str, now: datetime) -> bool:
    """`X-Slack-Signature` is "v0=" + hex HMAC-SHA256 of "v0:{timestamp}:{body}"."""
    try:
        sent = datetime.fromtimestamp(int(timestamp), now.tzinfo)
    except (ValueError, OverflowError, OSError):
        return False
    if abs(now - sent) > SLACK_SKEW:
        return False  # a replayed request
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def telegram_ok(secret: str, sent: str | None) -> bool:
    """Telegram echoes the webhook's `secret_token` in X-Telegram-Bot-Api-Secret-Token."""
    return sent is not None and hmac.compare_digest(secret, sent)


def twilio_ok(auth_token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """`X-Twilio-Signature`: base64 HMAC-SHA1 of the full URL followed by every POST
    parameter's name and value, sorted by name."""
    data = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), signature)
