"""Runbooks over the API: run a step for an incident (a worker carries it out), refusals
(viewer, no confirmation, missing variable) audited or named, approvals, the audit log."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from tests.conftest import bearer
from tocsin.bootstrap import Tocsin

API = "/api/v1"
BOOK = """\
# Ops
```bash {name=Hello}
echo "hello $SERVICE"
```
```bash {kind=mitigation name=Throttle}
echo "throttle $API_ID"
```
"""


def setup(tocsin: Tocsin, api: TestClient, tokens: dict[str, str], severity: str = "P2") -> str:
    folder = tocsin.config_path.parent / "runbooks"
    folder.mkdir(exist_ok=True)
    (folder / "ops.md").write_text(BOOK, encoding="utf-8")
    body = {"title": "API down", "severity": severity, "scope": {"services": ["api"]}}
    made = api.post(f"{API}/incidents", json=body, headers=bearer(tokens["responder"]))
    return str(made.json()["id"])


def test_a_run_is_accepted_then_a_worker_puts_it_on_the_timeline(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    ref = setup(tocsin, api, role_tokens)
    who = bearer(role_tokens["responder"])
    listed = api.get(f"{API}/runbooks", headers=bearer(role_tokens["viewer"])).json()
    assert [(b["name"], len(b["steps"])) for b in listed] == [("ops", 2)]
    answer = api.post(f"{API}/incidents/{ref}/runbooks/ops/run", json={"step": 1}, headers=who)
    assert answer.status_code == 202, answer.text
    (run,) = answer.json()["runs"]
    assert run["status"] == "queued"
    assert tocsin.job_runner.run_due("w") == 1
    done = api.get(f"{API}/runbook-runs/{run['id']}", headers=who).json()
    assert (done["status"], done["output"]) == ("succeeded", "hello api\n")
    timeline = api.get(f"{API}/incidents/{ref}/timeline", headers=who).json()
    (entry,) = [e for e in timeline if e["kind"] == "command"]
    assert entry["data"]["output"] == "hello api\n"
    assert entry["actor"] == "token:responder-token"


def test_refusals_viewer_no_confirmation_missing_variable(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    ref = setup(tocsin, api, role_tokens)
    url = f"{API}/incidents/{ref}/runbooks/ops/run"
    viewer = api.post(url, json={"step": 2, "confirm": True, "values": {"API_ID": "x"}},
                      headers=bearer(role_tokens["viewer"]))  # fmt: skip
    assert viewer.status_code == 403
    who = bearer(role_tokens["responder"])
    unconfirmed = api.post(url, json={"step": 2, "values": {"API_ID": "x"}}, headers=who)
    assert unconfirmed.status_code == 409
    assert "is a mitigation" in unconfirmed.json()["error"]["message"]
    missing = api.post(url, json={"step": 2, "confirm": True}, headers=who)
    assert missing.status_code == 422
    assert "step 2 needs API_ID" in missing.json()["error"]["message"]
    bad = api.post(url, json={"step": 2, "values": {"1BAD": "x"}}, headers=who)
    assert bad.status_code == 422
    dry = api.post(url, json={"step": 2, "dry_run": True, "values": {"API_ID": "x"}}, headers=who)
    assert dry.status_code == 200
    assert dry.json()["plans"][0]["command"] == 'echo "throttle $API_ID"'
    audit = api.get(f"{API}/audit", headers=bearer(role_tokens["admin"])).json()
    assert [r["detail"]["reason"] for r in audit] == ["viewer role", "no confirmation"]
    assert api.get(f"{API}/runbook-runs/1", headers=who).status_code == 404


def test_a_p1_mitigation_waits_for_a_second_person(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    books = tocsin.runbooks.runbooks
    books.settings = replace(books.settings, approval=frozenset({"p1"}))
    ref = setup(tocsin, api, role_tokens, "P1")
    body = {"step": 2, "confirm": True, "values": {"API_ID": "x"}}
    made = api.post(f"{API}/incidents/{ref}/runbooks/ops/run", json=body,
                    headers=bearer(role_tokens["responder"])).json()  # fmt: skip
    (run,) = made["runs"]
    assert run["status"] == "awaiting_approval"
    assert tocsin.job_runner.run_due("w") == 0
    url = f"{API}/runbook-runs/{run['id']}/approve"
    same = api.post(url, headers=bearer(role_tokens["responder"]))
    assert same.status_code == 409
    approved = api.post(url, headers=bearer(role_tokens["admin"]))
    assert approved.status_code == 202
    assert tocsin.job_runner.run_due("w") == 1
    done = api.get(f"{API}/runbook-runs/{run['id']}", headers=bearer(role_tokens["admin"])).json()
    assert (done["status"], done["approved_by"]) == ("succeeded", "token:admin-token")
    verified = api.get(f"{API}/audit/verify", headers=bearer(role_tokens["admin"])).json()
    assert verified == {"checked": 4, "ok": True, "broken": None}


def test_typed_actions_over_the_api_check_role_confirmation_and_parameters(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    ref = setup(tocsin, api, role_tokens)
    listed = api.get(f"{API}/actions", headers=bearer(role_tokens["viewer"])).json()
    assert "ecs.scale" in [a["name"] for a in listed]
    url = f"{API}/incidents/{ref}/actions/ecs.scale"
    params = {"cluster": "c", "service": "s", "desired_count": "3"}
    viewer = api.post(url, json={"params": params, "confirm": True},
                      headers=bearer(role_tokens["viewer"]))  # fmt: skip
    assert viewer.status_code == 403
    who = bearer(role_tokens["responder"])
    unconfirmed = api.post(url, json={"params": params}, headers=who)
    assert unconfirmed.status_code == 409
    bad = api.post(url, json={"params": {**params, "desired_count": "many"}, "confirm": True},
                   headers=who)  # fmt: skip
    assert bad.status_code == 422
    assert "desired_count='many': give a number" in bad.json()["error"]["message"]
    unknown = api.post(f"{API}/incidents/{ref}/actions/ecs.explode", json={}, headers=who)
    assert unknown.status_code == 404
    reasons = [r.detail["reason"] for r in tocsin.audit.records()]
    assert reasons == ["viewer role", "no confirmation"]
