"""Users and API tokens: `tocsin user …` and `tocsin token …`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tocsin.app.accounts import User
from tocsin.app.views import token_json, user_json
from tocsin.cli.common import JsonOpt, actor, app, handled, out, print_json

user_commands = typer.Typer(help="People who log in to the web UI.")
token_commands = typer.Typer(help="API tokens for scripts, CI and the remote CLI.")
RoleOpt = Annotated[str, typer.Option(help="viewer, responder or admin.")]
NameArg = Annotated[str, typer.Argument(help="The username, e.g. alice.", show_default=False)]
StdinOpt = Annotated[bool, typer.Option(help="Read the password from stdin.")]
RULE = "12+ characters; not a common password, the username, or repeats and runs"


def _read(stdin: bool, prompt: str, confirm: bool = True) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def _done(user: User, as_json: bool, text: str) -> None:
    if as_json:
        print_json(user_json(user))
    else:
        out.print(f"[green]✔[/green] user {user.username} {text}")


@user_commands.command("create")
@handled
def create_user(
    username: str, role: RoleOpt = "responder", password_stdin: StdinOpt = False,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Create a user; the password is asked for (or read from stdin)."""
    password = _read(password_stdin, f"Password ({RULE})")
    user = app().accounts.create_user(username, password, role)
    _done(user, as_json, f"({user.role.value}) created")


@user_commands.command("list")
@handled
def list_users(as_json: JsonOpt = False) -> None:
    users = app().accounts.users()
    if as_json:
        print_json([user_json(u) for u in users])
        return
    for u in users:
        out.print(f"{u.username}\t{u.role.value}{'  (disabled)' if u.disabled else ''}")


@user_commands.command("role")
@handled
def set_role(
    username: NameArg,
    role: Annotated[str, typer.Argument(help="viewer, responder or admin.", show_default=False)],
    as_json: JsonOpt = False,
) -> None:
    """Give a user another role. The last enabled admin cannot be demoted."""
    user = app().accounts.set_role(username, role)
    _done(user, as_json, f"is now {user.role.value}")


@user_commands.command("disable")
@handled
def disable_user(username: NameArg, as_json: JsonOpt = False) -> None:
    """Disable a user: their sessions end and every token they own is revoked, at once."""
    user = app().accounts.disable(username)
    _done(user, as_json, "disabled: their sessions ended and their tokens are revoked")


@user_commands.command("enable")
@handled
def enable_user(username: NameArg, as_json: JsonOpt = False) -> None:
    """Let a disabled user log in again. Their revoked tokens stay revoked."""
    user = app().accounts.enable(username)
    _done(user, as_json, "enabled")


@user_commands.command("passwd")
@handled
def change_password(
    username: NameArg,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the current and the new password, one a line, from stdin.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Change your own password: the current one, then the new one. Your sessions end."""
    current = _read(password_stdin, "Current password", confirm=False)
    new = _read(password_stdin, f"New password ({RULE})")
    user = app().accounts.change_password(username, current, new)
    _done(user, as_json, "has a new password; their sessions ended")


@user_commands.command("reset-password")
@handled
def reset_password(
    username: NameArg, password_stdin: StdinOpt = False, as_json: JsonOpt = False
) -> None:
    """Set a user's password (admin); their sessions end. Tell them the new one in person."""
    new = _read(password_stdin, f"New password ({RULE})")
    user = app().accounts.reset_password(username, new)
    _done(user, as_json, "has a new password; their sessions ended")


@token_commands.command("create")
@handled
def create_token(
    name: Annotated[str, typer.Option(help="What the token is for, e.g. ci.")],
    role: RoleOpt = "responder",
    as_json: JsonOpt = False,
) -> None:
    """Create an API token. Its secret is printed once; Tocsin keeps only a hash."""
    token, secret = app().accounts.create_token(name, role, actor(None))
    if as_json:
        print_json({**token_json(token), "token": secret})
    else:
        out.print(f"[green]✔[/green] token {token.id} ({token.name}, {token.role.value}):")
        out.print(secret, markup=False)
        out.print("[dim]Shown once. Use it as: Authorization: Bearer <token>[/dim]")


@token_commands.command("list")
@handled
def list_tokens(as_json: JsonOpt = False) -> None:
    tokens = app().accounts.tokens()
    if as_json:
        print_json([token_json(t) for t in tokens])
        return
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        out.print(f"{t.id}\t{t.name}\t{t.role.value}\t{state}", markup=False)


@token_commands.command("revoke")
@handled
def revoke_token(token_id: int, as_json: JsonOpt = False) -> None:
    token = app().accounts.revoke_token(token_id)
    if as_json:
        print_json(token_json(token))
    else:
        out.print(f"[green]✔[/green] token {token.id} ({token.name}) revoked")
