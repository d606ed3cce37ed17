"""Slack: a Notification as Block Kit (header, section, context, actions) with a plain-text
fallback, for chat.postMessage and incoming webhooks alike.

The buttons carry the incident id as their `value`; Slack posts the click to the app's
interactivity URL with `action_id` `tocsin_acknowledge` or `tocsin_resolve`.
"""

from __future__ import annotations

from typing import Any

from tocsin.core.notify import Notification, Purpose
from tocsin.integrations.notifiers.renderers.text import (
    ELLIPSIS,
    clean,
    cut,
    headline,
    one_line,
    show_actions,
    web_link,
)

ACKNOWLEDGE = "tocsin_acknowledge"
RESOLVE = "tocsin_resolve"
OPEN = "tocsin_open"
ACK_LINK = "tocsin_ack_link"  # a link button: Slack opens the acknowledge link
HEADER_LIMIT = 150  # plain_text in a header block
SECTION_LIMIT = 3000  # mrkdwn in a section
CONTEXT_LIMIT = 2000  # mrkdwn in a context element
FALLBACK_LIMIT = 3000  # Slack cuts `text` at 40,000; notifications stay short
EMOJI = {
    Purpose.PAGE: ":rotating_light:",
    Purpose.ANNOUNCE: ":rotating_light:",
    Purpose.UPDATE: ":memo:",
    Purpose.RESOLVED: ":white_check_mark:",
    Purpose.REMINDER: ":alarm_clock:",
    Purpose.TEST: ":test_tube:",
    Purpose.HANDOFF: ":busts_in_silhouette:",
}


def escape(text: str) -> str:
    """mrkdwn control characters: &, < and > (Slack's documented escapes)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(n: Notification) -> dict[str, Any]:
    """The body for chat.postMessage (add `channel`) or an incoming webhook."""
    body: dict[str, Any] = {"text": fallback(n), "blocks": blocks(n)}
    if n.thread:
        body["thread_ts"] = n.thread
    return body


def fit(text: str, limit: int) -> str:
    """Escaped, then at most `limit` characters, never cutting an escape in half."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    out, used = [], 0
    for char in text:
        piece = escape(char)
        if used + len(piece) > limit - len(ELLIPSIS):
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + ELLIPSIS


def fallback(n: Notification) -> str:
    """What notifications and screen readers show."""
    text = one_line(n.text)
    line = f"{headline(n)}: {text}" if text else headline(n)
    return escape(cut(line, FALLBACK_LIMIT))


def blocks(n: Notification) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": cut(headline(n), HEADER_LIMIT), "emoji": True},
        }
    ]
    body = clean(n.text).strip()
    if body:
        out.append(_mrkdwn_section(fit(body, SECTION_LIMIT)))
    out.append({"type": "context", "elements": [_mrkdwn(_facts(n))]})
    buttons = _buttons(n)
    if buttons:
        out.append({"type": "actions", "block_id": "tocsin_actions", "elements": buttons})
    return out


def _facts(n: Notification) -> str:
    """Severity, incident (linked), urgency: short by construction, under CONTEXT_LIMIT."""
    parts = [EMOJI[n.purpose]]
    if n.severity and one_line(n.severity):
        parts.append(f"*{fit(one_line(n.severity), 100)}*")
    if n.incident and one_line(n.incident):
        name = fit(one_line(n.incident), 100)
        link = _link_url(web_link(n.incident_url) or "")
        parts.append(f"<{link}|{name}>" if link and len(link) <= 1500 else name)
    if n.purpose is Purpose.PAGE and n.urgent:
        parts.append("urgent page")
    return "  ".join(parts)


def _link_url(url: str) -> str:
    """A URL inside <…|…>: Slack ends the link at | or >."""
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def _buttons(n: Notification) -> list[dict[str, Any]]:
    buttons: list[dict[str, Any]] = []
    if show_actions(n) and n.incident:
        value = cut(one_line(n.incident), 2000)
        buttons.append(_button("Acknowledge", ACKNOWLEDGE, value, style="primary"))
        buttons.append(_button("Resolve", RESOLVE, value, style="danger"))
    ack = web_link(n.ack_url)
    if n.purpose is Purpose.TEST and ack and len(ack) <= 3000:  # a test has no incident
        buttons.append({**_button("Acknowledge test", ACK_LINK, "test", "primary"), "url": ack})
    link = web_link(n.incident_url)
    if link and len(link) <= 3000:
        buttons.append({**_button("Open incident", OPEN, "open"), "url": link})
    return buttons


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _mrkdwn_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}
