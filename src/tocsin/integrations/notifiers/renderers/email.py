"""E-mail: a Notification as a subject, a plain-text part and an HTML part."""

from __future__ import annotations

import html
from dataclasses import dataclass

from tocsin.core.notify import Notification, Purpose
from tocsin.integrations.notifiers.renderers.text import (
    HEADLINES,
    clean,
    cut,
    headline,
    label,
    web_link,
)

SUBJECT_LIMIT = 200
BODY_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str  # one line: no header injection through a title
    text: str
    html: str
    urgent: bool


def render(n: Notification) -> EmailContent:
    return EmailContent(subject(n), text(n), html_body(n), n.urgent)


def subject(n: Notification) -> str:
    facts = label(n)
    title = headline(n)
    line = (
        f"[{HEADLINES[n.purpose]}] {facts}: {title}"
        if facts
        else f"[{HEADLINES[n.purpose]}] {title}"
    )
    return cut(line, SUBJECT_LIMIT)


def _body(n: Notification) -> str:
    return cut(clean(n.text).strip(), BODY_LIMIT)


def text(n: Notification) -> str:
    lines = [headline(n)]
    facts = label(n)
    if facts:
        lines.append(facts)
    body = _body(n)
    if body:
        lines += ["", body]
    links = _links(n)
    if links:
        lines.append("")
        lines += [f"{name}: {url}" for name, url in links]
    return "\n".join(lines) + "\n"


def html_body(n: Notification) -> str:
    """Ours, or a whole HTML document made for mail (the quarterly review's) in `extra`."""
    if n.extra.get("html"):
        return n.extra["html"]
    facts = label(n)
    parts = [
        "<!doctype html>",
        '<html><body style="font-family: sans-serif">',
        f"<h2>{html.escape(headline(n))}</h2>",
    ]
    if facts:
        parts.append(f"<p><strong>{html.escape(facts)}</strong></p>")
    body = _body(n)
    if body:
        parts.append(f'<p style="white-space: pre-wrap">{html.escape(body)}</p>')
    for name, url in _links(n):
        parts.append(f'<p><a href="{html.escape(url)}">{html.escape(name)}</a></p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _links(n: Notification) -> list[tuple[str, str]]:
    links = []
    ack = web_link(n.ack_url)
    if ack and n.purpose in (Purpose.PAGE, Purpose.ANNOUNCE, Purpose.TEST):
        links.append(("Acknowledge", ack))
    incident = web_link(n.incident_url)
    if incident:
        links.append(("Open the incident", incident))
    return links
