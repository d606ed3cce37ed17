"""Acknowledge links: one tap acknowledges as the person paged; forged, altered, expired or
replayed links answer 403 and change nothing; a GET never changes anything."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin
from tocsin.core.timeline import EntryKind

PAGE = "1:2:0:0:alice:0"


def declared(tocsin: Tocsin) -> str:
    tocsin.incidents.declare("bot", "API down", "P1")
    return tocsin.ack_links.token(1, "alice", PAGE)


def test_a_link_acknowledges_as_the_person_paged_once(api: TestClient, tocsin: Tocsin) -> None:
    token = declared(tocsin)
    shown = api.get(f"/ack/{token}?via=sms")
    assert shown.status_code == 200
    assert "Acknowledge as alice" in shown.text
    assert tocsin.incidents.get("INC-1").acknowledged_at is None  # a GET changes nothing
    done = api.post(f"/ack/{token}?via=sms")
    assert done.status_code == 200, done.text
    incident = tocsin.incidents.get("INC-1")
    assert incident.acknowledged_by == "alice"
    [ack] = [e for e in tocsin.incidents.timeline("INC-1") if e.kind is EntryKind.ACKNOWLEDGED]
    assert ack.text == "Acknowledged via SMS link"
    assert ack.data == {"via": "SMS link"}
    entries = len(tocsin.incidents.timeline("INC-1"))
    again = api.post(f"/ack/{token}")
    assert again.status_code == 403  # replayed
    assert len(tocsin.incidents.timeline("INC-1")) == entries


def test_forged_altered_and_expired_links_are_refused(
    api: TestClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    token = declared(tocsin)
    body, _, mac = token.partition(".")
    other = tocsin.ack_links.token(2, "mallory", "2:2:0:0:mallory:0")
    forged = [
        f"{other.partition('.')[0]}.{mac}",  # another claim under this signature
        f"{body}.{mac[:-2]}AA",  # an altered signature
        "garbage",
        "a" * 2000,
    ]
    for bad in forged:
        assert api.post(f"/ack/{bad}").status_code in (403, 404), bad
    clock.advance(timedelta(hours=25))
    expired = api.post(f"/ack/{token}")
    assert expired.status_code == 403
    assert "expired" in expired.text
    assert tocsin.incidents.get("INC-1").acknowledged_at is None
    assert len(tocsin.incidents.timeline("INC-1")) == 2  # declared and its message only
