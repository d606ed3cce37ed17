"""Post-mortems over the API: viewers read, responders write; 422 for bad input, 409 for a
stale version or an open incident; closing refused while unpublished (SQLite only: the
storage itself is tested on both engines in tests/integration/test_postmortems.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer
from tocsin.bootstrap import Tocsin

API = "/api/v1"
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def incident(api: TestClient, who: dict[str, str]) -> str:
    made = api.post(f"{API}/incidents", json={"title": "API down", "severity": "P1"}, headers=who)
    return str(made.json()["id"])


def test_the_whole_life_over_http(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    rw, ro = bearer(role_tokens["responder"]), bearer(role_tokens["viewer"])
    ref = incident(api, rw)
    pm = f"{API}/incidents/{ref}/postmortem"
    early = api.post(f"{pm}/draft", json={}, headers=rw)
    assert early.status_code == 409
    assert (
        "is still investigating: resolve it first (root cause, fix)"
        in early.json()["error"]["message"]
    )
    api.post(f"{API}/incidents/{ref}/resolve", json={"root_cause": "x", "fix": "y"}, headers=rw)
    assert api.post(f"{pm}/draft", json={}, headers=ro).status_code == 403
    made = api.post(f"{pm}/draft", json={"category": "database"}, headers=rw)
    assert made.status_code == 201
    assert made.json()["version"] == 1
    assert made.json()["category"] == "database"
    assert api.get(pm, headers=ro).json()["text"].startswith("# Incident Report INC-1")
    edit = {"text": "# Ours\n", "version": 1}
    assert api.put(pm, json=edit, headers=rw).json()["version"] == 2
    stale = api.put(pm, json=edit, headers=rw)
    assert stale.status_code == 409
    assert "changed since version 1" in stale.json()["error"]["message"]
    closing = api.post(f"{API}/incidents/{ref}/close", json={}, headers=rw)
    assert closing.status_code == 409
    assert "its post-mortem is required" in closing.json()["error"]["message"]
    assert api.post(f"{pm}/review", json={"version": 2}, headers=rw).json()["status"] == "in_review"
    assert api.post(f"{pm}/publish", json={}, headers=rw).json()["status"] == "published"
    history = api.get(f"{pm}/history", headers=ro).json()
    assert [h["action"] for h in history] == ["draft", "edit", "review", "publish"]
    assert "text" not in history[0]
    assert api.get(pm, params={"version": 1}, headers=ro).json()["text"] != "# Ours\n"
    assert api.post(f"{API}/incidents/{ref}/close", json={}, headers=rw).status_code == 200
    listed = api.get(f"{API}/postmortems", headers=ro).json()
    assert listed[0]["published_version"] == 4


BAD = [
    ("put", "/postmortem", {"text": "", "version": 1}),
    ("put", "/postmortem", {"text": "x", "version": 0}),
    ("put", "/postmortem", {"text": "x"}),
    ("put", "/postmortem", {"text": "x", "version": 1, "extra": 1}),
    ("post", "/postmortem/draft", {"category": "gremlins"}),
    ("post", "/postmortem/review", {"version": "two"}),
]


def test_bad_input_is_422(tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]) -> None:
    rw = bearer(role_tokens["responder"])
    ref = incident(api, rw)
    api.post(f"{API}/incidents/{ref}/resolve", json={}, headers=rw)
    for method, path, body in BAD:
        got = api.request(method, f"{API}/incidents/{ref}{path}", json=body, headers=rw)
        assert got.status_code == 422, (path, body, got.text)
