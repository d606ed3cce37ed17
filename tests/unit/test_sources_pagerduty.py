"""PagerDuty Events API v2 events and change events, with PagerDuty's own error wording."""

from __future__ import annotations

from datetime import UTC, datetime

from tests import payloads
from tocsin.core.alerts import AlertAction, AlertIn, FieldProblem
from tocsin.integrations.sources import pagerduty

KEY = "R015ZXYMK1LQ9F2A8B7C6D5E4F3G2H1J"


def fixed_key() -> str:
    return "generated0001"


def test_the_documented_trigger_becomes_one_alert() -> None:
    result = pagerduty.parse_event(payloads.load("pagerduty", "trigger.json"))
    source = "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003"
    assert result.routing_key == KEY
    assert result.dedup_key == "samplekeyhere"
    assert result.parsed.problems == []
    assert result.parsed.alerts == [
        AlertIn(
            source="pagerduty",
            dedup_key="samplekeyhere",
            action=AlertAction.TRIGGER,
            summary="Example alert on host1.example.com",
            severity="info",
            component="postgres",
            group="prod-datapipe",
            alert_class="deploy",
            labels={
                "source": source,
                "severity": "info",
                "component": "postgres",
                "group": "prod-datapipe",
                "class": "deploy",
            },
            annotations={
                "ping time": "1500ms",
                "load avg": "0.75",
                "client": "Sample Monitoring Service",
                "client_url": "https://monitoring.example.com",
                "links": '[{"href": "https://example.com/", "text": "Link text"}]',
                "images": '[{"src": "https://www.pagerduty.com/wp-content/uploads/2016/05/'
                'pagerduty-logo-green.png", "href": "https://example.com/", '
                '"alt": "Example text"}]',
            },
            starts_at=datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC),
            source_url="https://example.com/",
        )
    ]


def test_a_trigger_without_dedup_key_gets_a_new_one_to_echo() -> None:
    body = payloads.load("pagerduty", "trigger_without_dedup_key.json")
    result = pagerduty.parse_event(body, new_key=fixed_key)
    assert result.dedup_key == "generated0001"
    [alert] = result.parsed.alerts
    assert alert.summary == "Disk full on bästa-db-01 — 99 % används"
    assert alert.annotations["free_bytes"] == "1048576"
    assert alert.annotations["mounts"] == '["/", "/var"]'
    assert alert.annotations["owner"] == '{"team": "dba"}'
    assert alert.runbook_url == "https://runbooks.example.com/disk"  # custom_details wins
    assert alert.source_url == "https://grafana.example.com/d/disk"
    first, second = (pagerduty.parse_event(body).dedup_key for _ in range(2))
    assert first != second
    assert len(str(first)) == 32


def test_a_runbook_link_becomes_the_runbook() -> None:
    event = {
        "routing_key": KEY,
        "event_action": "trigger",
        "payload": {"summary": "s", "source": "h", "severity": "error", "custom_details": "x"},
        "links": [{"href": "https://wiki/rb", "text": "Runbook"}, {"text": "no href"}, 7],
    }
    [alert] = pagerduty.parse(event).alerts
    assert alert.runbook_url == "https://wiki/rb"
    assert alert.annotations["details"] == "x"


def test_acknowledge_and_resolve_need_only_the_key() -> None:
    for name, action in (("acknowledge.json", "acknowledge"), ("resolve.json", "resolve")):
        result = pagerduty.parse_event(payloads.load("pagerduty", name))
        assert result.parsed.alerts == [
            AlertIn("pagerduty", "samplekeyhere", AlertAction(action), summary="samplekeyhere")
        ]
    event = {"routing_key": KEY, "event_action": "resolve"}
    assert pagerduty.parse_event(event).errors == ["'dedup_key' is missing or blank"]


def test_errors_read_like_pagerdutys() -> None:
    result = pagerduty.parse_event(payloads.load("pagerduty", "invalid_trigger.json"))
    assert result.routing_key is None
    assert result.parsed.alerts == []
    assert result.errors == [
        "Length of 'routing_key' is incorrect (should be 32 characters)",
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', "
        "'error' or 'info')",
        "'payload.timestamp' is invalid (must be an ISO 8601 timestamp)",
    ]
    assert [p.field for p in result.parsed.problems] == [
        "routing_key",
        "payload.summary",
        "payload.source",
        "payload.severity",
        "payload.timestamp",
    ]
    assert pagerduty.error_response(result.parsed.problems) == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": result.errors,
    }


def test_the_event_shape_itself() -> None:
    assert pagerduty.parse_event({"routing_key": "a-b", "event_action": "snooze"}).errors == [
        "Length of 'routing_key' is incorrect (should be 32 characters)",
        "'routing_key' cannot contain non-alphanumeric characters.",
        "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or "
        "'resolve')",
    ]
    assert pagerduty.parse_event({"event_action": "trigger", "routing_key": KEY}).errors == [
        "'payload' is missing or blank"
    ]
    long_key = {"routing_key": KEY, "event_action": "resolve", "dedup_key": "k" * 256}
    assert pagerduty.parse_event(long_key).errors == [
        "Length of 'dedup_key' is too long (must be 255 characters or less)"
    ]
    assert pagerduty.parse_event([]).parsed.problems == [
        FieldProblem("body", "Event object must be a JSON object")
    ]


def test_a_long_summary_is_cut_not_refused() -> None:
    event = {
        "routing_key": KEY,
        "event_action": "trigger",
        "payload": {"summary": "x" * 2000, "source": "h", "severity": "critical"},
    }
    [alert] = pagerduty.parse(event).alerts
    assert len(alert.summary) == 1024


def test_unparseable_json_is_pagerdutys_unrecognized_object() -> None:
    result = pagerduty.parse_bytes(b"{not json")
    assert pagerduty.error_response(result.parsed.problems) == {
        "status": "Unrecognized object",
        "message": "Event object format is unrecognized",
        "errors": ["JSON parse error"],
    }
    assert pagerduty.parse_bytes(payloads.raw("pagerduty", "trigger.json")).routing_key == KEY


def test_a_change_event_is_read_whole() -> None:
    result = pagerduty.parse_change(payloads.load("pagerduty", "change.json"))
    assert result.problems == []
    assert result.routing_key == KEY
    assert result.change == pagerduty.ChangeEvent(
        summary="Build Success: Increase snapshot create timeout to 30 seconds",
        source="acme-build-pipeline-tool-default-i-9999",
        timestamp=datetime(2020, 7, 17, 8, 42, 58, 315000, tzinfo=UTC),
        details={"build_state": "passed", "build_number": "2", "run_time": "1236s"},
        links=(pagerduty.Link("https://acme.pagerduty.dev/build/2", "View more details in Acme!"),),
    )


def test_a_change_event_needs_a_summary() -> None:
    result = pagerduty.parse_change({"routing_key": KEY, "payload": {"source": "ci"}})
    assert (result.change, result.errors) == (None, ["'payload.summary' is missing or blank"])
    assert pagerduty.parse_change_bytes(b"[").errors == ["JSON parse error"]
