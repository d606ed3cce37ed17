"""Generic JSON through a declared mapping."""

from __future__ import annotations

from datetime import UTC, datetime

from tests import payloads
from tocsin.core.alerts import AlertAction, AlertIn, FieldProblem
from tocsin.integrations.sources import generic
from tocsin.integrations.sources.fields import fingerprint
from tocsin.integrations.sources.generic import GenericMapping


def test_one_object_with_the_default_mapping() -> None:
    parsed = generic.parse(payloads.load("generic", "single.json"))
    assert parsed.problems == []
    assert parsed.alerts == [
        AlertIn(
            source="generic",
            dedup_key="backup/orders-db",
            action=AlertAction.TRIGGER,
            summary="Backup of orders-db failed",
            severity="critical",
            component="backup",
            group="databases",
            labels={"host": "backup-1", "attempt": "3", "dry_run": "false"},
            annotations={
                "runbook_url": "https://runbooks.example.com/backup",
                "log_tail": '["error: disk full"]',
            },
            starts_at=datetime(2024, 11, 22, 2, 0, tzinfo=UTC),
            source_url="https://ci.example.com/jobs/backup/812",
        )
    ]


def test_a_list_keeps_the_good_items_and_names_the_bad() -> None:
    parsed = generic.parse(payloads.load("generic", "list.json"))
    expiring, renewed = parsed.alerts
    assert (expiring.dedup_key, expiring.action) == ("4711", AlertAction.TRIGGER)
    assert expiring.starts_at == datetime(2024, 11, 22, 3, 0, tzinfo=UTC)
    assert (renewed.action, renewed.ends_at) == (
        AlertAction.RESOLVE,
        datetime(2024, 11, 22, 3, 10, tzinfo=UTC),
    )
    assert parsed.problems == [
        FieldProblem("[2].summary", "is required"),
        FieldProblem("[3].severity", "expected a string"),
    ]


def test_a_mapping_reaches_into_nested_payloads() -> None:
    mapping = GenericMapping(
        items="data.events",
        summary="title",
        dedup_key="check.id",
        status="state",
        labels="check",
        starts_at="at",
        resolve_values=frozenset({"UP"}),
        source="uptime",
    )
    parsed = generic.parse(payloads.load("generic", "nested.json"), mapping)
    assert parsed.problems == []
    down, up = parsed.alerts
    assert (down.source, down.dedup_key, down.action) == ("uptime", "chk_8f2a", AlertAction.TRIGGER)
    assert down.labels == {"id": "chk_8f2a", "region": "fra"}
    assert (up.dedup_key, up.action) == ("chk_11b0", AlertAction.RESOLVE)


def test_statuses_resolve_and_acknowledge_in_any_case() -> None:
    items = [{"summary": "s", "status": word} for word in ("Resolved", "OK", "ack", "ACKNOWLEDGED")]
    actions = [a.action for a in generic.parse(items).alerts]
    assert actions == [
        AlertAction.RESOLVE,
        AlertAction.RESOLVE,
        AlertAction.TRIGGER,
        AlertAction.ACKNOWLEDGE,
    ]


def test_without_a_dedup_key_the_labels_or_the_summary_name_the_alert() -> None:
    with_labels, bare = generic.parse(
        [{"summary": "CPU 91%", "labels": {"host": "a"}}, {"summary": "CPU 95%"}]
    ).alerts
    assert with_labels.dedup_key == fingerprint({"host": "a"})
    assert bare.dedup_key == fingerprint({"summary": "CPU 95%"})


def test_unmapped_fields_are_left_out_and_bad_values_named() -> None:
    mapping = GenericMapping(severity=None, labels=None)
    [alert] = generic.parse({"summary": "s", "severity": "x", "labels": 5}, mapping).alerts
    assert (alert.severity, alert.labels) == (None, {})
    parsed = generic.parse(
        {"summary": "s", "labels": [1], "starts_at": "soon", "ends_at": 1e300, "dedup_key": 1.5}
    )
    assert parsed.problems == [
        FieldProblem("labels", "expected an object"),
        FieldProblem("dedup_key", "expected a string or an integer"),
        FieldProblem("starts_at", "expected an ISO 8601 time or Unix seconds"),
        FieldProblem("ends_at", "expected an ISO 8601 time or Unix seconds"),
    ]


def test_payloads_that_hold_no_alerts() -> None:
    assert generic.parse("hello").problems == [
        FieldProblem("body", "expected an alert object or a list")
    ]
    assert generic.parse({}, GenericMapping(items="alerts")).problems == [
        FieldProblem("alerts", "expected an alert object or a list")
    ]
    assert generic.parse([3]).problems == [FieldProblem("[0]", "expected an object")]
    assert generic.parse_bytes(b"").problems[0].field == "body"
    assert generic.parse_bytes(payloads.raw("generic", "single.json")).problems == []
