"""The response models describe the JSON the API always sent; they change none of it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import bearer
from tocsin.app.views import incident_json
from tocsin.bootstrap import Tocsin


def test_incident_json_passes_through_the_models_unchanged(
    api: TestClient, tocsin: Tocsin, role_tokens: dict[str, str]
) -> None:
    auth = bearer(role_tokens["responder"])
    body = {"title": "Slow", "severity": "P2", "scope": {"tenants": "all"}, "labels": ["db"]}
    assert api.post("/api/v1/incidents", json=body, headers=auth).status_code == 201
    steps = [("roles", {"role": "comms", "person": "bob"}), ("mitigate", {"action": "rollback"})]
    for action, step in steps:
        assert api.post(f"/api/v1/incidents/INC-1/{action}", json=step, headers=auth).is_success
    shown = api.get("/api/v1/incidents/INC-1", headers=auth).json()
    expected = incident_json(tocsin.incidents.get("INC-1"), tocsin.incidents.timeline("INC-1"))
    assert shown == expected
    listed = api.get("/api/v1/incidents", headers=auth).json()["items"]
    assert listed == [incident_json(tocsin.incidents.get("INC-1"))]
