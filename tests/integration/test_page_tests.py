"""`tocsin page test PERSON` end to end: a test page through each contact method, as jobs,
through tocsin.yaml's notifiers to local doubles of Slack, Telegram, Twilio, ntfy, a webhook
receiver and aiosmtpd; what they received (each once, each with the acknowledge link) is what
is checked. Then the link, the keypress and the record of what was delivered and
acknowledged."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FAST_HASHER, bearer
from tests.support.fakes.base import Fault
from tests.support.peers import (
    ACK,
    PUBLIC_URL,
    TWILIO_TOKEN,
    Peers,
    close_notifiers,
    running_peers,
)
from tocsin.api.app import create_app
from tocsin.app.clock import ManualClock
from tocsin.app.notice_records import NoticeStatus
from tocsin.app.notices import SEND_JOB
from tocsin.bootstrap import Tocsin, build
from tocsin.config import render_preset
from tocsin.store.uow import SqlUnitOfWork

PEOPLE = """\
people:
  - handle: ann
    name: Ann Example
    email: ann@example.com
    phone: "+49 170 1234567"
    slack: U0ANN1234
    telegram: "42"
    contact_methods:
      - {kind: ntfy, address: ann-pages, label: push}
      - {kind: webhook, address: audit}
  - handle: bob
    name: Bob Example
    slack: U0BOB1234
  - handle: cid
    name: Cid Nocontact
"""
KINDS = ["email", "sms", "voice", "slack", "telegram", "ntfy", "webhook"]


@pytest.fixture
def peers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Peers]:
    with running_peers(tmp_path, {"U0ANN1234"}, {"42"}) as found:
        monkeypatch.setenv("SSL_CERT_FILE", str(found.cert))  # trust the test SMTP server
        yield found


@pytest.fixture
def tocsin(tmp_path: Path, peers: Peers, clock: ManualClock) -> Iterator[Tocsin]:
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4") + PEOPLE + peers.notifiers_yaml(), encoding="utf-8")
    env = {
        **peers.env(),
        "TOCSIN_CONFIG": str(config),
        "TOCSIN_DATABASE_URL": f"sqlite:///{tmp_path / 'tocsin.db'}",
    }
    wired = build(env=env, cwd=tmp_path, clock=clock, hasher=FAST_HASHER)
    yield wired
    close_notifiers(wired)
    wired.engine.dispose()


@pytest.fixture
def web(tocsin: Tocsin) -> Iterator[TestClient]:
    """Requests as they arrive at TOCSIN_PUBLIC_URL (the Twilio signature covers the URL)."""
    app = create_app(tocsin)
    with TestClient(app, base_url=PUBLIC_URL, raise_server_exceptions=False) as client:
        yield client


def run_all(tocsin: Tocsin, clock: ManualClock) -> None:
    """Run every job due, moving the clock past the rate limits' "not before" times."""
    for _ in range(10):
        while tocsin.job_runner.run_due("test"):
            pass
        clock.advance(timedelta(seconds=2))


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def twilio_signature(url: str, form: dict[str, str]) -> str:
    data = url + "".join(f"{k}{form[k]}" for k in sorted(form))
    return base64.b64encode(
        hmac.new(TWILIO_TOKEN.encode(), data.encode(), hashlib.sha1).digest()
    ).decode()


def test_a_test_page_reaches_every_method_once_each_with_its_acknowledge_link(
    tocsin: Tocsin, clock: ManualClock, peers: Peers
) -> None:
    made = tocsin.page_tests.start("ann", "alice")
    assert sorted(n.method.kind.value for n in made) == sorted(KINDS)
    assert all(n.status is NoticeStatus.QUEUED for n in made)
    run_all(tocsin, clock)
    received = peers.received()
    assert {kind: len(texts) for kind, texts in received.items()} == dict.fromkeys(KINDS, 1)
    links = {kind: ACK.findall(texts[0]) for kind, texts in received.items()}
    for kind in ("sms", "voice", "email", "telegram", "webhook"):
        assert links[kind], f"{kind} carried no acknowledge link: {received[kind][0]}"
    [action] = peers.ntfy.messages[0]["actions"]
    assert ACK.fullmatch(action["url"])
    assert action["method"] == "POST"
    [buttons] = [b for b in peers.slack.posts()[0].json()["blocks"] if b["type"] == "actions"]
    assert ACK.fullmatch(buttons["elements"][0]["url"])
    assert "test page" in received["sms"][0].lower()
    assert peers.twilio.requests[0].form()["To"] == "+491701234567"
    assert peers.smtp.received[0].rcpt_tos == ["ann@example.com"]
    status = {t.method.kind.value: t for t in tocsin.page_tests.status("ann")}
    assert all(status[k].delivered is not None for k in KINDS)
    assert all(status[k].delivered.acknowledged_at is None for k in KINDS)  # type: ignore[union-attr]


def test_the_link_and_the_keypress_acknowledge_once_and_are_recorded(
    tocsin: Tocsin, clock: ManualClock, peers: Peers, web: TestClient
) -> None:
    tocsin.page_tests.start("ann", "alice")
    run_all(tocsin, clock)
    [sms_link] = ACK.findall(peers.received()["sms"][0])
    form = web.get(path_of(sms_link))
    assert form.status_code == 200
    assert "Acknowledge the test page" in form.text
    assert all(
        t.delivered and not t.delivered.acknowledged_at for t in tocsin.page_tests.status("ann")
    )
    clock.advance(timedelta(minutes=3))
    done = web.post(path_of(sms_link) + "?via=sms")
    assert done.status_code == 200
    assert "Test page acknowledged" in done.text
    again = web.post(path_of(sms_link) + "?via=sms")
    assert again.status_code == 403  # used: nothing changes
    # The call: Twilio posts the keypress to the Gather action, signed with the auth token.
    twiml = peers.received()["voice"][0]
    [gather] = ACK.findall(twiml)
    url = gather.replace("&amp;", "&")
    keypress = {"Digits": "1", "CallSid": "CA" + "1" * 32}
    answered = web.post(
        path_of(url), data=keypress, headers={"X-Twilio-Signature": twilio_signature(url, keypress)}
    )
    assert answered.status_code == 200, answered.text
    assert "Acknowledged" in answered.text
    status = {t.method.kind.value: t for t in tocsin.page_tests.status("ann")}
    sms, voice = status["sms"].delivered, status["voice"].delivered
    assert sms is not None
    assert voice is not None
    assert sms.acknowledged_via == "SMS link"
    assert sms.acknowledged_at is not None
    assert sms.sent_at is not None
    assert sms.acknowledged_at - sms.sent_at >= timedelta(minutes=3)
    assert voice.acknowledged_via == "phone keypress"
    others = [k for k in KINDS if k not in ("sms", "voice")]
    assert all(status[k].delivered.acknowledged_at is None for k in others)  # type: ignore[union-attr]


def test_a_refused_method_is_recorded_as_failed_and_never_delivered(
    tocsin: Tocsin, clock: ManualClock, peers: Peers
) -> None:
    tocsin.page_tests.start("bob", "alice")
    run_all(tocsin, clock)
    [bob] = tocsin.page_tests.status("bob")
    assert bob.delivered is None
    assert bob.last is not None
    assert bob.last.status is NoticeStatus.FAILED
    assert "channel_not_found" in bob.last.detail
    assert len(peers.slack.posts()) == 1  # tried once: a refusal is not retried


def test_a_429_is_retried_and_a_rerun_after_a_lost_lease_sends_nothing_twice(
    tocsin: Tocsin, clock: ManualClock, peers: Peers
) -> None:
    peers.ntfy.fail_next(Fault.RATE_LIMIT)
    tocsin.page_tests.start("ann", "alice")
    run_all(tocsin, clock)
    assert len(peers.ntfy.requests) == 2
    assert len(peers.ntfy.messages) == 1
    handler = tocsin.job_runner.handlers.get(SEND_JOB)
    assert handler is not None
    for job in [j for j in tocsin.jobs.find((), 100) if j.kind == SEND_JOB]:
        handler(job, lambda: SqlUnitOfWork(tocsin.engine))  # every job again, as after a lease
    assert {k: len(v) for k, v in peers.received().items()} == dict.fromkeys(KINDS, 1)
    [ntfy] = [t for t in tocsin.page_tests.status("ann") if t.method.kind.value == "ntfy"]
    assert ntfy.delivered is not None
    assert ntfy.delivered.attempts == 2


def test_the_api_sends_as_a_responder_and_answers_the_last_tests(
    tocsin: Tocsin, clock: ManualClock, peers: Peers, web: TestClient
) -> None:
    responder = bearer(tocsin.accounts.create_token("r", "responder", "tests")[1])
    viewer = bearer(tocsin.accounts.create_token("v", "viewer", "tests")[1])
    assert web.post("/api/v1/people/ann/page-tests", headers=viewer).status_code == 403
    sent = web.post("/api/v1/people/ann/page-tests", headers=responder)
    assert sent.status_code == 202
    assert {n["status"] for n in sent.json()} == {"queued"}
    assert sent.json()[0]["requested_by"].startswith("token:r")
    run_all(tocsin, clock)
    found = web.get("/api/v1/page-tests", params={"person": "ann"}, headers=viewer).json()
    assert len(found) == len(KINDS)
    assert all(t["last_delivered"]["status"] == "sent" for t in found)
    assert all(t["last_delivered"]["acknowledged_at"] is None for t in found)
    assert web.post("/api/v1/people/zed/page-tests", headers=responder).status_code == 404
    nobody = web.post("/api/v1/people/cid/page-tests", headers=responder)
    assert nobody.status_code == 422
    assert "no contact method" in nobody.json()["error"]["message"]
