"""Grafana's webhook contact point: Alertmanager's shape plus Grafana's own fields.

Mapped exactly as Alertmanager (see `alertmanager`), with source "grafana", and these
per-alert fields kept as annotations when set (an alert's own annotation of the same name
wins): `values` as `values` ("B=44.2, C=1", the way Grafana's message writes them),
`silenceURL` as `silence_url`, `dashboardURL` as `dashboard_url`, `panelURL` as `panel_url`,
`imageURL` as `image_url`. The deprecated top-level `title`, `state` and `message` and the
`orgId` are not used: each alert's `status` is what counts.

Grafana can sign the body: `verify_hmac` checks it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from tocsin.core.alerts import FieldProblem, Parsed
from tocsin.integrations.sources.alertmanager import parse_webhook
from tocsin.integrations.sources.fields import decode, to_text

SOURCE = "grafana"
_LINKS = {
    "silenceURL": "silence_url",
    "dashboardURL": "dashboard_url",
    "panelURL": "panel_url",
    "imageURL": "image_url",
}


def parse(payload: object) -> Parsed:
    return parse_webhook(payload, source=SOURCE, extra=grafana_annotations)


def parse_bytes(body: bytes) -> Parsed:
    payload = decode(body)
    return Parsed(problems=[payload]) if isinstance(payload, FieldProblem) else parse(payload)


def grafana_annotations(alert: Mapping[str, object]) -> dict[str, str]:
    """Grafana's extra alert fields. They are informational: a wrong type is skipped, never
    a reason to refuse the alert."""
    found = {name: alert[key] for key, name in _LINKS.items() if key in alert}
    kept: dict[str, str] = {k: v for k, v in found.items() if isinstance(v, str) and v.strip()}
    values = alert.get("values")
    if isinstance(values, dict) and values:
        kept["values"] = ", ".join(f"{name}={to_text(value)}" for name, value in values.items())
    return kept


def verify_hmac(secret: bytes, body: bytes, signature_hex: str, timestamp: str | None) -> bool:
    """Whether `signature_hex` is hex(HMAC-SHA256(secret, [timestamp + ":"] + body)), as
    Grafana signs it when a secret is configured (the timestamp only when Grafana is set to
    send a timestamp header). Compared in constant time; checking the timestamp's age is the
    caller's business."""
    signed = body if timestamp is None else timestamp.encode("utf-8", "surrogatepass") + b":" + body
    expected = hmac.new(secret, signed, hashlib.sha256).hexdigest().encode("ascii")
    given = signature_hex.strip().lower().encode("utf-8", "surrogatepass")
    return hmac.compare_digest(expected, given)
