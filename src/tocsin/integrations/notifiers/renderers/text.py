"""Text helpers every channel's renderer uses: clean what people wrote, cut it to a channel's
limit, and decide which links are safe to show."""

from __future__ import annotations

from urllib.parse import urlsplit

from tocsin.core.notify import Notification, Purpose

ELLIPSIS = "…"

HEADLINES = {
    Purpose.PAGE: "Page",
    Purpose.ANNOUNCE: "Incident",
    Purpose.UPDATE: "Update",
    Purpose.RESOLVED: "Resolved",
    Purpose.REMINDER: "Reminder",
    Purpose.TEST: "Test page",
    Purpose.HANDOFF: "On-call hand-off",
}


def clean(text: str) -> str:
    """Drop what no channel can carry: control characters (newlines and tabs stay), and lone
    surrogates, which cannot be encoded as UTF-8."""
    return "".join(c for c in text if c in "\n\t" or not _unsafe(ord(c)))


def _unsafe(code: int) -> bool:
    return (
        code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF)
    )


def one_line(text: str) -> str:
    return " ".join(clean(text).split())


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending with … when something was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS if limit > 0 else ""


def cut_utf16(text: str, limit: int) -> str:
    """At most `limit` UTF-16 code units (how Telegram counts), ending with … when cut."""
    if utf16_len(text) <= limit:
        return text
    out, used = [], 0
    for c in text:
        size = 2 if ord(c) > 0xFFFF else 1
        if used + size > limit - 1:
            break
        out.append(c)
        used += size
    return "".join(out) + ELLIPSIS


def utf16_len(text: str) -> int:
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def cut_bytes(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, ending with … when cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = max(limit - len(ELLIPSIS.encode("utf-8")), 0)
    return data[:room].decode("utf-8", "ignore") + ELLIPSIS


def web_link(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) address without spaces or controls, else None:
    nothing else becomes a link or a button."""
    if not url or len(url) > 2000 or any(not c.isprintable() or c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def headline(n: Notification) -> str:
    """The title, or something to show when the title is empty."""
    title = one_line(n.title)
    if title:
        return title
    return one_line(n.incident or "") or HEADLINES[n.purpose]


def label(n: Notification) -> str:
    """'P1 INC-7' style prefix facts, for channels without layout."""
    return " ".join(one_line(part) for part in (n.severity, n.incident) if part and one_line(part))


def show_actions(n: Notification) -> bool:
    """Acknowledge and Resolve make sense while an incident is open."""
    return bool(n.incident) and n.purpose in (
        Purpose.PAGE,
        Purpose.ANNOUNCE,
        Purpose.UPDATE,
        Purpose.REMINDER,
    )
