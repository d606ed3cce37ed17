"""Grafana's webhook contact point, and its HMAC signature."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from tests import payloads
from tocsin.core.alerts import AlertAction, FieldProblem
from tocsin.integrations.sources import grafana


def test_firing_alerts_keep_grafanas_links_and_values() -> None:
    parsed = grafana.parse(payloads.load("grafana", "firing.json"))
    assert parsed.problems == []
    memory, cpu = parsed.alerts
    assert (memory.source, memory.dedup_key, memory.action) == (
        "grafana",
        "c6eadffa33fcdf37",
        AlertAction.TRIGGER,
    )
    assert memory.summary == "Memory above 90% in zone us-1"
    assert memory.group == '{}/{team="blue"}:{grafana_folder="Infra"}'
    assert memory.starts_at == datetime(2024, 11, 22, 2, 51, 3, 157076, tzinfo=UTC)
    assert memory.ends_at is None
    assert memory.source_url == "https://grafana.example.com/alerting/grafana/1afz29v7z/view"
    assert memory.runbook_url == "https://runbooks.example.com/memory"
    assert memory.annotations["values"] == "B=92.23943737541909, C=1"
    assert memory.annotations["panel_url"].endswith("viewPanel=3")
    assert memory.annotations["silence_url"].startswith("https://grafana.example.com/alerting/")
    assert "valueString" not in memory.annotations  # unknown fields are ignored
    assert (cpu.summary, cpu.severity) == ("The system has high CPU usage", "warning")
    assert "dashboard_url" not in cpu.annotations  # empty links are left out
    assert "values" not in cpu.annotations


def test_a_resolved_alert_resolves_whatever_the_deprecated_state_says() -> None:
    [alert] = grafana.parse(payloads.load("grafana", "resolved.json")).alerts
    assert alert.action is AlertAction.RESOLVE
    assert alert.ends_at == datetime(2024, 11, 22, 3, 21, 3, tzinfo=UTC)
    assert alert.annotations["image_url"].endswith(".png")
    assert alert.dedup_key == "c6eadffa33fcdf37"  # the firing alert's key


def test_an_alerts_own_annotation_wins_over_grafanas_field() -> None:
    alert = {
        "status": "firing",
        "labels": {"alertname": "A"},
        "annotations": {"values": "as the rule author wrote it"},
        "values": {"B": 1},
        "silenceURL": 42,
    }
    [parsed] = grafana.parse({"alerts": [alert]}).alerts
    assert parsed.annotations == {"values": "as the rule author wrote it"}


def test_bad_alerts_are_reported_and_good_ones_kept() -> None:
    payload = {
        "alerts": [{"status": "firing", "labels": "x"}, {"status": "ok", "fingerprint": "f"}]
    }
    parsed = grafana.parse(payload)
    assert parsed.alerts == []
    assert parsed.problems == [
        FieldProblem("alerts[0].labels", "expected an object of strings"),
        FieldProblem("alerts[1].status", 'expected "firing" or "resolved"'),
    ]
    assert grafana.parse_bytes(b"\xff").problems[0].field == "body"


SECRET = b"s3cr3t"


def sign(body: bytes, timestamp: str | None = None) -> str:
    signed = body if timestamp is None else timestamp.encode() + b":" + body
    return hmac.new(SECRET, signed, hashlib.sha256).hexdigest()


def test_hmac_accepts_grafanas_signature_with_and_without_timestamp() -> None:
    body = payloads.raw("grafana", "firing.json")
    assert grafana.verify_hmac(SECRET, body, sign(body), None)
    assert grafana.verify_hmac(SECRET, body, sign(body, "1732244400"), "1732244400")
    assert grafana.verify_hmac(SECRET, body, sign(body).upper(), None)


def test_hmac_refuses_anything_else() -> None:
    body = payloads.raw("grafana", "firing.json")
    assert not grafana.verify_hmac(SECRET, body + b" ", sign(body), None)
    assert not grafana.verify_hmac(b"other", body, sign(body), None)
    assert not grafana.verify_hmac(SECRET, body, sign(body, "1732244400"), "1732244401")
    assert not grafana.verify_hmac(SECRET, body, sign(body, "1732244400"), None)
    assert not grafana.verify_hmac(SECRET, body, "", None)
    assert not grafana.verify_hmac(SECRET, body, "é" * 64, None)
