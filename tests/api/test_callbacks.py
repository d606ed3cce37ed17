"""Acknowledge from Slack buttons, Telegram buttons and a phone keypress: each checked as its
sender documents; forged or replayed requests answer 403 and change nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from slack_sdk.signature import SignatureVerifier

from tocsin.bootstrap import CallbackSecrets, Tocsin
from tocsin.core.timeline import EntryKind

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def declared(tocsin: Tocsin) -> None:
    tocsin.callback_secrets = CallbackSecrets(slack="s1", telegram="t1", twilio="w1")
    tocsin.incidents.declare("bot", "API down", "P1")


def acks(tocsin: Tocsin) -> list[tuple[str, str]]:
    return [
        (e.actor, e.text)
        for e in tocsin.incidents.timeline("INC-1")
        if e.kind is EntryKind.ACKNOWLEDGED
    ]


def slack_press(action: str = "tocsin_acknowledge") -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": "U01", "username": "alice"},
        "actions": [{"action_id": action, "value": "INC-1"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_a_signed_slack_button_acknowledges_and_a_forged_one_does_not(
    api: TestClient, tocsin: Tocsin
) -> None:
    declared(tocsin)
    body = slack_press()
    stamp = str(int(tocsin.clock.now().timestamp()))
    forged = {**FORM, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + "0" * 64}
    assert api.post("/callbacks/slack", content=body, headers=forged).status_code == 403
    old = str(int(tocsin.clock.now().timestamp()) - 3600)
    stale = SignatureVerifier("s1").generate_signature(timestamp=old, body=body)
    replay = {**FORM, "X-Slack-Request-Timestamp": old, "X-Slack-Signature": stale}
    assert api.post("/callbacks/slack", content=body, headers=replay).status_code == 403
    assert acks(tocsin) == []
    good = SignatureVerifier("s1").generate_signature(timestamp=stamp, body=body)
    signed = {**FORM, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": good}
    answer = api.post("/callbacks/slack", content=body, headers=signed)
    assert answer.status_code == 200
    assert answer.json()["text"] == "INC-1 acknowledged by slack:alice"
    assert acks(tocsin) == [("slack:alice", "Acknowledged via Slack button")]


def test_telegram_needs_the_webhook_secret_token(api: TestClient, tocsin: Tocsin) -> None:
    declared(tocsin)
    update = {"callback_query": {"data": "ack:INC-1", "from": {"id": 7, "username": "bob"}}}
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
    assert api.post("/callbacks/telegram", json=update, headers=wrong).status_code == 403
    assert acks(tocsin) == []
    right = {"X-Telegram-Bot-Api-Secret-Token": "t1"}
    assert api.post("/callbacks/telegram", json=update, headers=right).status_code == 200
    assert acks(tocsin) == [("telegram:bob", "Acknowledged via Telegram button")]


def twilio_signature(url: str, params: dict[str, str]) -> str:
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(b"w1", data.encode(), hashlib.sha1).digest()).decode()


def test_pressing_1_on_the_call_acknowledges_and_other_keys_do_not(
    api: TestClient, tocsin: Tocsin
) -> None:
    declared(tocsin)
    token = tocsin.ack_links.token(1, "carol", "1:2:0:0:carol:0")
    url = f"http://testserver/ack/{token}"
    for digits, said in (("2", "Not acknowledged"), ("1", "Acknowledged. Thank you.")):
        params = {"Digits": digits, "CallSid": "CA1"}
        forged = {**FORM, "X-Twilio-Signature": "AAAA"}
        assert (
            api.post(f"/ack/{token}", content=urlencode(params), headers=forged).status_code == 403
        )
        signed = {**FORM, "X-Twilio-Signature": twilio_signature(url, params)}
        answer = api.post(f"/ack/{token}", content=urlencode(params), headers=signed)
        assert answer.status_code == 200
        assert said in answer.text
        assert answer.headers["content-type"].startswith("application/xml")
    assert acks(tocsin) == [("carol", "Acknowledged via phone keypress")]


def test_callbacks_that_are_not_set_up_say_so(api: TestClient) -> None:
    assert api.post("/callbacks/slack", content=b"x").status_code == 404
    assert "not set up" in api.post("/callbacks/telegram", json={}).text
