"""`tocsin action list|run`: typed actions (ECS, API Gateway, SSM, CloudWatch, Logs, RDS,
CloudTrail, and tocsin.yaml's HTTP actions) for an incident, with a dry run, the state before
recorded on the timeline, and the audit. With TOCSIN_URL they run on that server (its
credentials, its catalogue, its audit log), as the API's caller."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.markup import escape

from tocsin.cli.common import ActorOpt, JsonOpt, actor, app, handled, local_app, out, print_json
from tocsin.cli.remote import Remote
from tocsin.core.access import AccessRole, Principal
from tocsin.core.errors import InvalidInput

action_commands = typer.Typer(
    help="Typed actions (AWS) for an incident, with a dry run. "
    "For action items (follow-up work) see `tocsin actions`."
)


@action_commands.command("list")
@handled
def list_(as_json: JsonOpt = False) -> None:
    """The typed actions and their parameters."""
    target = app()
    if isinstance(target, Remote):
        specs = target.runbooks.actions()
    else:
        specs = [s.describe() for s in local_app().actions.catalogue()]
    if as_json:
        print_json(specs)
        return
    for s in specs:
        params = " ".join(
            p["name"] + ("" if p["default"] is None else f"={p['default']}") for p in s["params"]
        )
        out.print(f"[bold]{s['name']}[/bold] ({s['kind']}) {escape(s['summary'])}: "
                  f"{escape(params)}")  # fmt: skip


@action_commands.command()
@handled
def run(
    name: Annotated[str, typer.Argument(help="e.g. ecs.scale (see `tocsin action list`).")],
    incident: Annotated[str, typer.Option("--incident", "-i", help="e.g. INC-7.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE; repeatable.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm a mitigation.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change.")] = False,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a typed action for an incident; its before and after go on the timeline."""
    params = {}
    for pair in param or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidInput(f"--param {pair!r}: write NAME=VALUE")
        params[key.strip()] = value
    target = app()
    result: dict[str, Any]
    if isinstance(target, Remote):
        body = {"params": params, "confirm": yes, "dry_run": dry_run}
        result = target.runbooks.action(incident, name, body, actor(as_))
    else:
        who = Principal(actor(as_), AccessRole.ADMIN, "local")
        result = asdict(local_app().actions.run(incident, name, params, who, yes, dry_run))
    if as_json:
        print_json(result)
    elif result.get("awaiting_approval"):
        out.print(f"[yellow]{escape(result['summary'])}[/yellow]")
    else:
        style = "green" if result["ok"] else "red"
        out.print(f"[{style}]{escape(result['summary'])}[/]")
        if result["before"]:
            out.print(f"before: {escape(json.dumps(result['before']))}")
        if result["output"]:
            out.print(escape(result["output"]))
    if not result["ok"]:
        raise typer.Exit(1)
