"""`tocsin integration|silence|maintenance|alert` through the CLI."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Cli
from tocsin.config import load_config


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
