"""The `tocsin` command when things go wrong: exit 1 when the domain or the environment
refuses (the message says why and what to do), exit 2 for a usage error; a database that
is not Tocsin's own is refused and never written to."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli, flat, sha256
from tests.support.postmortems import CLI_PUBLISH

Declare = Callable[..., dict[str, Any]]


def allowed_now(message: str) -> set[str]:
    """The actions an IllegalTransition message names: '...; allowed now: a, b'."""
    assert "allowed now: " in message, message
    return set(message.rsplit("allowed now: ", 1)[1].strip().split(", "))


def sqlite_execute(path: Path, *statements: str) -> list[tuple[Any, ...]]:
    """Run statements on a SQLite file outside Tocsin; return the last one's rows."""
    rows: list[tuple[Any, ...]] = []
    with closing(sqlite3.connect(path)) as conn:
        for statement in statements:
            rows = conn.execute(statement).fetchall()
        conn.commit()
    return rows


def dump(path: Path) -> str:
    """A SQLite file's schema and rows as SQL text."""
    with closing(sqlite3.connect(path)) as conn:
        return "\n".join(conn.iterdump())


# -- usage errors: exit 2 ----------------------------------------------------------------


def test_an_unknown_severity_lists_the_valid_keys(cli: Cli) -> None:
    code, out = cli("declare", "Checkout is down", "--severity", "P9", json=False)

    assert code == 2
    assert "'P9'" in out
    assert "P1, P2, P3, P4" in out
    assert cli("list").out["total"] == 0


def test_an_unknown_severity_lists_the_keys_of_the_preset_in_use(bare_cli: Cli) -> None:
    assert bare_cli("init", "--preset", "sev1-sev3").code == 0

    code, out = bare_cli("declare", "Checkout is down", "--severity", "P1")

    assert code == 2
    assert "SEV-1, SEV-2, SEV-3" in out["error"]


def test_changing_to_an_unknown_severity_changes_nothing(cli: Cli, declare: Declare) -> None:
    declare()

    code, out = cli("severity", "INC-1", "P9")

    assert code == 2
    assert "P1, P2, P3, P4" in out["error"]
    assert cli("show", "INC-1").out["severity"] == "P2"


@pytest.mark.parametrize("command", [("show",), ("ack",), ("mitigate", "rolled back")])
def test_a_malformed_incident_id_is_a_usage_error(cli: Cli, command: tuple[str, ...]) -> None:
    name, *rest = command

    code, out = cli(name, "foo", *rest)

    assert code == 2
    assert "'foo' is not an incident id" in out["error"]
    assert "INC-42" in out["error"]


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_update_is_a_usage_error(cli: Cli, declare: Declare, text: str) -> None:
    declare()

    code, out = cli("update", "INC-1", text)

    assert code == 2
    assert "update is empty" in out["error"]
    shown = cli("show", "INC-1").out
    assert "status_update" not in [entry["kind"] for entry in shown["timeline"]]


def test_a_bad_label_is_refused_when_declaring(cli: Cli) -> None:
    code, out = cli("declare", "Checkout is down", "-s", "P2", "--label", "Not OK!")

    assert code == 2
    assert "label 'Not OK!' is not valid" in out["error"]
    assert cli("list").out["total"] == 0


def test_a_bad_label_is_refused_when_relabelling(cli: Cli, declare: Declare) -> None:
    declare("Checkout is slow", "--label", "checkout")

    code, out = cli("label", "INC-1", "--add", "has space", json=False)

    assert code == 2
    assert "label 'has space' is not valid" in out
    assert cli("show", "INC-1").out["labels"] == ["checkout"]


@pytest.mark.parametrize(
    "args",
    [
        ("declare", "Checkout is down", "-s", "P2", "--bogus"),
        ("list", "--limit", "0"),
        ("list", "--status", "sleeping"),
        ("list", "--since", "yesterday"),
        ("export", "INC-1", "--format", "pdf"),
        ("assign", "INC-1", "janitor", "bob"),
    ],
    ids=["unknown-option", "limit-0", "bad-status", "bad-since", "bad-format", "bad-role"],
)
def test_bad_options_are_usage_errors(cli: Cli, declare: Declare, args: tuple[str, ...]) -> None:
    declare()

    code, out = cli(*args, json=False)

    assert code == 2, out


# -- refusals by the domain: exit 1 ------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [("show",), ("timeline",), ("export",), ("ack",), ("note", "hello"), ("close",)],
)
def test_an_unknown_incident_says_how_to_find_one(cli: Cli, command: tuple[str, ...]) -> None:
    name, *rest = command

    code, out = cli(name, "INC-99", *rest)

    assert code == 1
    assert out["error"].startswith("no incident INC-99")
    assert "tocsin list" in out["error"]


def test_an_unknown_incident_in_text_mode(cli: Cli, declare: Declare) -> None:
    declare()

    code, out = cli("show", "INC-99", json=False)

    assert code == 1
    assert "no incident INC-99" in out
    assert "tocsin list" in out


def test_mitigating_a_resolved_incident_names_what_is_allowed(cli: Cli, declare: Declare) -> None:
    declare()
    assert cli("resolve", "INC-1").code == 0
    before = cli("show", "INC-1").out

    code, out = cli("mitigate", "INC-1", "rolled back")

    assert code == 1
    assert "cannot mitigate INC-1: it is resolved" in out["error"]
    allowed = allowed_now(out["error"])
    assert {"close", "reopen"} <= allowed
    assert "mitigate" not in allowed
    assert cli("show", "INC-1").out == before


def test_acknowledging_twice_is_refused(cli: Cli, declare: Declare) -> None:
    declare()
    assert cli("ack", "INC-1").code == 0

    code, out = cli("ack", "INC-1", "--as", "bob")

    assert code == 1
    assert "INC-1 was already acknowledged by alice" in out["error"]
    assert cli("show", "INC-1").out["acknowledged_by"] == "alice"


def test_a_closed_incident_only_allows_reopen(cli: Cli, declare: Declare) -> None:
    declare()
    assert cli("resolve", "INC-1").code == 0
    for command in CLI_PUBLISH:
        assert cli(*command, "INC-1").code == 0, command
    assert cli("close", "INC-1").code == 0
    entries = len(cli("timeline", "INC-1").out)

    code, out = cli("note", "INC-1", "one more thing", json=False)

    assert code == 1
    assert "cannot note INC-1: it is closed" in out
    assert allowed_now(out) == {"reopen"}
    assert len(cli("timeline", "INC-1").out) == entries


@pytest.mark.parametrize(
    ("args", "expected_code"),
    [
        (("show", "INC-99"), 1),
        (("ack", "INC-1"), 1),  # the test acknowledges it first
        (("show", "foo"), 2),
        (("declare", "Checkout is down", "-s", "P9"), 2),
        (("update", "INC-1", " "), 2),
    ],
)
def test_json_errors_are_a_json_object_with_the_exit_code(
    cli: Cli, declare: Declare, args: tuple[str, ...], expected_code: int
) -> None:
    declare()
    assert cli("ack", "INC-1").code == 0

    code, out = cli(*args)

    assert code == expected_code
    assert set(out) == {"error", "exit_code"}
    assert out["exit_code"] == expected_code
    assert isinstance(out["error"], str)
    assert out["error"]


# -- the environment: config and database ------------------------------------------------


def test_a_missing_config_file_says_to_run_init(bare_cli: Cli, project: Path) -> None:
    code, out = bare_cli("list")

    assert code == 1
    assert out["exit_code"] == 1
    assert "no config file" in out["error"]
    assert "tocsin init" in out["error"]
    code, out = bare_cli("declare", "Checkout is down", "-s", "P1", json=False)
    assert code == 1
    assert "tocsin init" in out
    assert not (project / ".tocsin").exists()


def test_a_database_from_a_newer_tocsin_is_refused_and_left_alone(cli: Cli, project: Path) -> None:
    assert cli("db", "upgrade").code == 0
    db = project / ".tocsin" / "tocsin.db"
    sqlite_execute(db, "UPDATE alembic_version SET version_num = '9999_future'")
    # Its content, not its bytes: closing the last connection may move committed pages from
    # the write-ahead log into the file, which changes the bytes but not one row.
    before = dump(db)

    code, out = cli("list")

    assert code == 1
    assert "newer" in out["error"]
    assert "9999_future" in out["error"]
    code, out = cli("db", "upgrade", json=False)
    assert code == 1
    assert "never migrated down" in flat(out)
    assert dump(db) == before
    assert sqlite_execute(db, "SELECT version_num FROM alembic_version") == [("9999_future",)]


def test_a_corrupt_database_is_refused_and_left_alone(cli: Cli, project: Path) -> None:
    db = project / ".tocsin" / "tocsin.db"
    db.parent.mkdir()
    db.write_bytes((b"this is not a SQLite database\n" * 200)[:4096])
    before = sha256(db)

    code, out = cli("list")

    assert code == 1
    assert "is not a usable Tocsin database" in out["error"]
    assert "will not overwrite" in out["error"]
    code, out = cli("declare", "Checkout is down", "-s", "P1", json=False)
    assert code == 1
    assert "restore it from a backup" in flat(out)
    assert sha256(db) == before


@pytest.fixture
def foreign_db(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Another application's SQLite file, which TOCSIN_DATABASE_URL points at by mistake."""
    path = project / "crm.db"
    sqlite_execute(
        path,
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        "INSERT INTO customers (name) VALUES ('Acme')",
    )
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{path}")
    return path


def test_another_apps_database_is_refused(cli: Cli, foreign_db: Path) -> None:
    code, out = cli("list")

    assert code == 1
    assert "holds tables (customers) but no Tocsin schema version" in out["error"]
    code, out = cli("db", "upgrade")
    assert code == 1
    tables = sqlite_execute(foreign_db, "SELECT name FROM sqlite_master WHERE type = 'table'")
    assert tables == [("customers",)]
    assert sqlite_execute(foreign_db, "SELECT name FROM customers") == [("Acme",)]


def test_another_apps_database_keeps_every_byte(cli: Cli, foreign_db: Path) -> None:
    before = sha256(foreign_db)

    assert cli("list").code == 1

    assert sqlite_execute(foreign_db, "PRAGMA journal_mode") == [("delete",)]
    assert sha256(foreign_db) == before


# -- known bugs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("show", "[/x]"), "'[/x]' is not an incident id"),
        (("declare", "Checkout", "-s", "[bold]P9"), "unknown severity '[bold]P9'"),
    ],
    ids=["closing-tag", "opening-tag"],
)
def test_error_messages_print_user_text_verbatim(
    cli: Cli, args: tuple[str, ...], expected: str
) -> None:
    code, out = cli(*args, json=False)

    assert code == 2
    assert expected in out


@pytest.mark.parametrize(
    "args",
    [("list", "--since", "yesterday"), ("declare", "Checkout is down"), ("init",)],
    ids=["list-since", "declare-no-severity", "init-exists"],
)
def test_usage_errors_inside_commands_honour_json(cli: Cli, args: tuple[str, ...]) -> None:
    code, out = cli(*args)

    assert code == 2
    assert out == {"error": out["error"], "exit_code": 2}
