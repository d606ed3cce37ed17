"""Users and API tokens: `tocsin user …` and `tocsin token …`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tocsin.app.views import token_json, user_json
from tocsin.cli.common import JsonOpt, actor, app, handled, out, print_json

user_commands = typer.Typer(help="People who log in to the web UI.")
token_commands = typer.Typer(help="API tokens for scripts, CI and the remote CLI.")
RoleOpt = Annotated[str, typer.Option(help="viewer, responder or admin.")]


@user_commands.command("create")
@handled
def create_user(
    username: str,
    role: RoleOpt = "responder",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a user; the password is asked for (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = app().accounts.create_user(username, password, role)
    if as_json:
        print_json(user_json(user))
    else:
        out.print(f"[green]✔[/green] user {user.username} ({user.role.value}) created")


@user_commands.command("list")
@handled
def list_users(as_json: JsonOpt = False) -> None:
    users = app().accounts.users()
    if as_json:
        print_json([user_json(u) for u in users])
        return
    for u in users:
        out.print(f"{u.username}\t{u.role.value}{'  (disabled)' if u.disabled else ''}")


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
