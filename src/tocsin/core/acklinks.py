"""Signed, expiring acknowledge links: what a page carries so one tap acknowledges.

A token names the incident and the page it was sent with, and when it expires, signed with
HMAC-SHA256 under the server's secret. It is checked in constant time; a forged, altered or
expired token is refused, and a token for an incident already acknowledged changes nothing
(the use case refuses it), so a replayed link cannot acknowledge twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tocsin.core.errors import ErrorKind, TocsinError

LIFETIME = timedelta(hours=24)


class BadAckLink(TocsinError):
    """Forged, altered, or expired: 403, and nothing changes."""

    kind = ErrorKind.FORBIDDEN


@dataclass(frozen=True, slots=True)
class AckClaim:
    incident: int
    who: str  # the person paged: the acknowledgement is theirs
    page: str  # the page key, so the timeline can say which page was answered
    expires: datetime


def sign(secret: bytes, claim: AckClaim) -> str:
    body = json.dumps(
        {"i": claim.incident, "w": claim.who, "p": claim.page, "e": int(claim.expires.timestamp())},
        separators=(",", ":"),
    ).encode()
    return f"{_b64(body)}.{_b64(_mac(secret, body))}"


def verify(secret: bytes, token: str, now: datetime) -> AckClaim:
    body_text, _, mac_text = token.partition(".")
    try:
        body, mac = _unb64(body_text), _unb64(mac_text)
    except ValueError:
        raise BadAckLink("this acknowledge link is not valid") from None
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise BadAckLink("this acknowledge link is not valid")
    data = json.loads(body)
    expires = datetime.fromtimestamp(data["e"], UTC)
    claim = AckClaim(int(data["i"]), str(data["w"]), str(data["p"]), expires)
    if claim.expires <= now:
        raise BadAckLink("this acknowledge link has expired; acknowledge in Tocsin instead")
    return claim


def _mac(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, b"tocsin-ack:" + body, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or len(text) > 1000:
        raise ValueError(text)
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError(text) from exc
