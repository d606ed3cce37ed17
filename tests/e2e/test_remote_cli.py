"""The `tocsin` command on a server: with TOCSIN_URL and TOCSIN_TOKEN set, every command acts
through the REST API, with the same output and exit codes as on the local database.

The server is real (uvicorn in a thread, see remote_server.py), on SQLite, and for the full
incident flow on PostgreSQL too. The CLI runs in a directory with no tocsin.yaml and must
not create a database there. The server records each change's actor as "alice via token:ci".
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.e2e.conftest import ACTOR, Cli, flat, recent, utc_time
from tests.e2e.remote_pairs import VIA, Both, answers_alike, local_and_remote, normalised, point_at
from tests.e2e.remote_server import Server, running
from tests.e2e.test_cli import (
    TIME_KEYS,
    TITLE,
    assert_incident_shape,
    assert_lines_in_order,
    ids,
    minute,
)
from tests.e2e.test_cli_errors import allowed_now
from tests.support.postmortems import CLI_PUBLISH
from tocsin.bootstrap import build
from tocsin.cli import common
from tocsin.cli.main import app
from tocsin.cli.remote import Remote, Settings, settings_from
from tocsin.core.access import Forbidden
from tocsin.core.alerts import AlertAction, AlertIn, Parsed
from tocsin.core.errors import ConcurrentChange, IllegalTransition, IncidentNotFound


def unused_url() -> str:
    """An address where nothing listens: a port the OS just handed out and took back."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def assert_nothing_local(project: Path) -> None:
    assert not (project / "tocsin.yaml").exists()
    assert not (project / ".tocsin").exists()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A server on SQLite. Listed before `bare_cli`, so it starts before the project."""
    with running(tmp_path / "server", f"sqlite:///{tmp_path / 'server.db'}") as started:
        yield started


@pytest.fixture
def any_db_server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    """A server on SQLite, then on PostgreSQL."""
    with running(tmp_path / "server", database_url) as started:
        yield started


@pytest.fixture
def remote(server: Server, bare_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI with TOCSIN_URL and a responder token named ci, in a project with no config."""
    point_at(monkeypatch, server.url, server.token("ci", "responder"))
    return bare_cli


# -- one incident through every command, on SQLite and PostgreSQL ------------------------


def test_an_incident_runs_through_every_command_on_the_server(
    any_db_server: Server, bare_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, any_db_server.url, any_db_server.token("ci", "responder"))
    cli = bare_cli
    started = datetime.now(UTC)
    messages: list[str] = []

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
    assert (inc["status"], inc["declared_by"]) == ("investigating", ACTOR + VIA)
    declared = recent(inc["declared_at"])
    assert declared >= started
    assert all(inc[key] is None for key in TIME_KEYS[1:])
    assert inc["roles"] == {"commander": "bob"}
    assert inc["scope"] == {
        "services": ["api", "db"],
        "tenants": ["acme"],
        "endpoints": ["/v1/orders"],
    }
    full_impact = {
        "summary": "Checkout fails for every user",
        "customer_impact": True,
        "users_affected": "1200",
        "data_loss": None,
    }
    assert inc["impact"] == full_impact
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

    code, inc = cli("ack", "INC-1", "--as", "carol")
    assert code == 0, inc
    assert inc["acknowledged_by"] == "carol" + VIA
    acknowledged = recent(inc["acknowledged_at"])
    assert acknowledged >= declared
    assert inc["message"] is None

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

    code, inc = cli("severity", "INC-1", "P1", "--reason", "every region is affected")
    assert (code, inc["severity"]) == (0, "P1")

    for role, person in [("ic", "dave"), ("comms", "erin"), ("scribe", "frank")]:
        assert cli("assign", "INC-1", role, person).code == 0
    code, inc = cli("assign", "INC-1", "scribe", "-")
    assert code == 0, inc
    assert inc["roles"] == {"commander": "dave", "comms": "erin"}

    # scope and impact: read, merge, send with the version; parts left out keep their value
    code, inc = cli("scope", "INC-1", "--endpoint", "/v1/payments")
    assert code == 0, inc
    assert inc["scope"] == {
        "services": ["api", "db"],
        "tenants": ["acme"],
        "endpoints": ["/v1/payments"],
    }
    code, inc = cli("impact", "INC-1", "--data-loss", "12 orders")
    assert (code, inc["impact"]["data_loss"]) == (0, "12 orders")
    code, inc = cli("impact", "INC-1", "--data-loss", "none")
    assert (code, inc["impact"]) == (0, {**full_impact, "data_loss": "none"})
    code, inc = cli("impact", "INC-1", "--data-loss", "unknown")
    assert (code, inc["impact"]) == (0, full_impact)

    code, inc = cli(
        "label", "INC-1", "--add", "payments", "--add", "Checkout", "--remove", "database"
    )
    assert (code, inc["labels"]) == (0, ["checkout", "payments"])

    version = inc["version"]
    code, inc = cli("note", "INC-1", "Support has a macro for affected customers")
    assert (code, inc["version"]) == (0, version + 1)

    code, inc = cli("mitigate", "INC-1", "rolling back to v41")
    assert code == 0, inc
    assert (inc["status"], inc["mitigation"]) == ("mitigated", "rolling back to v41")
    mitigated = recent(inc["mitigated_at"])
    assert_lines_in_order(
        inc["message"],
        "🛠️ MITIGATED: API returning 500s (INC-1)",
        "Status: Mitigated",
        "Action: rolling back to v41",
        f"Time: {minute(mitigated)}",
    )
    messages.append(inc["message"])

    code, inc = cli(
        "resolve", "INC-1",
        "--root-cause", "A bad index migration locked the orders table",
        "--fix", "Rebuilt the index concurrently",
    )  # fmt: skip
    assert (code, inc["status"]) == (0, "resolved")
    resolved = recent(inc["resolved_at"])
    due = utc_time(inc["postmortem_due"])
    assert due == resolved + timedelta(hours=48)
    assert_lines_in_order(
        inc["message"],
        f"✅ RESOLVED: {TITLE}",
        f"Duration: {int((resolved - declared).total_seconds() // 60)} minutes",
        "Root Cause: A bad index migration locked the orders table",
        "Fix Applied: Rebuilt the index concurrently",
        f"Next Steps: Post-mortem scheduled for {minute(due)}",
    )
    messages.append(inc["message"])

    for command in CLI_PUBLISH:
        assert cli(*command, "INC-1").code == 0, command
    code, inc = cli("close", "INC-1")
    assert (code, inc["status"]) == (0, "closed")
    times = [utc_time(inc[key]) for key in TIME_KEYS]
    assert times == sorted(times)

    code, inc = cli("reopen", "INC-1", "--reason", "errors are back")
    assert (code, inc["status"]) == (0, "investigating")
    assert [inc[key] for key in ("mitigated_at", "resolved_at", "closed_at")] == [None] * 3

    code, other = cli("declare", "Dashboard charts render late", "-s", "P3", "--service", "web")
    assert (code, other["id"]) == (0, "INC-2")
    assert cli("resolve", "INC-2").code == 0

    # list and its filters, as query parameters
    assert ids(cli("list", "--status", "open").out) == ["INC-1"]
    assert ids(cli("list", "--status", "resolved").out) == ["INC-2"]
    everything = cli("list", "--status", "all").out
    assert (ids(everything), everything["total"]) == (["INC-2", "INC-1"], 2)
    assert ids(cli("list", "--severity", "p1").out) == ["INC-1"]
    assert ids(cli("list", "--service", "web").out) == ["INC-2"]
    assert ids(cli("list", "--service", "nope").out) == []
    assert ids(cli("list", "--search", "charts").out) == ["INC-2"]  # sent as q=
    assert ids(cli("list", "--search", "%").out) == []  # a literal percent sign
    assert ids(cli("list", "--since", "1h").out) == ["INC-2", "INC-1"]
    berlin = timezone(timedelta(hours=2))
    ten_minutes_ago = (datetime.now(UTC) - timedelta(minutes=10)).astimezone(berlin)
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).astimezone(berlin)
    assert ids(cli("list", "--since", ten_minutes_ago.isoformat()).out) == ["INC-2", "INC-1"]
    assert ids(cli("list", "--since", in_an_hour.isoformat()).out) == []
    page = cli("list", "--limit", "1", "--offset", "1").out
    assert (ids(page), page["total"], page["offset"]) == (["INC-1"], 2, 1)
    assert [i["id"] for i in cli("status").out["open"]] == ["INC-1"]

    # show: the timeline, with the token on record behind each actor
    code, shown = cli("show", "INC-1")
    assert code == 0, shown
    assert_incident_shape(shown)
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
    assert shown["version"] == len(timeline)
    assert timeline[2]["actor"] == "carol" + VIA
    assert {e["actor"] for e in timeline} == {ACTOR + VIA, "carol" + VIA}
    assert [e["text"] for e in timeline if e["kind"] == "message"] == messages
    on_server = any_db_server.tocsin.incidents.timeline("INC-1")
    assert on_server[2].actor == "carol via token:ci"

    assert cli("timeline", "INC-1").out == timeline
    code, exported = cli("export", "INC-1", "--format", "json", json=False)
    assert (code, json.loads(exported)) == (0, shown)
    code, markdown = cli("export", "INC-1", json=False)
    assert code == 0, markdown
    assert markdown.startswith(f"# INC-1: {TITLE}\n")
    assert "- **Severity**: 🔴 P1 (Critical)" in markdown
    assert "Support has a macro for affected customers" in markdown
    assert cli("export", "INC-1", "-o", "report.md", json=False).code == 0
    assert (project / "report.md").read_text(encoding="utf-8") == markdown
    assert_nothing_local(project)


# -- the same answers as the local CLI ---------------------------------------------------


@pytest.fixture
def both(server: Server, bare_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch) -> Both:
    """Runs a command on a local project (its config under local/), then on the server."""
    return local_and_remote(server, bare_cli, project, monkeypatch)


SCRIPT: list[tuple[str, ...]] = [
    ("declare", TITLE, "-s", "P2", "--service", "api", "--tenant", "acme",
     "--impact", "Checkout fails", "--customer-impact", "--users-affected", "1200",
     "--label", "database", "--commander", "bob"),
    ("ack", "INC-1", "--as", "carol"),
    ("update", "INC-1", "Rolled back the deploy"),
    ("severity", "INC-1", "p1", "--reason", "every region"),
    ("assign", "INC-1", "comms-lead", "erin"),
    ("assign", "INC-1", "commander", "-"),
    ("scope", "INC-1", "--all-tenants", "--endpoint", "/v1/payments"),
    ("scope", "INC-1", "--service", "db", "--tenant", "acme", "--tenant", "globex"),
    ("impact", "INC-1", "--data-loss", "12 orders", "--no-customer-impact"),
    ("impact", "INC-1", "--data-loss", "none", "--users-affected", "", "--impact", "Slow"),
    ("label", "INC-1", "--add", "payments", "--remove", "database"),
    ("note", "INC-1", "Support has a macro"),
    ("mitigate", "INC-1", "rolling back to v41"),
    ("resolve", "INC-1", "--root-cause", "a bad index", "--fix", "rebuilt it"),
    ("close", "INC-1"),
    ("reopen", "INC-1", "--reason", "errors are back"),
    ("declare", "Dashboard charts render late", "-s", "P3", "--service", "web"),
    ("list",),
    ("list", "--status", "open", "--severity", "p3", "--severity", "P1", "--since", "1h"),
    ("list", "--service", "api", "--limit", "1"),
    ("status",),
    ("show", "INC-1"),
    ("timeline", "INC-2"),
    # refusals (exit 1) and usage errors (exit 2)
    ("ack", "INC-1"),
    ("close", "INC-1"),
    ("note", "99", "hello"),
    ("show", "foo"),
    ("declare", "Checkout is down", "-s", "P9"),
    ("declare", "Checkout is down"),
    ("severity", "INC-1", "P9"),
    ("list", "--severity", "P9"),
    ("update", "INC-1", "   "),
    ("label", "INC-1", "--add", "Not OK!"),
    ("assign", "INC-1", "janitor", "bob"),
    ("scope", "INC-1", "--tenant", "a", "--all-tenants"),
]  # fmt: skip


def test_every_command_answers_as_the_local_one(both: Both, project: Path) -> None:
    codes = answers_alike(both, SCRIPT)
    assert codes[-12:] == [1] * 3 + [2] * 9
    assert not (project / ".tocsin").exists()  # the local side's database is under local/


TEXT_SCRIPT: list[tuple[str, ...]] = [
    ("declare", TITLE, "-s", "P1", "--service", "api", "--impact", "Checkout fails"),
    ("ack", "INC-1"),
    ("update", "INC-1", "Rolled back the deploy"),
    ("mitigate", "INC-1", "rolling back to v41"),
    ("show", "INC-1"),
    ("timeline", "INC-1"),
    ("list",),
    ("status",),
    ("resolve", "INC-1"),
    ("export", "INC-1"),
    ("show", "INC-7"),
    ("mitigate", "INC-1", "again"),
    ("declare", "Checkout is down", "-s", "P9"),
]


def test_text_output_is_the_local_text(both: Both) -> None:
    shown = ""
    for args in TEXT_SCRIPT:
        local, remote = both(*args, json=False)

        assert remote.code == local.code, (args, local, remote)
        assert flat(normalised(remote.out)) == flat(normalised(local.out)), args
        shown += remote.out if args[0] == "show" else ""
    assert "by alice via token:ci" in shown  # what normalising took out


def test_alert_suggestions_declare_and_dismiss_answer_as_the_local_ones(
    both: Both, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fire(key: str, severity: str, name: str, service: str = "db") -> AlertIn:
        labels = {"alertname": name, "service": service, "instance": key}
        return AlertIn("alertmanager", key, AlertAction.TRIGGER, f"{name} on {key}", severity,
                       labels=labels)  # fmt: skip

    alerts = [
        fire("w1", "warning", "DiskFull"),
        fire("w2", "warning", "DiskFull"),
        fire("i1", "info", "Queue"),
        fire("s1", "warning", "Slow", "web"),
    ]
    monkeypatch.delenv("TOCSIN_URL", raising=False)
    local = build()
    try:
        local.alerts.ingest("am", Parsed(alerts=alerts))
    finally:
        local.engine.dispose()
    server.tocsin.alerts.ingest("am", Parsed(alerts=alerts))

    first, _ = both("alert", "suggestions")
    named = {s["summary"].split()[0]: s for s in first.out["items"]}
    disk, slow, queue = (named[n]["group_key"] for n in ("DiskFull", "Slow", "Queue"))
    queue_alert = str(named["Queue"]["alert_id"])
    script: list[tuple[str, ...]] = [
        ("alert", "suggestions"),
        ("alert", "declare", disk),
        ("alert", "declare", queue_alert, "--title", "Queue backs up"),
        ("alert", "dismiss", slow, "--as", "bob"),
        ("alert", "suggestions"),
        ("alert", "suggestions", "--dismissed"),
        ("alert", "list"),
        ("alert", "declare", disk),
        ("alert", "dismiss", "999"),
        ("alert", "declare", "nonsense"),
        ("alert", "dismiss", queue.upper()),
    ]
    codes = answers_alike(both, script)
    assert codes == [0] * 7 + [1, 1, 2, 1]
    local_text, remote_text = both("alert", "suggestions", "--dismissed", json=False)
    assert flat(normalised(remote_text.out)) == flat(normalised(local_text.out))
    assert "Slow on s1" in remote_text.out


# -- refusals and usage errors -----------------------------------------------------------


@pytest.mark.parametrize(
    "command", [("show",), ("timeline",), ("export",), ("ack",), ("note", "hello"), ("close",)]
)
def test_an_unknown_incident_exits_1_saying_how_to_find_one(
    remote: Cli, command: tuple[str, ...]
) -> None:
    name, *rest = command

    code, out = remote(name, "INC-99", *rest)

    assert code == 1
    assert out == {
        "error": "no incident INC-99; list open ones with `tocsin list --status open`",
        "exit_code": 1,
    }


def test_an_illegal_transition_exits_1_naming_what_is_allowed(remote: Cli) -> None:
    assert remote("declare", "Checkout is slow", "-s", "P2").code == 0
    assert remote("resolve", "INC-1").code == 0

    code, out = remote("mitigate", "INC-1", "rolled back", json=False)

    assert code == 1
    assert "cannot mitigate INC-1: it is resolved" in out
    allowed = allowed_now(flat(out))
    assert {"close", "reopen"} <= allowed
    assert "mitigate" not in allowed


def test_an_unknown_severity_is_a_usage_error(remote: Cli) -> None:
    code, out = remote("declare", "Checkout is down", "--severity", "P9")

    assert code == 2
    assert out["error"] == "unknown severity 'P9'; valid severities: P1, P2, P3, P4"
    assert remote("list", "--severity", "P9").code == 2
    assert remote("list").out["total"] == 0


@pytest.mark.parametrize("bad", ["foo", "INC-0", "[/x]", "a/b"])
def test_a_malformed_id_is_a_usage_error(remote: Cli, bad: str) -> None:
    code, out = remote("show", bad)

    assert code == 2
    assert out["error"] == f"{bad!r} is not an incident id; ids look like INC-42"


def test_a_viewer_token_cannot_declare(
    server: Server, remote: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_TOKEN", server.token("dashboards", "viewer"))

    code, out = remote("declare", "Checkout is down", "-s", "P1", json=False)

    assert code == 1
    assert "alice via token:dashboards is viewer; this needs responder or above" in flat(out)
    assert remote("list").out["total"] == 0  # a viewer may still read


def test_a_revoked_token_is_refused(server: Server, remote: Cli) -> None:
    assert remote("declare", "Checkout is down", "-s", "P1").code == 0
    ci = next(t for t in server.tocsin.accounts.tokens() if t.name == "ci")
    server.tocsin.accounts.revoke_token(ci.id)

    code, out = remote("show", "INC-1")

    assert code == 1
    assert f"the Tocsin server at {server.url} refused TOCSIN_TOKEN" in out["error"]
    assert "invalid or revoked token" in out["error"]
    assert "tocsin token create" in out["error"]


def test_an_unreachable_server_exits_1_naming_the_url(
    bare_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = unused_url()
    point_at(monkeypatch, url, "tcn_whatever")

    code, out = bare_cli("list", json=False)

    assert code == 1
    assert f"cannot reach the Tocsin server at {url}" in flat(out)
    assert "check TOCSIN_URL" in flat(out)
    assert bare_cli("declare", "Checkout is down", "-s", "P1").out["exit_code"] == 1
    assert_nothing_local(project)


def test_a_url_that_is_not_a_tocsin_server_is_named(
    server: Server, remote: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_URL", f"{server.url}/elsewhere")

    code, out = remote("list")

    assert code == 1
    assert f"the server at {server.url}/elsewhere " in out["error"]
    assert "TOCSIN_URL" in out["error"]


def test_tocsin_url_without_a_token_is_a_usage_error(
    bare_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, "https://tocsin.example.com", None)

    code, out = bare_cli("declare", "Checkout is down", "-s", "P1")

    assert code == 2
    assert (
        "TOCSIN_URL is set (https://tocsin.example.com) but TOCSIN_TOKEN is not" in (out["error"])
    )
    assert "tocsin token create --name NAME --role responder" in out["error"]
    monkeypatch.setenv("TOCSIN_URL", "tocsin.example.com")
    assert "not an http(s) address" in bare_cli("list").out["error"]
    assert_nothing_local(project)


def test_the_client_raises_the_exceptions_the_local_services_raise(
    server: Server, remote: Cli
) -> None:
    assert remote("declare", "Checkout is down", "-s", "P1").code == 0
    env = {"TOCSIN_URL": f"{server.url}/api/v1/", "TOCSIN_TOKEN": server.token("s", "responder")}
    settings = settings_from(env)
    assert settings == Settings(server.url, env["TOCSIN_TOKEN"])
    client = Remote(settings)
    try:
        incidents = client.incidents
        with pytest.raises(ConcurrentChange, match="INC-1 changed since version 1"):
            incidents.note("INC-1", "bob", "stale", version=1)
        incidents.resolve("1", "bob")
        with pytest.raises(IllegalTransition) as illegal:
            incidents.acknowledge("INC-1", "bob")
        assert set(illegal.value.allowed) >= {"close", "reopen"}
        with pytest.raises(IncidentNotFound, match="no incident INC-5"):
            incidents.get(5)
        with pytest.raises(Forbidden, match="needs admin"):
            client.accounts.tokens()
        assert incidents.default_severity is None
        assert incidents.severities.get("p2").title == "🟡 P2 (High)"
        assert incidents.timeline("INC-1")[-2].actor == "bob via token:s"
    finally:
        client.close()


# -- accounts and the commands that stay local -------------------------------------------


def test_users_and_tokens_are_managed_on_the_server(
    server: Server, bare_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, server.url, server.token("root", "admin"))
    cli = bare_cli

    code, made = cli("token", "create", "--name", "deploy", "--role", "viewer")
    assert code == 0, made
    assert (made["name"], made["role"], made["revoked_at"]) == ("deploy", "viewer", None)
    assert made["created_by"] == "alice via token:root"
    assert made["token"].startswith("tcn_")
    assert server.tocsin.accounts.principal_for_token(made["token"]).name == "token:deploy"
    listed = cli("token", "list").out
    assert [t["name"] for t in listed] == ["root", "deploy"]
    code, revoked = cli("token", "revoke", str(made["id"]))
    assert (code, revoked["id"]) == (0, made["id"])
    recent(revoked["revoked_at"])
    assert cli("token", "revoke", "999").out["error"].startswith("no token 999")

    args = ["user", "create", "bob", "--role", "viewer", "--password-stdin", "--json"]
    try:
        made_user = CliRunner().invoke(app, args, input="correct horse battery\n")
    finally:
        common.reset()
    assert made_user.exit_code == 0, made_user.output
    assert json.loads(made_user.stdout)["role"] == "viewer"
    assert server.tocsin.accounts.authenticate("bob", "correct horse battery").username == "bob"
    assert [u["username"] for u in cli("user", "list").out] == ["bob"]
    code, out = cli("token", "list", json=False)
    assert code == 0
    assert f"{made['id']} deploy viewer revoked" in flat(out)


def test_a_responder_token_cannot_manage_tokens(remote: Cli) -> None:
    code, out = remote("token", "create", "--name", "sneaky", "--role", "admin")

    assert code == 1
    assert out["error"] == "alice via token:ci is responder; this needs admin or above"


def test_init_config_and_db_stay_local(
    bare_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They never talk to the server: an unreachable one, and no token, change nothing."""
    point_at(monkeypatch, unused_url(), None)

    assert bare_cli("init").code == 0
    assert bare_cli("config", "check").out["ok"] is True
    code, schema = bare_cli("config", "schema", json=False)
    assert (code, "severities" in json.loads(schema)["properties"]) == (0, True)
    code, out = bare_cli("db", "upgrade")
    assert code == 0, out
    assert (project / ".tocsin" / "tocsin.db").is_file()


def test_alerts_silences_and_maintenance_on_the_server(server: Server, remote: Cli) -> None:
    server.tocsin.alert_admin.add_integration("am", "alertmanager")
    server.tocsin.alerts.ingest(
        "am",
        Parsed(
            alerts=[
                AlertIn("alertmanager", "x1", AlertAction.TRIGGER, "Disk full", "warning",
                        labels={"alertname": "DiskFull", "service": "db"})
            ]
        ),
    )  # fmt: skip
    code, listed = remote("alert", "list")
    assert (code, listed["total"], listed["items"][0]["summary"]) == (0, 1, "Disk full")
    code, silence = remote(
        "silence", "add", "--match", "alertname=DiskFull", "--duration", "1h", "--comment", "resize"
    )
    assert code == 0, silence
    assert silence["author"] == "alice" + VIA
    assert [s.id for s in server.tocsin.alert_admin.silences()] == [silence["id"]]
    assert remote("silence", "expire", str(silence["id"]))[0] == 0
    assert server.tocsin.alert_admin.silences() == []
    code, window = remote("maintenance", "add", "db", "--duration", "30m", "--comment", "resize")
    assert (code, window["service"]) == (0, "db")
    code, edited = remote("maintenance", "edit", str(window["id"]), "--duration", "2h",
                          "--comment", "resize, slower than planned")  # fmt: skip
    assert code == 0, edited
    assert edited["comment"] == "resize, slower than planned"
    assert edited["ends_at"] > window["ends_at"]
    code, ended = remote("maintenance", "end", str(window["id"]))
    assert code == 0, ended
    assert server.tocsin.alert_admin.windows() == []  # ended on the server
    code, out = remote("maintenance", "end", str(window["id"]))
    assert (code, "already ended" in out["error"]) == (2, True)  # as the local command
    actions = [r.action for r in server.tocsin.audit.records()]
    assert actions == ["silence.added", "silence.expired", "maintenance.added",
                       "maintenance.edited", "maintenance.ended"]  # fmt: skip
    code, out = remote("integration", "add", "x", "--source", "generic")
    assert code == 2
    assert "server host" in out["error"]


ACCOUNT_SCRIPT: list[tuple[tuple[str, ...], str | None]] = [
    (("user", "create", "ada", "--role", "admin", "--password-stdin"), "a long passphrase\n"),
    (("user", "create", "bob", "--role", "responder", "--password-stdin"), "robert's passphrase\n"),
    (("user", "role", "bob", "admin"), None),
    (("user", "disable", "bob"), None),
    (("user", "enable", "bob"), None),
    (("user", "role", "bob", " Responder "), None),
    (("user", "role", "@bob", "viewer"), None),
    (("user", "reset-password", "bob", "--password-stdin"), "a new passphrase\n"),
    (("user", "list"), None),
    # refusals (exit 1) and usage errors (exit 2)
    (("user", "disable", "ada"), None),
    (("user", "role", "ada", "responder"), None),
    (("user", "enable", "nobody"), None),
    (("user", "reset-password", "nobody", "--password-stdin"), "a new passphrase\n"),
    (("user", "role", "ada", "root"), None),
    (("user", "reset-password", "bob", "--password-stdin"), "            \n"),
    (("user", "reset-password", "bob", "--password-stdin"), "Password2026!\n"),
    (("user", "create", "cy", "--password-stdin"), "qwertyuiop12\n"),
]


def test_every_user_command_answers_as_the_local_one(
    server: Server, project: Path, bare_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run on a local project, then on the server with an admin token: the same answers."""
    root = server.token("root", "admin")
    (project / "local").mkdir()
    monkeypatch.setenv("TOCSIN_CONFIG", str(project / "local" / "tocsin.yaml"))
    assert bare_cli("init").code == 0

    def run(args: tuple[str, ...], stdin: str | None, token: str | None) -> tuple[int, Any]:
        if token is None:
            monkeypatch.delenv("TOCSIN_URL", raising=False)
        else:
            point_at(monkeypatch, server.url, token)
        try:
            ran = CliRunner().invoke(app, [*args, "--json"], input=stdin)
        finally:
            common.reset()
        if ran.exception is not None and not isinstance(ran.exception, SystemExit):
            raise ran.exception
        return ran.exit_code, normalised(json.loads(ran.stdout))

    codes = []
    for args, stdin in ACCOUNT_SCRIPT:
        local, remote = run(args, stdin, None), run(args, stdin, root)
        assert remote == local, args
        codes.append(remote[0])
    assert codes[-8:] == [1, 1, 1, 1, 2, 2, 2, 2]
    assert server.tocsin.accounts.authenticate("bob", "a new passphrase").role.value == "viewer"

    # Changing one's own password needs a token that acts for that person.
    ada = next(u for u in server.tocsin.accounts.users() if u.username == "ada")
    ada_token = server.tocsin.accounts.create_token("ada-cli", "viewer", "tests", owner=ada)[1]
    change = ("user", "passwd", "ada", "--password-stdin")
    stdin = "a long passphrase\nher new passphrase\n"
    assert run(change, stdin, ada_token) == run(change, stdin, None)
    assert server.tocsin.accounts.authenticate("ada", "her new passphrase").username == "ada"
    wrong = run(change, "not it at all!\na third passphrase\n", ada_token)
    assert wrong == run(change, "not it at all!\na third passphrase\n", None)
    assert wrong[0] == 2
    code, out = run(("user", "passwd", "bob", "--password-stdin"), stdin, ada_token)
    assert (code, out["error"]) == (
        1,
        "token:ada-cli acts for ada, not bob; an admin resets another user's password "
        "with `tocsin user reset-password bob`",
    )
