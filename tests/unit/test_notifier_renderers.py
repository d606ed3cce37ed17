"""integrations/notifiers/renderers/: each channel's payload from a Notification, as pure
functions. Whatever people typed, no renderer raises and every payload stays within its
channel's documented limits; Telegram's HTML is escaped."""

from __future__ import annotations

import base64
import email.header
import html
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.support.fakes.telegram import html_problem, visible
from tocsin.core.notify import Notification, Purpose
from tocsin.integrations.notifiers.renderers import email as email_render
from tocsin.integrations.notifiers.renderers import ntfy, slack, telegram, twilio, webhook
from tocsin.integrations.notifiers.renderers.text import clean, utf16_len

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
PAGE = Notification(
    Purpose.PAGE,
    "P1 INC-7: API <returning> 500s & worse",
    "Error rate 12% on /v1/orders.\nRolled back? Not yet.",
    incident="INC-7",
    severity="P1",
    urgent=True,
    ack_url="https://tocsin.example/ack/abc.def",
    incident_url="https://tocsin.example/incidents/INC-7",
    idempotency_key="page:INC-7:alice:1",
)


def test_slack_blocks_have_header_section_context_and_the_two_buttons() -> None:
    body = slack.message(PAGE)
    types = [b["type"] for b in body["blocks"]]
    assert types == ["header", "section", "context", "actions"]
    header, section, context, actions = body["blocks"]
    assert header["text"] == {
        "type": "plain_text",
        "text": "P1 INC-7: API <returning> 500s & worse",
        "emoji": True,
    }
    assert section["text"]["text"] == ("Error rate 12% on /v1/orders.\nRolled back? Not yet.")
    assert "<https://tocsin.example/incidents/INC-7|INC-7>" in context["elements"][0]["text"]
    buttons = {b["action_id"]: b for b in actions["elements"]}
    assert buttons["tocsin_acknowledge"]["value"] == "INC-7"
    assert buttons["tocsin_resolve"]["value"] == "INC-7"
    assert buttons["tocsin_open"]["url"] == PAGE.incident_url
    assert body["text"].startswith("P1 INC-7: API &lt;returning&gt; 500s &amp; worse")


def test_slack_escapes_mrkdwn_and_threads_updates() -> None:
    update = Notification(Purpose.UPDATE, "t", "<!channel> & <https://x|y>", thread="17.000100")
    body = slack.message(update)
    assert body["thread_ts"] == "17.000100"
    assert body["blocks"][1]["text"]["text"] == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"


def test_no_buttons_once_resolved() -> None:
    resolved = Notification(Purpose.RESOLVED, "Resolved", "done", incident="INC-7")
    assert "actions" not in [b["type"] for b in slack.blocks(resolved)]
    assert telegram.buttons(resolved) == []


def test_telegram_html_is_escaped_with_an_acknowledge_button() -> None:
    body = telegram.message(PAGE, "42")
    assert body["parse_mode"] == "HTML"
    assert "<b>P1 INC-7: API &lt;returning&gt; 500s &amp; worse</b>" in body["text"]
    assert (
        '<a href="https://tocsin.example/ack/abc.def">Acknowledge in the browser</a>'
        in body["text"]
    )
    assert body["reply_markup"] == {
        "inline_keyboard": [[{"text": "Acknowledge", "callback_data": "ack:INC-7"}]]
    }
    assert body["disable_notification"] is False
    assert html_problem(body["text"]) == ""


def test_telegram_replies_under_the_announcement() -> None:
    update = Notification(Purpose.UPDATE, "Update", "still down", thread="321")
    body = telegram.message(update, "42")
    assert body["reply_parameters"] == {"message_id": 321, "allow_sending_without_reply": True}
    assert body["disable_notification"] is True


def test_email_has_a_one_line_subject_and_both_parts() -> None:
    hostile = Notification(Purpose.PAGE, "Down\r\nBcc: evil@example.com", "<script>x</script>")
    content = email_render.render(hostile)
    assert "\n" not in content.subject
    assert "\r" not in content.subject
    assert content.subject == "[Page] Down Bcc: evil@example.com"
    assert "&lt;script&gt;x&lt;/script&gt;" in content.html
    assert "<script>x</script>" in content.text
    page = email_render.render(PAGE)
    assert "Acknowledge: https://tocsin.example/ack/abc.def" in page.text
    assert '<a href="https://tocsin.example/ack/abc.def">Acknowledge</a>' in page.html


def test_ntfy_is_urgent_for_an_urgent_page_with_an_http_acknowledge_action() -> None:
    message = ntfy.render(PAGE)
    assert message.headers["X-Priority"] == "5"
    assert message.headers["X-Tags"] == "rotating_light"
    assert message.headers["X-Click"] == PAGE.incident_url
    actions = json.loads(message.headers["X-Actions"])
    assert actions[0] == {
        "action": "http",
        "label": "Acknowledge",
        "url": "https://tocsin.example/ack/abc.def",
        "method": "POST",
        "clear": True,
    }
    assert actions[1]["action"] == "view"
    assert message.body.decode() == PAGE.text


def test_ntfy_priorities_follow_the_purpose() -> None:
    assert ntfy.priority(Notification(Purpose.PAGE, "t", "x")) == "4"
    assert ntfy.priority(Notification(Purpose.UPDATE, "t", "x")) == "2"
    assert ntfy.priority(Notification(Purpose.RESOLVED, "t", "x")) == "3"


def test_ntfy_titles_beyond_ascii_are_rfc2047_encoded() -> None:
    value = ntfy.render(Notification(Purpose.PAGE, "Zahlungen gestört 🔥", "x")).headers["X-Title"]
    assert value.isascii()
    assert str(email.header.make_header(email.header.decode_header(value))) == (
        "Zahlungen gestört 🔥"
    )


def test_voice_twiml_reads_the_incident_and_gathers_one_digit() -> None:
    root = ET.fromstring(twilio.twiml(PAGE))  # noqa: S314 - our own TwiML
    gather = root.find("Gather")
    assert gather is not None
    assert gather.attrib["numDigits"] == "1"
    assert gather.attrib["action"] == "https://tocsin.example/ack/abc.def"
    said = gather.findtext("Say") or ""
    assert "P1 INC 7." in said
    assert "API <returning> 500s & worse" in said
    assert said.endswith("Press 1 to acknowledge.")


def test_sms_carries_the_ack_link() -> None:
    body = twilio.sms_body(PAGE)
    assert body.startswith("[P1 INC-7] P1 INC-7: API")
    assert body.endswith("\nAck: https://tocsin.example/ack/abc.def")


def test_cloudevent_structured_mode_and_a_signature_a_receiver_can_check() -> None:
    event = webhook.event(PAGE, "/tocsin", NOW)
    assert {k: event[k] for k in ("specversion", "id", "source", "type", "subject", "time")} == {
        "specversion": "1.0",
        "id": "page:INC-7:alice:1",
        "source": "/tocsin",
        "type": "io.tocsin.page",
        "subject": "INC-7",
        "time": "2026-11-22T03:00:00Z",
    }
    assert event["data"]["ack_url"] == PAGE.ack_url
    raw = webhook.encode(event)
    stamp = str(int(NOW.timestamp()))
    signature = webhook.signature("s3cret-value", stamp, raw)
    assert webhook.verify("s3cret-value", stamp, raw, signature, NOW)
    assert not webhook.verify("s3cret-value", stamp, raw + b" ", signature, NOW)
    assert not webhook.verify("other-secret", stamp, raw, signature, NOW)
    assert not webhook.verify("s3cret-value", str(int(NOW.timestamp()) - 600), raw, signature, NOW)


def test_links_that_are_not_http_are_never_links() -> None:
    sneaky = Notification(
        Purpose.PAGE, "t", "x", incident="INC-1", incident_url="javascript:alert(1)"
    )
    assert "javascript:" not in json.dumps(slack.message(sneaky))
    assert "javascript:" not in telegram.text(sneaky)
    assert "javascript:" not in email_render.render(sneaky).html
    assert "X-Click" not in ntfy.render(sneaky).headers


text = st.text(st.characters(exclude_categories=()), max_size=6000)
short = st.text(max_size=300)
maybe_url = st.none() | st.sampled_from(
    ["https://t.example/a?b=1&c=<2>", "http://127.0.0.1:8080/x|y", "ftp://x", "not a url"]
)


@st.composite
def notifications(draw: st.DrawFn) -> Notification:
    return Notification(
        purpose=draw(st.sampled_from(Purpose)),
        title=draw(text),
        text=draw(text),
        incident=draw(st.none() | short),
        severity=draw(st.none() | short),
        urgent=draw(st.booleans()),
        ack_url=draw(maybe_url),
        incident_url=draw(maybe_url),
        thread=draw(st.none() | short),
        idempotency_key=draw(short),
        extra=draw(st.dictionaries(short, short, max_size=3)),
    )


@settings(max_examples=150, deadline=None)
@given(notifications())
@example(Notification(Purpose.PAGE, "\ud800\x00", "\udfff\x1b[31m", "\ud83d", "\x00", True))
@example(Notification(Purpose.PAGE, "&" * 5000, "<" * 9000, "&" * 300, "<>" * 100, True))
def test_no_renderer_raises_and_every_payload_fits_its_channel(n: Notification) -> None:
    blocks = slack.blocks(n)
    assert blocks[0]["type"] == "header"
    assert 0 < len(blocks[0]["text"]["text"]) <= 150
    for block in blocks:
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert len(block["elements"][0]["text"]) <= 2000
    json.dumps(slack.message(n))

    body = telegram.message(n, "-100123")
    assert html_problem(body["text"]) == ""
    assert 0 < utf16_len(visible(body["text"])) <= 4096
    for row in body.get("reply_markup", {}).get("inline_keyboard", []):
        assert all(len(b["callback_data"].encode()) <= 64 for b in row)

    content = email_render.render(n)
    assert "\n" not in content.subject
    assert "\r" not in content.subject
    content.text.encode("utf-8")

    message = ntfy.render(n)
    assert all(v.isascii() and "\n" not in v for v in message.headers.values())
    assert len(message.body) <= 4096

    assert len(twilio.sms_body(n)) <= 1600
    document = twilio.twiml(n)
    assert len(document) <= 4000
    ET.fromstring(document)  # noqa: S314 - our own TwiML

    webhook.encode(webhook.event(n, "/tocsin", NOW)).decode("utf-8")


@given(st.text(st.characters(exclude_categories=()), max_size=500))
def test_telegram_text_survives_escaping_exactly(words: str) -> None:
    """What people wrote is what Telegram shows: escaping loses nothing."""
    n = Notification(Purpose.ANNOUNCE, "Incident", words)
    shown = visible(telegram.text(n))
    assert clean(words).strip() in shown


def test_telegram_escaping_matches_htmls_own() -> None:
    assert telegram.escape('<b>"&') == html.escape('<b>"&', quote=False)


def test_rfc2047_header_is_what_the_base64_says() -> None:
    value = ntfy.header_text("café")
    assert value == "=?utf-8?b?" + base64.b64encode("café".encode()).decode() + "?="
