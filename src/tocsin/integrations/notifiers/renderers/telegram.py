"""Telegram: a Notification as a sendMessage body in HTML parse mode, with an inline
Acknowledge button.

Everything people wrote is escaped (`&`, `<`, `>`, and `"` inside attributes), so a title
like "p99 < 200ms" is shown, not refused with "can't parse entities". The button's
`callback_data` is `ack:<incident>` (at most 64 bytes); the bot's webhook answers it.
"""

from __future__ import annotations

import html
from typing import Any

from tocsin.core.notify import Notification, Purpose
from tocsin.integrations.notifiers.renderers.text import (
    clean,
    cut_utf16,
    headline,
    label,
    one_line,
    show_actions,
    utf16_len,
    web_link,
)

TEXT_LIMIT = 4096  # characters after entity parsing, counted in UTF-16 code units
CALLBACK_LIMIT = 64  # bytes of callback_data
ACK_PREFIX = "ack:"
ICONS = {
    Purpose.PAGE: "🚨",
    Purpose.ANNOUNCE: "🚨",
    Purpose.UPDATE: "📝",
    Purpose.RESOLVED: "✅",
    Purpose.REMINDER: "⏰",
    Purpose.TEST: "🧪",
    Purpose.HANDOFF: "👥",
}


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def message(n: Notification, chat_id: str) -> dict[str, Any]:
    """The sendMessage body."""
    body: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text(n),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "disable_notification": n.purpose is Purpose.UPDATE and not n.urgent,
    }
    if n.thread and n.thread.isdigit():
        body["reply_parameters"] = {
            "message_id": int(n.thread),
            "allow_sending_without_reply": True,
        }
    keyboard = buttons(n)
    if keyboard:
        body["reply_markup"] = {"inline_keyboard": [keyboard]}
    return body


def text(n: Notification) -> str:
    """HTML whose visible text fits TEXT_LIMIT: the body is cut before it is escaped, so no
    entity or tag is ever cut in half."""
    head = f"{ICONS[n.purpose]} <b>{escape(headline(n))}</b>"
    facts = label(n)
    head_visible = f"{ICONS[n.purpose]} {headline(n)}"
    if facts:
        head += f"\n<i>{escape(facts)}</i>"
        head_visible += f"\n{facts}"
    links, links_visible = _links(n)
    room = TEXT_LIMIT - utf16_len(head_visible) - utf16_len(links_visible) - 2
    if room < 20:  # an absurd title: cut it instead of the links
        head_visible = cut_utf16(head_visible, TEXT_LIMIT // 2)
        head = escape(head_visible)
        room = TEXT_LIMIT - utf16_len(head_visible) - utf16_len(links_visible) - 2
    body = cut_utf16(clean(n.text).strip(), max(room, 0))
    parts = [head, escape(body) if body else "", links]
    return "\n".join(p for p in parts if p)


def _links(n: Notification) -> tuple[str, str]:
    """The HTML and the visible text of the incident and acknowledge links."""
    html_parts, visible = [], []
    incident_url = web_link(n.incident_url)
    if incident_url:
        name = one_line(n.incident or "") or "the incident"
        name = cut_utf16(name, 100)
        html_parts.append(f'<a href="{html.escape(incident_url)}">Open {escape(name)}</a>')
        visible.append(f"Open {name}")
    ack_url = web_link(n.ack_url)
    if ack_url and n.purpose in (Purpose.PAGE, Purpose.TEST):
        html_parts.append(f'<a href="{html.escape(ack_url)}">Acknowledge in the browser</a>')
        visible.append("Acknowledge in the browser")
    return " · ".join(html_parts), " · ".join(visible)


def buttons(n: Notification) -> list[dict[str, str]]:
    if not show_actions(n) or not n.incident:
        return []
    data = ACK_PREFIX + one_line(n.incident)
    if len(data.encode("utf-8")) > CALLBACK_LIMIT:
        return []
    return [{"text": "Acknowledge", "callback_data": data}]
