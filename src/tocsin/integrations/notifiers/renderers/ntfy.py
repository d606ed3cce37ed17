"""ntfy: a Notification as a publish request: the message as the body, the rest as headers.

Headers travel as ASCII: a title with other characters is sent RFC 2047-encoded
(`=?utf-8?b?…?=`), which ntfy decodes. Actions use ntfy's JSON form of the `X-Actions` header
(ASCII-escaped), so commas and semicolons in a label or URL cannot split an action.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from tocsin.core.notify import Notification, Purpose
from tocsin.integrations.notifiers.renderers.text import (
    clean,
    cut,
    cut_bytes,
    headline,
    label,
    one_line,
    web_link,
)

MESSAGE_LIMIT = 4096  # bytes; ntfy turns a longer body into an attachment
TITLE_LIMIT = 250
PRIORITY_URGENT = "5"  # "urgent"/"max": may break through Do Not Disturb on Android
TAGS = {
    Purpose.PAGE: "rotating_light",
    Purpose.ANNOUNCE: "rotating_light",
    Purpose.UPDATE: "memo",
    Purpose.RESOLVED: "white_check_mark",
    Purpose.REMINDER: "alarm_clock",
    Purpose.TEST: "test_tube",
    Purpose.HANDOFF: "busts_in_silhouette",
}


@dataclass(frozen=True, slots=True)
class NtfyMessage:
    body: bytes
    headers: dict[str, str]


def priority(n: Notification) -> str:
    if n.urgent:
        return PRIORITY_URGENT
    if n.purpose in (Purpose.PAGE, Purpose.ANNOUNCE):
        return "4"  # high
    if n.purpose is Purpose.UPDATE:
        return "2"  # low: no sound for a status update
    return "3"


def render(n: Notification) -> NtfyMessage:
    facts = label(n)
    title = f"{facts}: {headline(n)}" if facts else headline(n)
    body = clean(n.text).strip() or headline(n)
    headers = {
        "X-Title": header_text(cut(title, TITLE_LIMIT)),
        "X-Priority": priority(n),
        "X-Tags": TAGS[n.purpose],
    }
    link = web_link(n.incident_url)
    if link:
        headers["X-Click"] = link
    actions = _actions(n)
    if actions:
        headers["X-Actions"] = json.dumps(actions, ensure_ascii=True, separators=(",", ":"))
    return NtfyMessage(cut_bytes(body, MESSAGE_LIMIT).encode("utf-8"), headers)


def _actions(n: Notification) -> list[dict[str, object]]:
    actions: list[dict[str, object]] = []
    ack = web_link(n.ack_url)
    if ack and n.purpose in (Purpose.PAGE, Purpose.ANNOUNCE, Purpose.TEST):
        actions.append(
            {"action": "http", "label": "Acknowledge", "url": ack, "method": "POST", "clear": True}
        )
    link = web_link(n.incident_url)
    if link:
        name = one_line(n.incident or "") or "incident"
        actions.append({"action": "view", "label": cut(f"Open {name}", 40), "url": link})
    return actions


def header_text(value: str) -> str:
    """ASCII as it is; anything else as an RFC 2047 encoded word."""
    value = one_line(value)
    if value.isascii():
        return value
    return "=?utf-8?b?" + base64.b64encode(value.encode("utf-8")).decode("ascii") + "?="
