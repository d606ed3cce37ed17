"""The `tocsin` command end to end: set-up, then one incident through every command.

The CLI runs on the system clock, so times are checked loosely: each parses as ISO 8601
UTC ending in Z, lies within a minute of now, and follows the one before it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli, flat, recent, utc_time
from tests.support.postmortems import CLI_PUBLISH

TITLE = "API returning 500s"
TIME_KEYS = ("declared_at", "acknowledged_at", "mitigated_at", "resolved_at", "closed_at")
SEVERITY_KEYS = {"p1-p4": ["P1", "P2", "P3", "P4"], "sev1-sev3": ["SEV-1", "SEV-2", "SEV-3"]}


def minute(moment: datetime) -> str:
    """How the messages write a time: 2026-11-22 03:00 UTC."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def assert_incident_shape(data: dict[str, Any]) -> None:
    for key in ("id", "title", "severity", "status", *TIME_KEYS):
        assert key in data, f"{key} missing from {sorted(data)}"
    for key in TIME_KEYS:
        if data[key] is not None:
            utc_time(data[key])


def assert_lines_in_order(message: str, *expected: str) -> None:
    """Each expected line appears in the message, in this order."""
    lines = message.splitlines()
    position = 0
    for line in expected:
        assert line in lines[position:], f"{line!r} not found in order in:\n{message}"
        position = lines.index(line, position) + 1


def ids(listing: dict[str, Any]) -> list[str]:
    return [item["id"] for item in listing["items"]]


# -- init and config ---------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["p1-p4", "sev1-sev3"])
def test_init_writes_a_config_that_checks_out(bare_cli: Cli, project: Path, preset: str) -> None:
    code, out = bare_cli("init", "--preset", preset, "--organization", "Acme Ops")

    assert code == 0, out
    assert out == {"path": str(project / "tocsin.yaml"), "preset": preset}
    assert "Acme Ops" in (project / "tocsin.yaml").read_text(encoding="utf-8")
    code, out = bare_cli("config", "check")
    assert code == 0, out
    assert out["ok"] is True
    assert out["severities"] == SEVERITY_KEYS[preset]


def test_init_refuses_to_overwrite_without_force(cli: Cli, project: Path) -> None:
    config = project / "tocsin.yaml"
    before = config.read_bytes()

    code, out = cli("init", "--preset", "sev1-sev3", json=False)

    assert code == 2
    assert "exists" in flat(out)
    assert "--force" in flat(out)
    assert config.read_bytes() == before

    code, out = cli("init", "--preset", "sev1-sev3", "--force")
    assert code == 0, out
    assert config.read_bytes() != before
    assert cli("config", "check").out["severities"] == SEVERITY_KEYS["sev1-sev3"]


def test_init_refuses_an_unknown_preset(bare_cli: Cli, project: Path) -> None:
    code, out = bare_cli("init", "--preset", "p0-p9", json=False)

    assert code == 2
    assert "'p0-p9'" in flat(out)
    assert "p1-p4 or sev1-sev3" in flat(out)
    assert not (project / "tocsin.yaml").exists()


def test_config_check_names_the_line_and_field_of_a_mistake(cli: Cli, project: Path) -> None:
    config = project / "tocsin.yaml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    line = next(n for n, text in enumerate(lines) if "response_target: 5m" in text)
    lines[line] = lines[line].replace("5m", "soon")
    config.write_text("".join(lines), encoding="utf-8")

    code, out = cli("config", "check", json=False)

    assert code == 1
    assert f"tocsin.yaml:{line + 1}: severities[0].response_target" in flat(out)
    assert "'soon'" in out
    code, out = cli("config", "check")
    assert code == 1
    assert out["exit_code"] == 1
    assert f"tocsin.yaml:{line + 1}: severities[0].response_target" in out["error"]


def test_config_check_runs_the_teams_templates(cli: Cli, project: Path) -> None:
    config = project / "tocsin.yaml"
    with config.open("a", encoding="utf-8") as file:
        file.write("templates:\n  announcement: '{{ incident.no_such_field }}'\n")

    code, out = cli("config", "check")

    assert code == 1
    assert "templates.announcement" in out["error"]


def test_config_check_finds_escalation_targets_that_name_nobody(cli: Cli, project: Path) -> None:
    config = project / "tocsin.yaml"
    with config.open("a", encoding="utf-8") as file:
        file.write(
            "escalation:\n"
            "  policies:\n"
            "    - name: first-seed\n"
            "      steps:\n"
            "        - {after: 0m, notify: [schedule:primary]}\n"
            "        - {after: 15m, notify: [person:engineering-lead]}\n"
            "  announce:\n"
            "    - {channels: [team]}\n"
            "  default_policy: first-seed\n"
        )

    code, out = cli("config", "check")

    assert code == 1
    assert "schedule:primary names no schedule" in out["error"]
    assert "person:engineering-lead names no person" in out["error"]
    assert "escalation.announce[0].channels: channel team is not in channels" in out["error"]


def test_config_schema_prints_a_json_schema(cli: Cli) -> None:
    code, out = cli("config", "schema", json=False)

    assert code == 0
    schema = json.loads(out)
    assert "severities" in schema["properties"]
    assert schema["$schema"].startswith("https://json-schema.org/")


def test_db_upgrade_creates_the_database_beside_the_config(cli: Cli, project: Path) -> None:
    code, out = cli("db", "upgrade")

    assert code == 0, out
    assert out["revision"]
    assert out["database"].endswith(".tocsin/tocsin.db")
    assert (project / ".tocsin" / "tocsin.db").is_file()
    assert cli("db", "upgrade").out["revision"] == out["revision"]  # a second run is a no-op


# -- one incident through every command --------------------------------------------------


def test_an_incident_runs_through_every_command(pg_or_sqlite_cli: Cli, project: Path) -> None:
    cli = pg_or_sqlite_cli
    started = datetime.now(UTC)
    messages: list[str] = []

    # declare
    code, inc = cli(
        "declare", TITLE,
        "--severity", "P2",
        "--service", "api", "--service", "db",
        "--tenant", "acme",
        "--endpoint", "/v1/orders",
        "--impact", "Checkout fails for every user",
        "--customer-impact",
        "--users-affected", "1200",
        "--label", "Database",
        "--commander", "bob",
    )  # fmt: skip
    assert code == 0, inc
    assert_incident_shape(inc)
    assert (inc["id"], inc["title"], inc["severity"]) == ("INC-1", TITLE, "P2")
    assert (inc["status"], inc["declared_by"]) == ("investigating", "alice")
    declared = recent(inc["declared_at"])
    assert declared >= started
    assert all(inc[key] is None for key in TIME_KEYS[1:])
    assert inc["roles"] == {"commander": "bob"}
    assert inc["scope"] == {
        "services": ["api", "db"],
        "tenants": ["acme"],
        "endpoints": ["/v1/orders"],
    }
    assert inc["impact"] == {
        "summary": "Checkout fails for every user",
        "customer_impact": True,
        "users_affected": "1200",
        "data_loss": None,
    }
    assert inc["labels"] == ["database"]
    assert_lines_in_order(
        inc["message"],
        f"🚨 INCIDENT: {TITLE}",
        "Severity: 🟡 P2 (High)",
        "Impact: Checkout fails for every user",
        "Status: Investigating",
        f"Time: {minute(declared)}",
    )
    messages.append(inc["message"])

    # ack, by someone else
    code, inc = cli("ack", "INC-1", "--as", "carol")
    assert code == 0, inc
    assert inc["acknowledged_by"] == "carol"
    acknowledged = recent(inc["acknowledged_at"])
    assert acknowledged >= declared
    assert inc["message"] is None

    # update
    code, inc = cli("update", "INC-1", "Rolled back the deploy; error rate falling")
    assert code == 0, inc
    assert_lines_in_order(
        inc["message"],
        f"🔄 UPDATE: {TITLE} (INC-1)",
        "Severity: 🟡 P2 (High)",
        "Status: Investigating",
        "Rolled back the deploy; error rate falling",
    )
    assert inc["message"].splitlines()[-1] == f"Time: {minute(recent(inc['last_update_at']))}"
    messages.append(inc["message"])

    # severity: escalate
    code, inc = cli("severity", "INC-1", "P1", "--reason", "every region is affected")
    assert code == 0, inc
    assert inc["severity"] == "P1"

    # assign: three roles, then unassign the scribe with -
    for role, person in [("commander", "dave"), ("comms", "erin"), ("scribe", "frank")]:
        code, inc = cli("assign", "INC-1", role, person)
        assert code == 0, inc
        assert inc["roles"][role] == person
    code, inc = cli("assign", "INC-1", "scribe", "-")
    assert code == 0, inc
    assert inc["roles"] == {"commander": "dave", "comms": "erin"}

    # scope: only --endpoint; services and tenants keep their value
    code, inc = cli("scope", "INC-1", "--endpoint", "/v1/payments")
    assert code == 0, inc
    assert inc["scope"] == {
        "services": ["api", "db"],
        "tenants": ["acme"],
        "endpoints": ["/v1/payments"],
    }

    # impact: record a data loss, then that none was lost, then unknown; the rest is kept
    code, inc = cli("impact", "INC-1", "--data-loss", "12 orders")
    assert code == 0, inc
    assert inc["impact"]["data_loss"] == "12 orders"
    code, inc = cli("impact", "INC-1", "--data-loss", "None")
    assert code == 0, inc
    assert inc["impact"] == {
        "summary": "Checkout fails for every user",
        "customer_impact": True,
        "users_affected": "1200",
        "data_loss": "none",
    }
    code, inc = cli("impact", "INC-1", "--data-loss", "unknown")
    assert (code, inc["impact"]["data_loss"]) == (0, None)

    # label
    code, inc = cli(
        "label", "INC-1", "--add", "payments", "--add", "Checkout", "--remove", "database"
    )
    assert code == 0, inc
    assert inc["labels"] == ["checkout", "payments"]

    # note
    version = inc["version"]
    code, inc = cli("note", "INC-1", "Support has a macro for affected customers")
    assert code == 0, inc
    assert inc["version"] == version + 1

    # mitigate
    code, inc = cli("mitigate", "INC-1", "rolling back to v41")
    assert code == 0, inc
    assert (inc["status"], inc["mitigation"]) == ("mitigated", "rolling back to v41")
    mitigated = recent(inc["mitigated_at"])
    assert mitigated >= acknowledged
    assert_lines_in_order(
        inc["message"],
        f"🛠️ MITIGATED: {TITLE} (INC-1)",
        "Severity: 🔴 P1 (Critical)",
        "Status: Mitigated",
        "Action: rolling back to v41",
        f"Time: {minute(mitigated)}",
    )
    messages.append(inc["message"])

    # resolve: a P1 owes a post-mortem 48 hours after resolution
    code, inc = cli(
        "resolve", "INC-1",
        "--root-cause", "A bad index migration locked the orders table",
        "--fix", "Rebuilt the index concurrently",
    )  # fmt: skip
    assert code == 0, inc
    assert inc["status"] == "resolved"
    resolved = recent(inc["resolved_at"])
    assert resolved >= mitigated
    due = utc_time(inc["postmortem_due"])
    assert due == resolved + timedelta(hours=48)
    assert (inc["root_cause"], inc["fix"]) == (
        "A bad index migration locked the orders table",
        "Rebuilt the index concurrently",
    )
    minutes = int((resolved - declared).total_seconds() // 60)
    assert_lines_in_order(
        inc["message"],
        f"✅ RESOLVED: {TITLE}",
        f"Duration: {minutes} minutes",
        "Root Cause: A bad index migration locked the orders table",
        "Fix Applied: Rebuilt the index concurrently",
        f"Next Steps: Post-mortem scheduled for {minute(due)}",
    )
    messages.append(inc["message"])

    # close, once the required post-mortem is published
    for command in CLI_PUBLISH:
        assert cli(*command, "INC-1").code == 0, command
    code, inc = cli("close", "INC-1")
    assert code == 0, inc
    assert_incident_shape(inc)
    assert inc["status"] == "closed"
    closed = recent(inc["closed_at"])
    times = [utc_time(inc[key]) for key in TIME_KEYS]
    assert times == sorted(times)
    assert closed >= resolved

    # reopen: back to investigating, the later times cleared
    code, inc = cli("reopen", "INC-1", "--reason", "errors are back")
    assert code == 0, inc
    assert inc["status"] == "investigating"
    assert [inc[key] for key in ("mitigated_at", "resolved_at", "closed_at")] == [None] * 3
    assert inc["postmortem_due"] is None
    assert inc["acknowledged_at"] is not None
    assert (inc["mitigation"], inc["root_cause"], inc["fix"]) == (
        "rolling back to v41",
        "A bad index migration locked the orders table",
        "Rebuilt the index concurrently",
    )

    # a second incident, resolved, for the list filters
    code, other = cli("declare", "Dashboard charts render late", "-s", "P3", "--service", "web")
    assert code == 0, other
    assert other["id"] == "INC-2"
    assert cli("resolve", "INC-2").code == 0

    # list and its filters
    assert ids(cli("list", "--status", "open").out) == ["INC-1"]
    assert ids(cli("list", "--status", "resolved").out) == ["INC-2"]
    everything = cli("list", "--status", "all").out
    assert (ids(everything), everything["total"]) == (["INC-2", "INC-1"], 2)
    for item in everything["items"]:
        assert_incident_shape(item)
    assert ids(cli("list").out) == ["INC-2", "INC-1"]
    assert ids(cli("list", "--severity", "P3").out) == ["INC-2"]
    assert ids(cli("list", "--severity", "p1").out) == ["INC-1"]
    assert ids(cli("list", "--service", "api").out) == ["INC-1"]
    assert ids(cli("list", "--service", "web").out) == ["INC-2"]
    assert ids(cli("list", "--service", "nope").out) == []
    assert ids(cli("list", "--since", "1h").out) == ["INC-2", "INC-1"]
    assert ids(cli("list", "--since", started.date().isoformat()).out) == ["INC-2", "INC-1"]
    later_day = (started + timedelta(days=2)).date().isoformat()
    assert ids(cli("list", "--since", later_day).out) == []
    berlin = timezone(timedelta(hours=2))
    ten_minutes_ago = (datetime.now(UTC) - timedelta(minutes=10)).astimezone(berlin)
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).astimezone(berlin)
    assert ids(cli("list", "--since", ten_minutes_ago.isoformat()).out) == ["INC-2", "INC-1"]
    assert ids(cli("list", "--since", in_an_hour.isoformat()).out) == []
    page = cli("list", "--limit", "1").out
    assert (ids(page), page["total"]) == (["INC-2"], 2)
    assert [i["id"] for i in cli("status").out["open"]] == ["INC-1"]

    # show: the header and the timeline, every entry in order
    code, shown = cli("show", "INC-1")
    assert code == 0, shown
    assert_incident_shape(shown)
    assert (shown["status"], shown["severity"], shown["labels"]) == (
        "investigating",
        "P1",
        ["checkout", "payments"],
    )
    timeline = shown["timeline"]
    assert [e["kind"] for e in timeline] == [
        "declared", "message",
        "acknowledged",
        "status_update", "message",
        "severity_changed",
        "role_assigned", "role_assigned", "role_assigned", "role_assigned",
        "scope_changed",
        "impact_changed", "impact_changed", "impact_changed",
        "labels_changed",
        "note",
        "mitigated", "message",
        "resolved", "message",
        "closed",
        "reopened",
    ]  # fmt: skip
    assert [e["seq"] for e in timeline] == list(range(1, len(timeline) + 1))
    assert shown["version"] == len(timeline)
    moments = [recent(e["at"]) for e in timeline]
    assert moments == sorted(moments)
    assert timeline[2]["actor"] == "carol"
    said = [e for e in timeline if e["kind"] == "message"]
    assert [e["text"] for e in said] == messages
    assert [e["data"]["template"] for e in said] == [
        "announcement",
        "update",
        "mitigated",
        "resolved",
    ]

    # timeline and export --format json say the same as show
    code, entries = cli("timeline", "INC-1")
    assert code == 0, entries
    assert entries == timeline
    code, exported = cli("export", "INC-1", "--format", "json", json=False)
    assert code == 0, exported
    assert json.loads(exported) == shown

    # export --format markdown, to stdout and to a file
    code, markdown = cli("export", "INC-1", "--format", "markdown", json=False)
    assert code == 0, markdown
    assert markdown.startswith(f"# INC-1: {TITLE}\n")
    assert "- **Severity**: 🔴 P1 (Critical)" in markdown
    assert "## Timeline (UTC)" in markdown
    assert "Support has a macro for affected customers" in markdown
    assert "🚨" not in markdown  # rendered messages stay out of the report's timeline
    code, out = cli("export", "INC-1", "--format", "markdown", "-o", "report.md", json=False)
    assert code == 0, out
    assert "report.md" in out
    assert (project / "report.md").read_text(encoding="utf-8") == markdown


# -- messages, text output and the installed command -------------------------------------


def test_a_p3_resolution_needs_no_post_mortem(
    cli: Cli, declare: Callable[..., dict[str, Any]]
) -> None:
    declare("Dashboard charts render late", "--severity", "P3")

    code, inc = cli("resolve", "INC-1")

    assert code == 0, inc
    assert inc["postmortem_due"] is None
    assert_lines_in_order(
        inc["message"],
        "✅ RESOLVED: Dashboard charts render late",
        "Root Cause: Under investigation",
        "Fix Applied: Not recorded",
        "Next Steps: No post-mortem required for P3",
    )
    timeline = cli("timeline", "INC-1").out
    assert timeline[-1]["kind"] == "message"
    assert timeline[-1]["text"] == inc["message"]


@pytest.mark.parametrize(("preset", "key"), [("p1-p4", "P1"), ("sev1-sev3", "SEV-1")])
def test_a_critical_incident_owes_a_post_mortem_within_48_hours(
    bare_cli: Cli, preset: str, key: str
) -> None:
    assert bare_cli("init", "--preset", preset).code == 0
    assert bare_cli("declare", "Database is down", "--severity", key).code == 0

    code, inc = bare_cli("resolve", "INC-1")

    assert code == 0, inc
    due = utc_time(inc["postmortem_due"])
    assert due - utc_time(inc["resolved_at"]) == timedelta(hours=48)
    said = {
        "p1-p4": f"Next Steps: Post-mortem scheduled for {minute(due)}",
        "sev1-sev3": f"Post-mortem due by {minute(due)}.",
    }
    assert said[preset] in inc["message"].splitlines()


def test_without_json_the_commands_print_text_for_people(cli: Cli) -> None:
    code, out = cli("declare", TITLE, "--severity", "P1", "--service", "api", json=False)

    assert code == 0
    assert "INC-1 declared (P1)" in out
    assert f"🚨 INCIDENT: {TITLE}" in out
    code, out = cli("show", "INC-1", json=False)
    assert code == 0
    assert "INC-1" in out
    assert TITLE in out
    assert "declared" in out
    code, out = cli("list", json=False)
    assert code == 0
    assert "INC-1" in out


def test_the_installed_console_script_declares_and_shows(cli: Cli, project: Path) -> None:
    script = Path(sys.executable).parent / "tocsin"
    assert script.is_file(), f"{script} is not installed; run `make venv`"

    def tocsin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), *args],
            cwd=project,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    declared = tocsin("declare", "Disk full on db-1", "--severity", "P1", "--json")
    assert declared.returncode == 0, declared.stderr
    inc = json.loads(declared.stdout)
    assert (inc["id"], inc["status"]) == ("INC-1", "investigating")
    assert inc["message"].startswith("🚨 INCIDENT: Disk full on db-1\n")
    recent(inc["declared_at"])

    shown = tocsin("show", "INC-1", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["declared_at"] == inc["declared_at"]
    assert [e["kind"] for e in data["timeline"]] == ["declared", "message"]
    assert (project / ".tocsin" / "tocsin.db").is_file()

    missing = tocsin("show", "INC-99", "--json")
    assert missing.returncode == 1
    assert "no incident INC-99" in json.loads(missing.stdout)["error"]


def test_config_schema_accepts_json_like_every_command(cli: Cli) -> None:
    code, schema = cli("config", "schema")  # the fixture passes --json
    assert code == 0
    assert "severities" in schema["properties"]
