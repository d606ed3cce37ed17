"""Alertmanager's webhook and `POST /api/v2/alerts`, against recorded payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests import payloads
from tocsin.core.alerts import AlertAction, AlertIn, FieldProblem
from tocsin.integrations.sources import alertmanager
from tocsin.integrations.sources.fields import fingerprint

DISK_LABELS = {
    "alertname": "NodeFilesystemAlmostOutOfSpace",
    "device": "/dev/nvme0n1p1",
    "fstype": "ext4",
    "instance": "db-1.prod:9100",
    "job": "node",
    "mountpoint": "/var/lib/postgresql",
    "severity": "critical",
}


def test_a_firing_notification_becomes_one_alert_per_alert() -> None:
    parsed = alertmanager.parse(payloads.load("alertmanager", "firing.json"))
    assert parsed.problems == []
    assert len(parsed.alerts) == 2
    assert parsed.alerts[0] == AlertIn(
        source="alertmanager",
        dedup_key="8e7f55cf31752614",
        action=AlertAction.TRIGGER,
        summary="Filesystem on db-1.prod has less than 5% space left",
        severity="critical",
        component="node",
        group='{}/{severity="critical"}:{alertname="NodeFilesystemAlmostOutOfSpace"}',
        alert_class="NodeFilesystemAlmostOutOfSpace",
        labels=DISK_LABELS,
        annotations={
            "summary": "Filesystem on db-1.prod has less than 5% space left",
            "description": "Filesystem /var/lib/postgresql on db-1.prod:9100 has 3.2% available "
            "space left.",
            "runbook_url": "https://runbooks.example.com/node/NodeFilesystemAlmostOutOfSpace",
        },
        starts_at=datetime(2024, 11, 22, 3, 4, 5, 123456, tzinfo=UTC),
        ends_at=None,
        source_url="http://prometheus.prod:9090/graph?g0.expr=node_filesystem_avail_bytes&g0.tab=1",
    )
    assert parsed.alerts[0].runbook_url == (
        "https://runbooks.example.com/node/NodeFilesystemAlmostOutOfSpace"
    )
    assert parsed.alerts[1].labels["instance"] == "db-2.prod:9100"


def test_the_recorded_fingerprints_are_alertmanagers_own() -> None:
    parsed = alertmanager.parse(payloads.load("alertmanager", "firing.json"))
    assert [a.dedup_key for a in parsed.alerts] == [fingerprint(a.labels) for a in parsed.alerts]


def test_fingerprint_matches_alertmanager_for_known_label_sets() -> None:
    assert fingerprint({}) == "cbf29ce484222325"
    assert fingerprint({"foo": "bar"}) == "3fff2c2d7595e046"
    assert fingerprint({"foo": "bar", "baz": "qux"}) == "e4d83091cd448e77"


def test_a_resolved_alert_resolves_with_its_end_time_in_utc() -> None:
    [alert] = alertmanager.parse(payloads.load("alertmanager", "resolved.json")).alerts
    assert alert.action is AlertAction.RESOLVE
    assert alert.ends_at == datetime(2024, 11, 22, 2, 10, tzinfo=UTC)
    assert alert.ends_at.tzinfo is UTC
    assert alert.summary.startswith("Deployment shop/checkout has not matched")  # description
    assert (alert.component, alert.severity) == ("checkout", "warning")  # service before job


def test_good_alerts_survive_bad_ones_and_problems_name_the_field() -> None:
    parsed = alertmanager.parse(payloads.load("alertmanager", "batch_with_bad_alert.json"))
    assert [a.labels["instance"] for a in parsed.alerts] == ["api-1:8080", "api-3:8080"]
    assert parsed.problems == [
        FieldProblem("alerts[1].labels", "expected an object of strings"),
        FieldProblem("alerts[1].startsAt", "expected an RFC 3339 time"),
        FieldProblem("alerts[3].status", 'expected "firing" or "resolved"'),
    ]
    assert str(parsed.problems[0]) == "alerts[1].labels: expected an object of strings"


def test_missing_fields_fall_back_to_the_labels_and_the_top_level_status() -> None:
    parsed = alertmanager.parse(payloads.load("alertmanager", "missing_fields.json"))
    assert parsed.problems == []
    watchdog, batch = parsed.alerts
    assert watchdog.action is AlertAction.TRIGGER  # from the notification's status
    assert watchdog.dedup_key == fingerprint({"alertname": "Watchdog", "severity": "none"})
    assert (watchdog.summary, watchdog.group, watchdog.starts_at) == ("Watchdog", None, None)
    assert batch.summary == '{instance="cron-1", job="batch"}'
    assert batch.component == "batch"


def test_unicode_survives_and_unknown_fields_are_ignored() -> None:
    [alert] = alertmanager.parse(
        payloads.load("alertmanager", "unicode_and_extra_fields.json")
    ).alerts
    assert alert.summary == "Время ответа 支払い > 2 s 🔥"
    assert alert.component == "支払い"
    assert alert.starts_at == datetime(2024, 11, 21, 18, 4, 5, tzinfo=UTC)
    assert alert.dedup_key == fingerprint(alert.labels)


def test_a_payload_that_is_not_a_notification_is_one_problem() -> None:
    assert alertmanager.parse([]).problems == [FieldProblem("body", "expected an object")]
    assert alertmanager.parse({"status": "firing"}).problems == [
        FieldProblem("alerts", "expected a list of alerts")
    ]
    assert alertmanager.parse({"alerts": [{"fingerprint": "ab"}]}).problems == [
        FieldProblem("alerts[0].status", "is required")
    ]
    assert alertmanager.parse({"alerts": [{"status": "firing"}]}).problems == [
        FieldProblem("alerts[0].labels", "is required when fingerprint is missing")
    ]


def test_a_bad_group_key_is_reported_but_the_alerts_are_kept() -> None:
    parsed = alertmanager.parse(
        {"groupKey": 666, "alerts": [{"status": "firing", "labels": {"a": "b"}}]}
    )
    assert parsed.problems == [FieldProblem("groupKey", "expected a string")]
    assert [a.group for a in parsed.alerts] == [None]


def test_parse_bytes_reports_unreadable_json_on_the_body() -> None:
    assert alertmanager.parse_bytes(b'{"alerts": [').problems[0].field == "body"
    assert len(alertmanager.parse_bytes(payloads.raw("alertmanager", "firing.json")).alerts) == 2


NOW = datetime(2024, 11, 22, 3, 10, tzinfo=UTC)


def test_api_v2_alerts_resolve_once_their_end_is_past() -> None:
    parsed = alertmanager.parse_api_v2(payloads.load("alertmanager", "api_v2_alerts.json"), now=NOW)
    assert parsed.problems == []
    api, web, heartbeat = parsed.alerts
    assert api.action is AlertAction.TRIGGER  # ends 03:20, after now
    assert web.action is AlertAction.RESOLVE  # ended 02:55
    assert heartbeat.action is AlertAction.TRIGGER
    assert (heartbeat.starts_at, heartbeat.ends_at) == (None, None)
    assert api.dedup_key == fingerprint(
        {"alertname": "HighErrorRate", "job": "api", "severity": "critical"}
    )
    assert (api.source, api.group) == ("alertmanager", None)


def test_api_v2_alert_keys_match_what_the_webhook_would_carry() -> None:
    webhook = alertmanager.parse(payloads.load("alertmanager", "firing.json")).alerts[0]
    posted = alertmanager.parse_api_v2([{"labels": webhook.labels}], now=NOW).alerts[0]
    assert posted.dedup_key == webhook.dedup_key


def test_api_v2_refuses_bad_alerts_and_keeps_the_rest() -> None:
    end_before_start = {
        "labels": {"alertname": "X"},
        "startsAt": "2024-11-22T03:00:00Z",
        "endsAt": "2024-11-22T02:00:00Z",
    }
    posted = [{"labels": {}}, end_before_start, {"labels": {"alertname": "Ok"}}, "nope"]
    parsed = alertmanager.parse_api_v2(posted, now=NOW + timedelta(days=1))
    assert [a.summary for a in parsed.alerts] == ["Ok"]
    assert parsed.problems == [
        FieldProblem("[0].labels", "is required"),
        FieldProblem("[1].endsAt", "must not be before startsAt"),
        FieldProblem("[3]", "expected an object"),
    ]
    assert alertmanager.parse_api_v2({"labels": {}}, now=NOW).problems == [
        FieldProblem("body", "expected a list of alerts")
    ]
