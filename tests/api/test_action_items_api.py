"""/api/v1/incidents/{ref}/action-items and /api/v1/action-items: viewers read, responders
write; bad input is 422 naming the field, never a 5xx."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer
from tocsin.bootstrap import Tocsin

API = "/api/v1"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tocsin.db'}"


@pytest.fixture
def ref(tocsin: Tocsin) -> str:
    return tocsin.incidents.declare("tests", "Payments down", "P2").incident.id


def test_add_list_change_and_read_back(
    api: TestClient, role_tokens: dict[str, str], ref: str
) -> None:
    writer, reader = bearer(role_tokens["responder"]), bearer(role_tokens["viewer"])
    body = {"title": "Add a lag alert", "owner": "bob", "deadline": "2099-01-31",
            "priority": "high", "labels": ["database"], "category": "add-monitoring"}  # fmt: skip
    made = api.post(f"{API}/incidents/{ref}/action-items", json=body, headers=writer)
    assert made.status_code == 201, made.text
    item = made.json()
    assert (item["ref"], item["incident"], item["priority"]) == ("AI-1", ref, "P2")
    assert item["created_by"] == "token:responder-token"
    assert item["overdue"] is False
    listed = api.get(f"{API}/incidents/{ref}/action-items", headers=reader).json()
    assert [i["ref"] for i in listed["items"]] == ["AI-1"]
    changed = api.patch(f"{API}/action-items/AI-1", json={"status": "done"}, headers=writer)
    assert (changed.status_code, changed.json()["status"]) == (200, "done")
    assert api.get(f"{API}/action-items/1", headers=reader).json()["status"] == "done"
    mine = api.get(f"{API}/action-items", params={"owner": "bob"}, headers=reader).json()
    assert [i["ref"] for i in mine["items"]] == ["AI-1"]
    overdue = api.get(f"{API}/action-items", params={"overdue": "true"}, headers=reader).json()
    assert overdue == {"items": []}


def test_a_viewer_cannot_add(api: TestClient, role_tokens: dict[str, str], ref: str) -> None:
    body = {"title": "x", "owner": "bob"}
    answer = api.post(
        f"{API}/incidents/{ref}/action-items", json=body, headers=bearer(role_tokens["viewer"])
    )
    assert answer.status_code == 403


BAD = [
    ({"title": "x", "owner": "bob", "deadline": "soon"}, "deadline"),
    ({"title": "x", "owner": "bob", "priority": "P9"}, "use P1, P2, P3 or P4"),
    ({"title": "x", "owner": "no spaces please"}, "is not a handle"),
    ({"title": "x", "owner": "bob", "deadline": "2001-01-01"}, "is in the past"),
    ({"title": "x", "owner": "bob", "colour": "red"}, "colour"),
]


def test_bad_input_is_422_naming_the_field(
    api: TestClient, role_tokens: dict[str, str], ref: str
) -> None:
    for body, words in BAD:
        answer = api.post(f"{API}/incidents/{ref}/action-items", json=body,
                          headers=bearer(role_tokens["responder"]))  # fmt: skip
        assert answer.status_code == 422, body
        assert words in answer.text, body
    assert api.get(f"{API}/action-items", headers=bearer(role_tokens["viewer"])).json() == {
        "items": []
    }


def test_unknown_item_is_404_and_export_without_a_tracker_is_422(
    api: TestClient, role_tokens: dict[str, str], ref: str, tocsin: Tocsin
) -> None:
    writer = bearer(role_tokens["responder"])
    assert api.get(f"{API}/action-items/AI-9", headers=writer).status_code == 404
    api.post(f"{API}/incidents/{ref}/action-items", json={"title": "x", "owner": "bob"},
             headers=writer)  # fmt: skip
    answer = api.post(f"{API}/action-items/AI-1/export", json={}, headers=writer)
    assert answer.status_code == 422
    assert "no tracker is configured" in answer.json()["error"]["message"]
