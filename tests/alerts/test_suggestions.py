"""Suggested incidents on SQLite and PostgreSQL: what a fresh install declares at once, what it
asks a person about, and declaring or dismissing a suggestion through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.alerts.test_ingest_api import alert, webhook
from tests.conftest import START, bearer
from tocsin.app.clock import ManualClock
from tocsin.app.ports import AlertFilter, IncidentFilter, UnitOfWork
from tocsin.bootstrap import Tocsin
from tocsin.core.incident import Incident
from tocsin.core.timeline import EntryKind, TimelineEntry, iso

API = "/api/v1"


@pytest.fixture
def key(tocsin: Tocsin) -> str:
    return tocsin.alert_admin.add_integration("prod-am", "alertmanager").key


@pytest.fixture
def send(api: TestClient, key: str) -> Any:
    def post(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
        answer = api.post(f"/ingest/alertmanager/{key}", json=webhook(*alerts, status=status))
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    return post


@pytest.fixture
def viewer(role_tokens: dict[str, str]) -> dict[str, str]:
    return bearer(role_tokens["viewer"])


@pytest.fixture
def responder(role_tokens: dict[str, str]) -> dict[str, str]:
    return bearer(role_tokens["responder"])


def warning(fp: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    return alert(fp, status, alertname="DiskFull", severity="warning", **labels)


def suggestions(api: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = api.get(f"{API}/alerts/suggestions", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_fresh_install_declares_critical_and_error_alerts_and_suggests_a_warning(
    api: TestClient, tocsin: Tocsin, send: Any, viewer: dict[str, str]
) -> None:
    assert send(alert("c1"))["declared"] == ["INC-1"]  # critical, no route: the default
    assert send(alert("e1", alertname="Latency", severity="error"))["declared"] == ["INC-2"]
    assert send(warning("w1"))["declared"] == []
    assert [i.severity for i in tocsin.incidents.find(IncidentFilter()).items] == ["P2", "P1"]
    found = suggestions(api, viewer)
    assert (found["total"], [s["severity"] for s in found["items"]]) == (1, ["P3"])


def test_a_suggestion_says_from_which_alerts_how_many_and_since_when(
    api: TestClient, tocsin: Tocsin, send: Any, viewer: dict[str, str], clock: ManualClock
) -> None:
    send(warning("w1", instance="a"), warning("w2", instance="b"))
    clock.advance(timedelta(minutes=5))
    send(warning("w1", instance="a"))
    [row, _] = tocsin.alert_admin.alerts(AlertFilter()).items
    found = suggestions(api, viewer)
    assert found["total"] == 1
    [item] = found["items"]
    assert item == {
        "group_key": row.group_key,
        "service": "api",
        "severity": "P3",
        "summary": "API 5xx above 5%",
        "alert_id": item["alert_id"],
        "integration": "prod-am",
        "alerts": 2,
        "firing": 2,
        "first_at": iso(START),
        "firing_since": iso(START),
        "last_at": iso(START + timedelta(minutes=5)),
        "dismissed_at": None,
        "dismissed_by": None,
    }
    listed = api.get(f"{API}/alerts", headers=viewer).json()["items"]
    assert {a["group_key"] for a in listed} == {row.group_key}
    assert item["alert_id"] in {a["id"] for a in listed}


def test_declaring_a_suggestion_by_group_links_its_alerts_and_runs_the_declared_handlers(
    api: TestClient,
    tocsin: Tocsin,
    send: Any,
    viewer: dict[str, str],
    responder: dict[str, str],
) -> None:
    seen: list[str] = []

    def on_declared(uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        seen.append(f"{incident.id} by {entry.actor}")

    tocsin.handlers.on(EntryKind.DECLARED, on_declared)
    send(warning("w1", instance="a"), warning("w2", instance="b"))
    [item] = suggestions(api, viewer)["items"]

    made = api.post(f"{API}/alerts/{item['group_key']}/declare", json={}, headers=responder)

    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["id"], body["severity"], body["title"]) == ("INC-1", "P3", "API 5xx above 5%")
    assert body["scope"]["services"] == ["api"]
    assert body["labels"] == ["alert"]
    assert "INCIDENT" in body["message"]
    assert seen == [f"INC-1 by {body['declared_by']}"]
    assert {r.incident for r in tocsin.alert_admin.alerts(AlertFilter()).items} == {1}
    [summary] = [e for e in tocsin.incidents.timeline("INC-1") if e.kind is EntryKind.ALERTS]
    assert (summary.data["group_key"], summary.data["alerts"]) == (item["group_key"], 2)
    assert suggestions(api, viewer)["total"] == 0
    again = api.post(f"{API}/alerts/{item['group_key']}/declare", json={}, headers=responder)
    assert again.status_code == 409
    assert "INC-1" in again.json()["error"]["message"]
    assert seen == [f"INC-1 by {body['declared_by']}"]


def test_declaring_by_an_alert_id_with_a_title(
    api: TestClient, tocsin: Tocsin, send: Any, viewer: dict[str, str], responder: dict[str, str]
) -> None:
    send(warning("w1"), alert("i1", alertname="Queue", severity="info"))
    queue = next(a for a in api.get(f"{API}/alerts", headers=viewer).json()["items"]
                 if a["labels"]["alertname"] == "Queue")  # fmt: skip

    made = api.post(
        f"{API}/alerts/{queue['id']}/declare", json={"title": "Queue backs up"}, headers=responder
    )

    assert made.status_code == 201, made.text
    assert (made.json()["title"], made.json()["severity"]) == ("Queue backs up", "P4")
    linked = {r.dedup_key: r.incident for r in tocsin.alert_admin.alerts(AlertFilter()).items}
    assert linked == {"w1": None, "i1": 1}
    assert [s["severity"] for s in suggestions(api, viewer)["items"]] == ["P3"]


def test_a_critical_alert_declares_a_group_suggested_for_a_warning(
    api: TestClient, tocsin: Tocsin, send: Any, viewer: dict[str, str]
) -> None:
    send(warning("w1"))
    assert suggestions(api, viewer)["total"] == 1
    # the same group (service and alertname), and a batch whose first alert only suggests
    answer = send(warning("w2"), alert("c1", alertname="DiskFull"))
    assert answer["declared"] == ["INC-1"]
    assert tocsin.incidents.get("INC-1").severity == "P1"
    rows = tocsin.alert_admin.alerts(AlertFilter()).items
    assert {r.dedup_key: r.incident for r in rows} == {"w1": 1, "w2": 1, "c1": 1}
    assert suggestions(api, viewer)["total"] == 0


def test_dismissing_is_recorded_and_lasts_until_the_group_fires_again_after_resolving(
    api: TestClient,
    send: Any,
    viewer: dict[str, str],
    responder: dict[str, str],
    clock: ManualClock,
) -> None:
    send(warning("w1"))
    [item] = suggestions(api, viewer)["items"]
    clock.advance(timedelta(minutes=1))

    done = api.post(f"{API}/alerts/{item['group_key']}/dismiss", json={}, headers=responder)

    assert done.status_code == 200, done.text
    assert done.json()["dismissed_at"] == iso(START + timedelta(minutes=1))
    assert done.json()["dismissed_by"].endswith("responder-token")
    assert suggestions(api, viewer)["total"] == 0
    [kept] = suggestions(api, viewer, dismissed="true")["items"]
    assert (kept["group_key"], kept["dismissed_by"]) == (
        item["group_key"],
        done.json()["dismissed_by"],
    )
    send(warning("w1"), warning("w2"))  # still firing: still dismissed
    assert suggestions(api, viewer)["total"] == 0
    send(warning("w1", "resolved"), warning("w2", "resolved"), status="resolved")
    clock.advance(timedelta(minutes=1))
    send(warning("w1"))  # fires again after every alert resolved: asked about again
    [back] = suggestions(api, viewer)["items"]
    assert (back["group_key"], back["dismissed_at"], back["firing"]) == (item["group_key"], None, 1)
    assert back["firing_since"] == iso(START + timedelta(minutes=2))


def test_resolved_and_silenced_alerts_are_not_suggested(
    api: TestClient, tocsin: Tocsin, send: Any, viewer: dict[str, str], clock: ManualClock
) -> None:
    send(warning("w1"))
    send(warning("w1", "resolved"), status="resolved")
    assert suggestions(api, viewer)["total"] == 0
    tocsin.alert_admin.silence(
        ["alertname=Noisy"], None, clock.now() + timedelta(hours=1), "ann", "known"
    )
    send(alert("n1", alertname="Noisy", severity="warning"))
    assert suggestions(api, viewer)["total"] == 0


def test_after_its_incident_is_resolved_a_firing_group_is_suggested_again(
    api: TestClient, tocsin: Tocsin, send: Any, viewer: dict[str, str], responder: dict[str, str]
) -> None:
    send(warning("w1"))
    [item] = suggestions(api, viewer)["items"]
    assert (
        api.post(f"{API}/alerts/{item['group_key']}/declare", headers=responder).status_code == 201
    )
    send(warning("w1"))
    tocsin.incidents.resolve("INC-1", "ann")
    assert [s["group_key"] for s in suggestions(api, viewer)["items"]] == [item["group_key"]]
    made = api.post(f"{API}/alerts/{item['group_key']}/declare", headers=responder)
    assert made.json()["id"] == "INC-2"
    [row] = tocsin.alert_admin.alerts(AlertFilter()).items
    assert row.incident == 2  # the firing alert moves to the incident declared for it


def test_bad_references_and_refusals_name_the_field_and_the_fix(
    api: TestClient, tocsin: Tocsin, send: Any, responder: dict[str, str]
) -> None:
    send(warning("w1"))
    group = tocsin.alert_admin.alerts(AlertFilter()).items[0].group_key

    def refusal(path: str, body: Any = None) -> tuple[int, str]:
        answer = api.post(f"{API}/alerts/{path}", json=body or {}, headers=responder)
        assert answer.status_code < 500, answer.text
        return answer.status_code, answer.json()["error"]["message"]

    status, message = refusal("not-a-ref/declare")
    assert status == 422
    assert message.startswith("ref 'not-a-ref': ")
    assert "32 hex characters" in message
    for big in ("0", "99999999999", "-3"):
        assert refusal(f"{big}/dismiss")[0] == 422, big
    status, message = refusal(f"{'0' * 31}f/declare")
    assert (status, message) == (
        404,
        f"no alert group {'0' * 31}f; see `tocsin alert suggestions` or `tocsin alert list --json`",
    )
    status, message = refusal("4242/declare")
    assert (status, message) == (404, "no alert 4242; see `tocsin alert list --json`")
    status, message = refusal(f"{group}/declare", {"title": "x" * 201})
    assert status == 422
    assert "title" in message
    status, message = refusal(f"{group}/declare", {"severity": "P1"})
    assert status == 422
    assert "severity" in message
    status, message = refusal(f"{group}/declare", {"title": "   "})
    assert status == 422
    assert "title" in message
    assert api.post(f"{API}/alerts/{group}/declare", headers=responder).status_code == 201
    status, message = refusal(f"{group}/dismiss")
    assert status == 409
    assert "INC-1" in message
    send(warning("w1", "resolved"), status="resolved")
    tocsin.incidents.resolve("INC-1", "ann")
    status, message = refusal(f"{group}/declare")
    assert status == 409
    assert "no firing alert" in message
    bad_limit = api.get(f"{API}/alerts/suggestions", params={"limit": 0}, headers=responder)
    assert bad_limit.status_code == 422
    assert "limit" in bad_limit.json()["error"]["message"]
