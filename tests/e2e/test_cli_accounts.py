"""`tocsin user …` on the local database, and the first admin that `tocsin serve` makes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.e2e.conftest import Cli, flat
from tocsin.cli import common, server
from tocsin.cli.main import app

PHRASE = "a long passphrase"
NEW_PHRASE = "another long passphrase"


def typed(*args: str, stdin: str) -> tuple[int, Any]:
    """A command that reads passwords from stdin, with --json; returns (exit code, JSON)."""
    try:
        ran = CliRunner().invoke(app, [*args, "--json"], input=stdin)
    finally:
        common.reset()
    if ran.exception is not None and not isinstance(ran.exception, SystemExit):
        raise ran.exception
    return ran.exit_code, json.loads(ran.stdout)


def make_user(name: str, role: str) -> None:
    code, out = typed("user", "create", name, "--role", role, "--password-stdin", stdin=PHRASE)
    assert code == 0, out


def can_log_in(name: str, password: str) -> bool:
    from tocsin.core.access import Unauthenticated

    try:
        common.local_app().accounts.authenticate(name, password)
    except Unauthenticated:
        return False
    finally:
        common.reset()
    return True


def test_users_are_disabled_enabled_and_given_roles(cli: Cli) -> None:
    make_user("ada", "admin")
    make_user("bob", "responder")
    code, out = cli("user", "role", "bob", "admin")
    assert (code, out["role"]) == (0, "admin")
    code, out = cli("user", "disable", "ada")
    assert (code, out["disabled"]) == (0, True)
    assert not can_log_in("ada", PHRASE)
    code, out = cli("user", "enable", "ada")
    assert (code, out["disabled"]) == (0, False)
    assert can_log_in("ada", PHRASE)
    code, out = cli("user", "disable", "ada", json=False)
    assert "user ada disabled: their sessions ended and their tokens are revoked" in flat(out)


def test_the_last_admin_is_kept_and_unknown_users_are_named(cli: Cli) -> None:
    make_user("ada", "admin")
    code, out = cli("user", "disable", "ada")
    assert code == 1
    assert out["error"].startswith("ada is the last enabled admin")
    assert cli("user", "role", "ada", "viewer").code == 1
    code, out = cli("user", "enable", "nobody")
    assert (code, out["error"]) == (1, "no user nobody; list them with `tocsin user list`")
    assert cli("user", "role", "ada", "root").code == 2


def test_a_user_changes_their_password_and_an_admin_resets_one(cli: Cli) -> None:
    make_user("ada", "admin")
    code, out = typed(
        "user", "passwd", "ada", "--password-stdin", stdin=f"{PHRASE}\n{NEW_PHRASE}\n"
    )
    assert (code, out["username"]) == (0, "ada"), out
    assert can_log_in("ada", NEW_PHRASE)
    code, out = typed("user", "passwd", "ada", "--password-stdin", stdin=f"{PHRASE}\n{PHRASE}x\n")
    assert (code, out["error"]) == (
        2,
        "current_password is wrong; give the password ada logs in with",
    )
    code, out = typed("user", "reset-password", "ada", "--password-stdin", stdin=f"{PHRASE}\n")
    assert (code, out["username"]) == (0, "ada")
    assert can_log_in("ada", PHRASE)
    code, out = typed("user", "reset-password", "ada", "--password-stdin", stdin=" " * 14)
    assert code == 2
    assert out["error"].startswith("password is only spaces")
    code, out = typed("user", "create", "bob", "--password-stdin", stdin="password2026!")
    assert (code, out["error"][:45]) == (2, "password is built on 'password', a common pas")


# -- the first admin ---------------------------------------------------------------------


@pytest.fixture
def serve_nothing(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tocsin serve` up to the point where it would listen."""
    import tocsin.api.asgi
    import tocsin.api.logs

    monkeypatch.setattr(tocsin.api.asgi, "serve", lambda *args: None)
    monkeypatch.setattr(tocsin.api.logs, "configure_logging", lambda *args: None)


def serve() -> str:
    try:
        ran = CliRunner().invoke(app, ["serve", "--no-worker"])
    finally:
        common.reset()
    assert ran.exit_code == 0, ran.output
    return ran.output


def test_the_first_admin_password_is_never_written_where_stderr_is_kept(
    serve_nothing: None, project: Path
) -> None:
    """Under systemd, Docker or `> server.log 2>&1`, stderr is a log: no password there."""
    said = flat(serve())
    assert "with password" not in said
    assert (
        "No users yet. Create the first admin with `tocsin user create NAME --role admin` "
        "(it asks for the password)" in said
    )
    assert common.local_app().accounts.users() == []
    common.reset()


def test_on_a_terminal_the_first_admin_password_is_shown_once(
    serve_nothing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "on_terminal", lambda: True)
    said = flat(serve())
    password = said.split("with password ")[1].split(" ")[0]
    assert "(shown once" in said
    assert can_log_in("admin", password)
    assert "with password" not in flat(serve())  # a second start: users exist
