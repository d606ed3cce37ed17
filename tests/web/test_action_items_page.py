"""Action items on the web: the incident page's section and add form (what was typed is kept
when refused), the Done button, and /action-items with the overdue ones first."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import session_csrf
from tocsin.app.action_items import Changes
from tocsin.bootstrap import Tocsin
from tocsin.core.action_items import Draft
from tocsin.core.incident import Incident


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tocsin.db'}"


def test_add_from_the_incident_page_and_mark_done(
    responder: TestClient, incident: Incident, tocsin: Tocsin
) -> None:
    form = {"csrf": session_csrf(responder), "title": "Add a <lag> alert", "owner": "bob",
            "deadline": "2026-12-01", "priority": "P2", "category": "add-monitoring",
            "labels": "database"}  # fmt: skip
    sent = responder.post(f"/incidents/{incident.id}/action-items", data=form,
                          follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    page = responder.get(sent.headers["location"]).text
    assert "Action item added." in page
    assert "AI-1 Add a &lt;lag&gt; alert" in page
    assert "@bob" in page
    [item] = tocsin.action_items.list(incident=incident.number)
    assert item.labels == ("incident", "database")
    done = responder.post("/action-items/1/status", data={"csrf": form["csrf"], "status": "done"},
                          follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert tocsin.action_items.get(1).status.value == "done"


def test_a_refused_item_keeps_what_was_typed(
    responder: TestClient, incident: Incident, tocsin: Tocsin
) -> None:
    form = {"csrf": session_csrf(responder), "title": "Write the runbook step",
            "owner": "bob", "deadline": "1999-01-01", "priority": "P3"}  # fmt: skip
    refused = responder.post(f"/incidents/{incident.id}/action-items", data=form)
    assert refused.status_code == 422
    assert "deadline 1999-01-01 is in the past" in refused.text
    assert 'value="Write the runbook step"' in refused.text
    assert 'value="1999-01-01"' in refused.text
    assert tocsin.action_items.list() == []


def test_a_viewer_sees_items_but_no_form(
    viewer: TestClient, incident: Incident, tocsin: Tocsin
) -> None:
    tocsin.action_items.add(incident.number, Draft("Fix the pool", "bob"), "ann")
    page = viewer.get(f"/incidents/{incident.id}").text
    assert "AI-1 Fix the pool" in page
    assert "Add an action item" not in page
    form = {"csrf": session_csrf(viewer), "title": "x", "owner": "bob"}
    assert viewer.post(f"/incidents/{incident.id}/action-items", data=form).status_code == 403


def test_the_action_items_page_lists_overdue_first(
    responder: TestClient, incident: Incident, tocsin: Tocsin
) -> None:
    add = tocsin.action_items.add
    late = add(incident.number, Draft("Late one", "bob", deadline="2026-11-23"), "ann")
    add(incident.number, Draft("In time", "bob", deadline="2026-12-31"), "ann")
    tocsin.action_items.edit(late.ref, Changes(deadline="2026-11-01"), "ann")  # now past
    page = responder.get("/action-items").text
    overdue, rest = page.split('id="open-h"')
    assert "Late one" in overdue
    assert "In time" not in overdue
    assert "In time" in rest
    assert "Late one" not in rest
