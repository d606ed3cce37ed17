"""Twilio: a Notification as an SMS body, and as the TwiML a voice call reads.

The call reads the incident twice inside `<Gather numDigits="1">`; the digit pressed is posted
(form field `Digits`) to the notification's acknowledge URL, which acknowledges on "1".
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from tocsin.core.notify import Notification, Purpose
from tocsin.integrations.notifiers.renderers.text import (
    clean,
    cut,
    headline,
    label,
    one_line,
    web_link,
)

SMS_LIMIT = 1600  # Twilio refuses longer bodies (error 21617)
SPOKEN_LIMIT = 600  # characters read aloud: long enough for the facts, short enough to listen to
TWIML_LIMIT = 4000  # the most inline Twiml a Calls request may carry
GATHER_TIMEOUT = 8


def sms_body(n: Notification) -> str:
    """At most SMS_LIMIT characters: the facts and title, the text, and one link."""
    facts = label(n)
    head = cut(f"[{facts}] {headline(n)}" if facts else headline(n), SMS_LIMIT // 4)
    ack, incident = web_link(n.ack_url), web_link(n.incident_url)
    link = ack if ack and n.purpose in (Purpose.PAGE, Purpose.TEST) else incident
    tail = f"\nAck: {link}" if link and link == ack else f"\n{link}" if link else ""
    if len(tail) > SMS_LIMIT // 2:
        tail = ""
    body = cut(clean(n.text).strip(), SMS_LIMIT - len(head) - len(tail) - 1)
    return head + (f"\n{body}" if body else "") + tail


def spoken(n: Notification, limit: int = SPOKEN_LIMIT) -> str:
    """What the call says: spoken-friendly ("incident INC 7"), without links."""
    parts = ["This is Tocsin."]
    if n.purpose is Purpose.TEST:
        parts.append("This is a test page.")
    facts = label(n).replace("-", " ")
    if facts:
        parts.append(f"{facts}.")
    parts.append(f"{headline(n)}.")
    body = one_line(n.text)
    if body:
        parts.append(body)
    return cut(" ".join(parts), limit)


def twiml(n: Notification) -> str:
    """The inline TwiML for the call, within TWIML_LIMIT (the reading is cut to fit)."""
    for limit in (SPOKEN_LIMIT, SPOKEN_LIMIT // 3, 0):
        document = _twiml(n, limit)
        if len(document) <= TWIML_LIMIT:
            return document
    return _twiml(Notification(n.purpose, "", ""), 0)


def _twiml(n: Notification, limit: int) -> str:
    said = escape(spoken(n, limit)) if limit else "This is Tocsin."
    ack = web_link(n.ack_url)
    if not ack:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><Response><Say loop="2">{said} '
            "Acknowledge in Tocsin.</Say></Response>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Gather numDigits="1" action={quoteattr(ack)} method="POST" '
        f'timeout="{GATHER_TIMEOUT}">'
        f'<Say loop="2">{said} Press 1 to acknowledge.</Say>'
        "</Gather>"
        "<Say>No key was pressed. Goodbye.</Say>"
        "</Response>"
    )
