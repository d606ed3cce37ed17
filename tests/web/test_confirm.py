"""Resolve, Close and Expire ask for confirmation on a page of their own (no JavaScript
needed), and Resolve asks for the root cause and fix where the severity needs a post-mortem."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer
from tests.support.postmortems import publish
from tests.web.conftest import session_csrf
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin
from tocsin.core.incident import Incident
from tocsin.core.lifecycle import Status


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tocsin.db'}"  # web behaviour: one database is enough


def post(client: TestClient, path: str, **fields: str) -> tuple[int, str]:
    answer = client.post(
        path, data={"csrf": session_csrf(client), **fields}, follow_redirects=False
    )
    return answer.status_code, answer.text


def hidden(html: str, name: str) -> str | None:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', html)
    return found.group(1) if found else None


def test_resolve_asks_for_confirmation_and_keeps_what_was_typed(
    responder: TestClient, tocsin: Tocsin, incident: Incident
) -> None:
    status, html = post(
        responder, "/incidents/INC-1/resolve", root_cause="bad <deploy>", fix="reverted"
    )
    assert status == 200
    assert "<h1>Resolve INC-1?</h1>" in html
    assert 'action="/incidents/INC-1/resolve"' in html
    assert hidden(html, "confirmed") == "yes"
    assert ">bad &lt;deploy&gt;</textarea>" in html  # editable on the confirmation page
    assert ">reverted</textarea>" in html
    assert '<a href="/incidents/INC-1">Cancel</a>' in html
    assert tocsin.incidents.get("INC-1").status is Status.INVESTIGATING  # nothing done yet
    status, _ = post(
        responder,
        "/incidents/INC-1/resolve",
        root_cause="bad deploy",
        fix="reverted",
        confirmed="yes",
    )
    assert status == 303
    assert tocsin.incidents.get("INC-1").status is Status.RESOLVED
    publish(tocsin, "INC-1")  # P2: closing needs its post-mortem published
    status, html = post(responder, "/incidents/INC-1/close")
    assert (status, "<h1>Close INC-1?</h1>" in html) == (200, True)
    assert tocsin.incidents.get("INC-1").status is Status.RESOLVED
    assert post(responder, "/incidents/INC-1/close", confirmed="yes")[0] == 303
    assert tocsin.incidents.get("INC-1").status is Status.CLOSED


def test_resolving_a_severity_that_needs_a_post_mortem_needs_cause_and_fix(
    responder: TestClient, tocsin: Tocsin, incident: Incident, role_tokens: dict[str, str]
) -> None:
    page = responder.get("/incidents/INC-1").text  # P2: post-mortem required
    assert re.search(r'<textarea id="resolve-cause" name="root_cause" rows="2" required', page)
    for confirmed in ("", "yes"):  # refused before the question, and if asked past it
        status, html = post(
            responder,
            "/incidents/INC-1/resolve",
            root_cause="",
            fix="restarted it",
            confirmed=confirmed,
        )
        assert status == 422
        assert "root cause: P2 (High) needs a post-mortem" in html
        assert ">restarted it</textarea>" in html  # what was typed stays
        assert tocsin.incidents.get("INC-1").status is Status.INVESTIGATING
    # A severity without a post-mortem resolves with neither; the API keeps both optional.
    p3 = tocsin.incidents.declare("ann", "Slow page", "P3").incident
    assert 'name="root_cause" rows="2">' in responder.get(f"/incidents/{p3.id}").text
    assert post(responder, f"/incidents/{p3.id}/resolve", confirmed="yes")[0] == 303
    answer = responder.post(
        "/api/v1/incidents/INC-1/resolve", json={}, headers=bearer(role_tokens["responder"])
    )
    assert (answer.status_code, answer.json()["status"]) == (200, "resolved")


def test_expiring_a_silence_asks_first(
    responder: TestClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    silence = tocsin.alert_admin.silence(
        ["alertname=Noisy"], None, clock.now() + timedelta(hours=1), "alice", "known issue"
    )
    status, html = post(responder, f"/alerts/silences/{silence.id}/expire")
    assert status == 200
    assert f"<h1>Expire silence {silence.id}?</h1>" in html
    assert "alertname=Noisy, by alice: known issue" in html
    assert [s.id for s in tocsin.alert_admin.silences()] == [silence.id]
    assert post(responder, f"/alerts/silences/{silence.id}/expire", confirmed="yes")[0] == 303
    assert tocsin.alert_admin.silences() == []
    status, html = post(responder, f"/alerts/silences/{silence.id}/expire")
    assert status == 404
    assert "is not active" in html
