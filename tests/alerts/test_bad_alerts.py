"""One bad alert never costs the good ones and never blocks its group, on SQLite and
PostgreSQL alike; answers match what was stored and stay small."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer
from tocsin.app.ports import AlertFilter
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import RouteConfig
from tocsin.core.alert_rules import REPLACEMENT

LONG = "x" * 5000
JSON = {"Content-Type": "application/json"}


def posted(pod: str, **extra: Any) -> dict[str, Any]:
    labels = {"alertname": "HighErrorRate", "service": "api", "severity": "critical", "pod": pod}
    return {"labels": labels | extra.pop("labels", {}), **extra}


def raw(items: list[dict[str, Any]]) -> bytes:
    """JSON as a sender writes it; `\\ud800` stays a lone surrogate escape."""
    return json.dumps(items).encode()


@pytest.fixture
def key(tocsin: Tocsin) -> str:
    tocsin.config.routing.routes.append(RouteConfig(match=["service=~.+"]))
    return tocsin.alert_admin.add_integration("prom", "alertmanager").key


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (posted("p9", labels={"pod": "\ud800"}), "[1].labels.pod"),
        (posted("p9", labels={"pod": "a\x00b"}), "[1].labels.pod"),
        (posted("p9", labels={"pod": LONG}), "[1].labels.pod"),
        (posted("p9", labels={"bad\x1bname": "v"}), "[1].labels."),
        (posted("p9", labels={"service": "s" * 300}), "[1].labels.service"),
        (posted("p9", labels={"severity": "s" * 60}), "[1].severity"),
        (posted("p9", generatorURL="http://x/" + LONG), "[1].source_url"),
    ],
)
def test_a_bad_alert_is_refused_alone_and_the_group_goes_on(
    api: TestClient, tocsin: Tocsin, key: str, bad: dict[str, Any], field: str
) -> None:
    url = f"/ingest/prometheus/{key}/api/v2/alerts"
    answer = api.post(url, content=raw([posted("p1"), bad, posted("p2")]))
    assert answer.status_code == 400, answer.text
    assert field in answer.text
    # The good ones of that body are stored; the group is not blocked for later alerts.
    later = api.post(url, content=raw([posted("p3")]))
    assert later.status_code == 200, later.text
    stored = tocsin.alert_admin.alerts(AlertFilter(limit=100))
    assert sorted(a.labels["pod"] for a in stored.items) == ["p1", "p2", "p3"]
    assert tocsin.incidents.get("INC-1").status.is_open


def test_text_for_people_is_cleaned_not_refused(api: TestClient, tocsin: Tocsin, key: str) -> None:
    body = [posted("p1", annotations={"summary": "disk \x1b[31mfull\ud800", "note": LONG * 3})]
    answer = api.post(f"/ingest/prometheus/{key}/api/v2/alerts", content=raw(body))
    assert answer.status_code == 200, answer.text
    [alert] = tocsin.alert_admin.alerts(AlertFilter()).items
    assert alert.summary == f"disk {REPLACEMENT}[31mfull{REPLACEMENT}"
    assert len(alert.annotations["note"]) == 8192
    timeline = tocsin.incidents.timeline("INC-1")
    assert "\x1b" not in json.dumps([e.text for e in timeline], ensure_ascii=False)


def test_an_answer_about_many_bad_alerts_stays_short(api: TestClient, key: str) -> None:
    body = b"[" + b",".join([b"{}"] * 300_000) + b"]"  # ~900 KB of bad alerts
    assert len(body) < 1024 * 1024
    answer = api.post(f"/ingest/prometheus/{key}/api/v2/alerts", content=body)
    assert answer.status_code == 400
    assert len(answer.content) < 10_000
    assert "299900 more problem(s) not listed" in answer.text


def test_pagerduty_acknowledge_and_resolve_keep_the_summary(
    api: TestClient, tocsin: Tocsin
) -> None:
    key = tocsin.alert_admin.add_integration("pd", "pagerduty").key
    trigger = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "db-primary",
        "payload": {"summary": "DB primary down", "source": "db1", "severity": "critical"},
        "links": [{"href": "https://grafana.example/d/db", "text": "dashboard"}],
    }
    assert api.post("/v2/enqueue", json=trigger).status_code == 202
    for action in ("acknowledge", "resolve"):
        event = {"routing_key": key, "event_action": action, "dedup_key": "db-primary"}
        assert api.post("/v2/enqueue", json=event).status_code == 202
        [alert] = tocsin.alert_admin.alerts(AlertFilter()).items
        assert alert.summary == "DB primary down", action


def test_starts_at_and_the_source_link_are_kept_and_shown(
    api: TestClient, tocsin: Tocsin, key: str, role_tokens: dict[str, str]
) -> None:
    body = [posted("p1", startsAt="2026-11-22T03:00:00Z", generatorURL="http://prom/graph")]
    assert api.post(f"/ingest/prometheus/{key}/api/v2/alerts", json=body).status_code == 200
    listed = api.get("/api/v1/alerts", headers=bearer(role_tokens["viewer"])).json()
    [item] = listed["items"]
    assert item["starts_at"] == "2026-11-22T03:00:00Z"
    assert item["source_url"] == "http://prom/graph"


@pytest.mark.parametrize(
    "body",
    [
        {"matchers": ["pod=\ud800"], "ends_at": "2099-01-01T00:00:00Z", "comment": "c"},
        {"matchers": ["pod=" + LONG], "ends_at": "2099-01-01T00:00:00Z", "comment": "c"},
        {"matchers": ["pod=a"], "ends_at": "2099-01-01T00:00:00Z", "comment": "c\x00"},
    ],
)
def test_silences_refuse_what_cannot_be_stored(
    api: TestClient, role_tokens: dict[str, str], body: dict[str, Any]
) -> None:
    answer = api.post(
        "/api/v1/silences",
        content=json.dumps(body),
        headers=JSON | bearer(role_tokens["responder"]),
    )
    assert answer.status_code == 422, answer.text
    assert "matcher" in answer.text or "comment" in answer.text


@pytest.mark.parametrize(
    "service",
    ["api\ud800", "s" * 300, "a\x00"],
)
def test_maintenance_refuses_what_cannot_be_stored(
    api: TestClient, role_tokens: dict[str, str], service: str
) -> None:
    body = {"service": service, "ends_at": "2099-01-01T00:00:00Z", "comment": "c"}
    answer = api.post(
        "/api/v1/maintenance",
        content=json.dumps(body),
        headers=JSON | bearer(role_tokens["responder"]),
    )
    assert answer.status_code == 422, answer.text
    assert "service" in answer.text
