"""`tocsin integration|silence|maintenance|alert` through the CLI."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Cli
from tocsin.bootstrap import build
from tocsin.config import load_config
from tocsin.core.alerts import AlertAction, AlertIn, Parsed


def ingest(*alerts: AlertIn) -> None:
    """Alerts into the project's database, as an integration named `am` sends them."""
    wired = build()
    try:
        wired.alerts.ingest("am", Parsed(alerts=list(alerts)))
    finally:
        wired.engine.dispose()


def fire(key: str, severity: str, name: str, service: str = "db") -> AlertIn:
    labels = {"alertname": name, "service": service, "instance": key}
    return AlertIn("alertmanager", key, AlertAction.TRIGGER, f"{name} on {key}", severity,
                   labels=labels)  # fmt: skip


def test_integration_add_writes_the_yaml_keeps_comments_and_lists_url_and_key(
    cli: Cli, project: Path
) -> None:
    code, made = cli("integration", "add", "prod-am", "--source", "alertmanager")
    assert code == 0, made
    assert len(made["key"]) == 32
    assert made["url"].endswith(f"/ingest/alertmanager/{made['key']}")
    text = (project / "tocsin.yaml").read_text(encoding="utf-8")
    assert "# " in text  # the preset's comments survive
    assert load_config(project / "tocsin.yaml").integration("prod-am") is not None
    code, listed = cli("integration", "list")
    assert [(i["name"], i["source"], i["key"]) for i in listed] == [
        ("prod-am", "alertmanager", made["key"])
    ]
    code, rotated = cli("integration", "rotate", "prod-am")
    assert rotated["key"] != made["key"]


def test_integration_add_only_appends_its_entry_quoting_a_word_yaml_reads_as_true(
    cli: Cli, project: Path
) -> None:
    path = project / "tocsin.yaml"
    before = path.read_text(encoding="utf-8")
    code, made = cli("integration", "add", "on", "--source", "generic")
    assert (code, made["name"]) == (0, "on"), made
    entry = "\nintegrations:\n  - name: 'on'\n    source: generic\n"
    assert path.read_text(encoding="utf-8") == before + entry


def test_integration_add_refuses_a_name_the_file_cannot_hold_and_leaves_it(
    cli: Cli, project: Path
) -> None:
    path = project / "tocsin.yaml"
    before = path.read_bytes()
    code, out = cli("integration", "add", "Prod AM", "--source", "generic")
    assert code == 1
    assert "not changed: the edit would make it invalid" in out["error"]
    assert "integrations[0].name: invalid name 'Prod AM'" in out["error"]
    assert path.read_bytes() == before
    assert cli("integration", "list")[1] == []


def test_integration_errors(cli: Cli, project: Path) -> None:
    before = (project / "tocsin.yaml").read_text(encoding="utf-8")
    code, out = cli("integration", "add", "x", "--source", "nagios")
    assert code == 2
    assert "valid sources: alertmanager" in out["error"]
    assert (project / "tocsin.yaml").read_text(encoding="utf-8") == before
    cli("integration", "add", "am", "--source", "alertmanager")
    code, out = cli("integration", "add", "am", "--source", "alertmanager")
    assert (code, "exists" in out["error"]) == (2, True)
    code, out = cli("integration", "rotate", "nope")
    assert (code, out["error"].startswith("no integration nope")) == (1, True)


def test_silences_and_maintenance(cli: Cli) -> None:
    code, silence = cli(
        "silence", "add", "--match", "alertname=DiskFull", "--match", "env=~prod.*",
        "--duration", "2h", "--comment", "resizing volumes",
    )  # fmt: skip
    assert code == 0, silence
    assert silence["matchers"] == ["alertname=DiskFull", "env=~prod.*"]
    code, listed = cli("silence", "list")
    assert [s["id"] for s in listed] == [silence["id"]]
    assert cli("silence", "expire", str(silence["id"]))[0] == 0
    assert cli("silence", "list")[1] == []
    assert cli("silence", "expire", str(silence["id"]))[0] == 1
    code, out = cli("silence", "add", "--match", "oops", "--duration", "1h", "--comment", "x")
    assert (code, "is not valid" in out["error"]) == (2, True)
    code, window = cli("maintenance", "add", "api", "--duration", "30m", "--comment", "deploy")
    assert (code, window["service"]) == (0, "api")
    code, out = cli("maintenance", "add", "api", "--duration", "soon", "--comment", "x")
    assert code == 2
    assert cli("alert", "list")[1] == {"items": [], "total": 0}


def test_a_fresh_install_declares_critical_alerts_and_suggests_the_rest(
    pg_or_sqlite_cli: Cli,
) -> None:
    cli = pg_or_sqlite_cli
    assert cli("integration", "add", "am", "--source", "alertmanager").code == 0
    ingest(
        fire("c1", "critical", "Down", "api"),
        fire("w1", "warning", "DiskFull"),
        fire("w2", "warning", "DiskFull"),
        fire("i1", "info", "Queue"),
    )
    code, listed = cli("list")
    assert (code, [(i["id"], i["severity"]) for i in listed["items"]]) == (0, [("INC-1", "P1")])

    code, found = cli("alert", "suggestions")
    assert code == 0, found
    assert found["total"] == 2
    assert [(s["severity"], s["alerts"], s["firing"]) for s in found["items"]] == [
        ("P3", 2, 2),
        ("P4", 1, 1),
    ]
    disk, queue = found["items"]
    code, text = cli("alert", "suggestions", json=False)
    assert code == 0, text
    assert disk["group_key"] in text
    assert "DiskFull on w1" in text or "DiskFull on w2" in text
    assert "2 alerts, 2 firing" in text

    code, made = cli("alert", "declare", disk["group_key"])
    assert code == 0, made
    assert (made["id"], made["severity"], made["declared_by"]) == ("INC-2", "P3", "alice")
    assert "INCIDENT" in made["message"]
    alerts = cli("alert", "list")[1]["items"]
    assert {a["incident"] for a in alerts if a["group_key"] == disk["group_key"]} == {"INC-2"}

    code, made = cli("alert", "declare", str(queue["alert_id"]), "--title", "Queue backs up")
    assert (code, made["id"], made["title"]) == (0, "INC-3", "Queue backs up")
    assert cli("alert", "suggestions")[1]["total"] == 0

    ingest(fire("w9", "warning", "Slow", "web"))
    [slow] = cli("alert", "suggestions")[1]["items"]
    code, done = cli("alert", "dismiss", slow["group_key"], "--as", "bob")
    assert (code, done["dismissed_by"]) == (0, "bob")
    assert cli("alert", "suggestions")[1]["total"] == 0
    assert cli("alert", "suggestions", "--dismissed")[1]["items"][0]["dismissed_by"] == "bob"


def test_alert_declare_and_dismiss_refusals(cli: Cli) -> None:
    assert cli("integration", "add", "am", "--source", "alertmanager").code == 0
    ingest(fire("w1", "warning", "DiskFull"))
    group = cli("alert", "suggestions")[1]["items"][0]["group_key"]
    code, out = cli("alert", "declare", "nonsense")
    assert code == 2
    assert out["error"].startswith("ref 'nonsense': ")
    code, out = cli("alert", "dismiss", "999")
    assert (code, out["error"]) == (1, "no alert 999; see `tocsin alert list --json`")
    code, out = cli("alert", "declare", group, "--title", "x" * 201)
    assert code == 2
    assert "title" in out["error"]
    assert cli("alert", "declare", group)[0] == 0
    code, out = cli("alert", "declare", group)
    assert code == 1
    assert "INC-1" in out["error"]
    code, out = cli("alert", "declare", group, json=False)
    assert code == 1
    assert "INC-1" in out
