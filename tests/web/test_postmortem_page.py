"""The post-mortem page: draft from the timeline, edit with a server-rendered preview (raw
HTML stays text), a refused save keeps what was typed, status buttons, history, roles; the
dashboard's overdue panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import login, session_csrf
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_draft_preview_save_publish(
    tocsin: Tocsin, clock: ManualClock, responder: TestClient, viewer: TestClient
) -> None:
    ref = tocsin.incidents.declare("ann", "API down", "P1", commander="ann").incident.id
    tocsin.incidents.resolve(ref, "ann", "a lock", "batches")
    assert 'href="/incidents/INC-1/postmortem"' in responder.get(f"/incidents/{ref}").text
    csrf = session_csrf(responder)
    url = f"/incidents/{ref}/postmortem"
    assert viewer.post(f"{url}/draft", data={"csrf": csrf}).status_code == 403
    made = responder.post(f"{url}/draft", data={"csrf": csrf}, follow_redirects=False)
    assert made.status_code == 303
    page = responder.get(url).text
    assert "Version 1 of 1" in page
    assert "<h1>Incident Report INC-1: API down</h1>" in page  # the preview
    typed = "# Ours\n\n<script>alert(1)</script> [x](javascript:alert(1))\n"
    shown = responder.post(url, data={"csrf": csrf, "text": typed, "version": "1", "do": "preview"})
    assert "<h1>Ours</h1>" in shown.text
    assert "<script>alert(1)</script>" not in shown.text  # raw HTML is text, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    assert 'href="javascript:' not in shown.text
    assert tocsin.postmortems.get(ref).current.number == 1  # a preview saves nothing
    tocsin.postmortems.edit(ref, "bob", "# theirs\n", expected=1)  # meanwhile
    stale = responder.post(url, data={"csrf": csrf, "text": "# mine, typed\n", "version": "1"})
    assert stale.status_code == 409
    assert "changed since version 1" in stale.text
    assert "# mine, typed" in stale.text  # what was typed is kept in the textarea
    saved = responder.post(url, data={"csrf": csrf, "text": "# mine\n", "version": "2",
                                      "category": "database"}, follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    for move in ("review", "publish"):
        responder.post(f"{url}/{move}", data={"csrf": csrf, "version": "0"})
    assert tocsin.postmortems.get(ref).current.number == 3  # version 0 is stale: refused
    for move, version in (("review", "3"), ("publish", "4")):
        responder.post(f"{url}/{move}", data={"csrf": csrf, "version": version})
    page = viewer.get(url).text
    assert "<strong>published</strong>" in page
    assert page.count('href="/incidents/INC-1/postmortem?version=') == 5
    assert "Publish" not in page  # a viewer gets no buttons
    assert "<h1>theirs</h1>" in viewer.get(url, params={"version": 2}).text


def test_dashboard_lists_overdue_postmortems(
    tocsin: Tocsin, clock: ManualClock, responder: TestClient
) -> None:
    ref = tocsin.incidents.declare("ann", "API down", "P2").incident.id
    tocsin.incidents.resolve(ref, "ann")
    assert 'id="postmortems-overdue"' not in responder.get("/").text
    clock.advance(timedelta(hours=49))
    assert login(responder, "ann").status_code == 303  # the session ran out meanwhile
    page = responder.get("/").text
    assert 'id="postmortems-overdue"' in page
    assert '<a href="/incidents/INC-1/postmortem">INC-1</a>: due' in page
    assert "not written" in page
