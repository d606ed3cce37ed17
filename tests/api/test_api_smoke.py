"""The API's main paths with real tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import bearer


def test_declare_then_act_then_read(api: TestClient, role_tokens: dict[str, str]) -> None:
    auth = bearer(role_tokens["responder"])
    body = {"title": "API 500s", "severity": "P1", "scope": {"services": ["api"], "tenants": "all"}}
    created = api.post("/api/v1/incidents", json=body, headers=auth)
    assert created.status_code == 201, created.text
    incident = created.json()
    assert incident["id"] == "INC-1"
    assert incident["message"].startswith("🚨 INCIDENT: API 500s")
    ack = api.post("/api/v1/incidents/INC-1/acknowledge", json={"version": 2}, headers=auth)
    assert ack.status_code == 200, ack.text
    assert ack.json()["acknowledged_by"] == "token:responder-token"
    stale = api.post(
        "/api/v1/incidents/INC-1/notes", json={"text": "x", "version": 2}, headers=auth
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["kind"] == "conflict"
    shown = api.get("/api/v1/incidents/INC-1", headers=bearer(role_tokens["viewer"])).json()
    assert [e["kind"] for e in shown["timeline"]] == ["declared", "message", "acknowledged"]
    listing = api.get("/api/v1/incidents?status=open", headers=auth).json()
    assert (listing["total"], listing["items"][0]["id"]) == (1, "INC-1")


def test_viewer_cannot_declare_and_anonymous_cannot_read(
    api: TestClient, role_tokens: dict[str, str]
) -> None:
    denied = api.post(
        "/api/v1/incidents",
        json={"title": "x", "severity": "P1"},
        headers=bearer(role_tokens["viewer"]),
    )
    assert denied.status_code == 403
    assert api.get("/api/v1/incidents").status_code == 401


def test_bad_input_names_the_field(api: TestClient, role_tokens: dict[str, str]) -> None:
    auth = bearer(role_tokens["responder"])
    unknown = api.post("/api/v1/incidents", json={"title": "x", "colour": "red"}, headers=auth)
    assert unknown.status_code == 422
    assert "colour" in unknown.json()["error"]["message"]
    bad_sev = api.post("/api/v1/incidents", json={"title": "x", "severity": "P9"}, headers=auth)
    assert bad_sev.status_code == 422
    assert "valid severities: P1, P2, P3, P4" in bad_sev.json()["error"]["message"]
    broken = api.post(
        "/api/v1/incidents",
        content=b"{not json",
        headers={**auth, "content-type": "application/json"},
    )
    assert broken.status_code == 422
    huge = api.post("/api/v1/incidents", content=b"x" * (1024 * 1024 + 1), headers=auth)
    assert huge.status_code == 413
