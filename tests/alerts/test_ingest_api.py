"""Alert ingestion through the HTTP API on SQLite and PostgreSQL: dedup, grouping, storms,
silences, auto-declare, keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tocsin.app.clock import ManualClock
from tocsin.app.ports import AlertFilter, IncidentFilter
from tocsin.bootstrap import Tocsin
from tocsin.core.timeline import EntryKind


def webhook(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighErrorRate"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "tocsin",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def alert(fp: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {
            "alertname": "HighErrorRate",
            "service": "api",
            "severity": "critical",
            **labels,
        },
        "annotations": {"summary": "API 5xx above 5%", "runbook_url": "https://runbooks/api"},
        "startsAt": "2026-11-22T03:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": fp,
    }


@pytest.fixture
def key(tocsin: Tocsin) -> str:
    return tocsin.alert_admin.add_integration("prod-am", "alertmanager").key


@pytest.fixture
def auto_routing(tocsin: Tocsin) -> None:
    """Route every alert with a service label, declaring automatically."""
    from tocsin.config.routing import RouteConfig

    tocsin.config.routing.routes.append(RouteConfig(match=["service=~.+"]))


def test_an_alert_declares_one_incident_and_repeats_deduplicate(
    api: TestClient, tocsin: Tocsin, key: str, auto_routing: None
) -> None:
    first = api.post(f"/ingest/alertmanager/{key}", json=webhook(alert("a1")))
    assert first.status_code == 200, first.text
    assert first.json()["declared"] == ["INC-1"]
    again = api.post(f"/ingest/alertmanager/{key}", json=webhook(alert("a1")))
    assert again.json()["declared"] == []
    incident = tocsin.incidents.get("INC-1")
    assert (incident.severity, incident.scope.services, incident.title) == (
        "P1",
        ("api",),
        "API 5xx above 5%",
    )
    page = tocsin.alert_admin.alerts(AlertFilter())
    assert page.total == 1
    assert (page.items[0].count, page.items[0].incident) == (2, 1)


def test_resolve_and_refire_count_a_flap(
    api: TestClient, tocsin: Tocsin, key: str, auto_routing: None
) -> None:
    api.post(f"/ingest/alertmanager/{key}", json=webhook(alert("a1")))
    api.post(
        f"/ingest/alertmanager/{key}", json=webhook(alert("a1", "resolved"), status="resolved")
    )
    api.post(f"/ingest/alertmanager/{key}", json=webhook(alert("a1")))
    [row] = tocsin.alert_admin.alerts(AlertFilter()).items
    assert (row.status.value, row.count, row.flaps) == ("firing", 3, 1)


def test_a_storm_makes_one_incident_with_a_summarised_timeline(
    api: TestClient, tocsin: Tocsin, key: str, auto_routing: None
) -> None:
    for batch in range(10):
        alerts = [alert(f"fp-{batch}-{i}", instance=f"10.0.{batch}.{i}") for i in range(100)]
        answer = api.post(f"/ingest/alertmanager/{key}", json=webhook(*alerts))
        assert answer.status_code == 200
    assert tocsin.incidents.find(IncidentFilter()).total == 1
    summaries = [e for e in tocsin.incidents.timeline("INC-1") if e.kind is EntryKind.ALERTS]
    assert len(summaries) <= 6
    assert summaries[-1].data["alerts"] == 1000
    assert summaries[-1].data["firing"] == 1000
    assert "alertname=HighErrorRate (1000)" in summaries[-1].text


def test_a_silence_keeps_the_alert_but_does_not_declare(
    api: TestClient, tocsin: Tocsin, key: str, auto_routing: None, clock: ManualClock
) -> None:
    tocsin.alert_admin.silence(
        ["alertname=HighErrorRate"], None, clock.now() + timedelta(hours=1), "alice", "deploying"
    )
    answer = api.post(f"/ingest/alertmanager/{key}", json=webhook(alert("a1")))
    assert (answer.json()["declared"], answer.json()["suppressed"]) == ([], 1)
    [row] = tocsin.alert_admin.alerts(AlertFilter(suppressed=True)).items
    assert row.suppressed_by is not None
    assert row.suppressed_by.startswith("silence:")


def test_without_a_matching_route_alerts_are_kept_and_only_suggested(
    api: TestClient, tocsin: Tocsin, key: str
) -> None:
    warning = alert("a1", severity="warning")  # critical and error alerts declare at once
    answer = api.post(f"/ingest/alertmanager/{key}", json=webhook(warning))
    assert (answer.status_code, answer.json()["declared"]) == (200, [])
    assert tocsin.alert_admin.alerts(AlertFilter()).total == 1


def test_a_bad_alert_never_loses_the_good_ones(
    api: TestClient, tocsin: Tocsin, key: str, auto_routing: None
) -> None:
    bad = {"status": "firing", "labels": "not a map"}
    answer = api.post(f"/ingest/alertmanager/{key}", json=webhook(alert("good"), bad))
    assert answer.status_code == 400
    assert any("alerts[1]" in e for e in answer.json()["errors"])
    assert answer.json()["accepted"] == 1
    assert tocsin.alert_admin.alerts(AlertFilter()).total == 1


@pytest.mark.parametrize("sent", ["nope", None, "other-source"])
def test_a_wrong_or_missing_key_gets_the_same_401(
    api: TestClient, tocsin: Tocsin, key: str, sent: str | None
) -> None:
    if sent == "other-source":
        sent = tocsin.alert_admin.add_integration("graf", "grafana").key
    url = f"/ingest/alertmanager/{sent}" if sent else "/ingest/alertmanager"
    answer = api.post(url, json=webhook(alert("a1")))
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "missing or wrong integration key"
    assert tocsin.alert_admin.alerts(AlertFilter()).total == 0


def test_prometheus_can_post_to_the_alertmanager_api_with_a_bearer_key(
    api: TestClient, tocsin: Tocsin, key: str, auto_routing: None
) -> None:
    alerts = [{"labels": {"alertname": "DiskFull", "service": "db", "severity": "warning"}}]
    answer = api.post("/api/v2/alerts", json=alerts, headers={"Authorization": f"Bearer {key}"})
    assert (answer.status_code, answer.text) == (200, "")
    bad = api.post(f"/ingest/prometheus/{key}/api/v2/alerts", json=[{"annotations": {}}])
    assert bad.status_code == 400
    assert "labels" in bad.text
    assert tocsin.incidents.get("INC-1").severity == "P3"


def test_alerts_kept_as_suggestions_join_the_incident_declared_later(
    api: TestClient, tocsin: Tocsin, key: str
) -> None:
    early = alert("early", severity="warning")  # no route: a warning is only suggested
    api.post(f"/ingest/alertmanager/{key}", json=webhook(early))
    from tocsin.config.routing import RouteConfig

    tocsin.config.routing.routes.append(RouteConfig(match=["service=~.+"]))
    later = api.post(f"/ingest/alertmanager/{key}", json=webhook(alert("later")))
    assert later.json()["declared"] == ["INC-1"]
    rows = tocsin.alert_admin.alerts(AlertFilter()).items
    assert sorted((r.dedup_key, r.incident) for r in rows) == [("early", 1), ("later", 1)]


def test_a_rotated_key_stops_working_at_once(api: TestClient, tocsin: Tocsin, key: str) -> None:
    assert api.post(f"/ingest/alertmanager/{key}", json=webhook(alert("a"))).status_code == 200
    new = tocsin.alert_admin.rotate_key("prod-am").key
    assert api.post(f"/ingest/alertmanager/{key}", json=webhook(alert("b"))).status_code == 401
    assert api.post(f"/ingest/alertmanager/{new}", json=webhook(alert("c"))).status_code == 200
