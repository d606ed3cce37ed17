"""Set-up commands: init, config check, config schema, db upgrade."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from tocsin import bootstrap
from tocsin.cli.common import JsonOpt, err, handled, out, print_json
from tocsin.config import (
    PRESETS,
    ConfigError,
    dump_schema,
    find_config_path,
    load_config,
    render_preset,
)
from tocsin.config.reachability import lines_of, reachability_warnings

commands = typer.Typer()
config_commands = typer.Typer(help="Check tocsin.yaml, or print its JSON Schema.")
db_commands = typer.Typer(help="The database: migrations.")


@commands.command()
@handled
def init(
    preset: Annotated[str, typer.Option(help=f"Severity model: {' or '.join(PRESETS)}.")] = PRESETS[
        0
    ],
    organization: Annotated[str, typer.Option(help="Your team or company name.")] = "My team",
    path: Annotated[
        Path | None, typer.Option(help="Where to write (default ./tocsin.yaml).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a commented tocsin.yaml to start from."""
    if preset not in PRESETS:
        raise typer.BadParameter(
            f"{preset!r}; choose {' or '.join(PRESETS)}", param_hint="--preset"
        )
    target = path or find_config_path(os.environ, Path.cwd())
    if target.exists() and not force:
        raise typer.BadParameter(
            f"{target} exists; pass --force to overwrite it", param_hint="--path"
        )
    if not target.parent.is_dir():
        raise typer.BadParameter(
            f"the folder {target.parent} does not exist; create it first", param_hint="--path"
        )
    target.write_text(render_preset(preset, organization), encoding="utf-8")
    load_config(target)  # what we write must load
    if as_json:
        print_json({"path": str(target), "preset": preset})
    else:
        out.print(
            f"[green]✔[/green] wrote {target} (preset {preset}); "
            "check it with `tocsin config check`"
        )


@config_commands.command("check")
@handled
def check(
    strict: Annotated[
        bool, typer.Option(help="Exit 1 on warnings too (unreachable people, coverage gaps).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Validate tocsin.yaml: exit 0 if it is good, 1 with each problem's line if not.
    Warnings (people nobody can reach, gaps in a schedule in the next 30 days) are listed
    and fail only with --strict."""
    path = find_config_path(os.environ, Path.cwd())
    config = load_config(path)
    model = config.severity_model()
    problems = (
        bootstrap.template_problems(config)
        + bootstrap.notifier_problems(config, os.environ)
        + bootstrap.policy_problems(config)
        + bootstrap.postmortem_problems(config, path)
    )
    if problems:
        raise ConfigError(path, problems)
    warnings = reachability_warnings(config, lines_of(path), datetime.now(UTC))
    if strict and warnings:
        raise ConfigError(path, warnings)
    if as_json:
        listed = [{"line": w.line, "field": w.field, "message": w.message} for w in warnings]
        print_json({"path": str(path), "ok": True, "severities": model.keys, "warnings": listed})
        return
    for line in str(ConfigError(path, warnings)).splitlines() if warnings else ():
        err.print(Text.assemble(("warning:", "yellow"), " ", line))  # user text, not markup
    out.print(f"[green]✔[/green] {path} is valid; severities: {', '.join(model.keys)}")


@config_commands.command("schema")
def schema(as_json: JsonOpt = True) -> None:
    """Print the JSON Schema of tocsin.yaml, for editors (always JSON; --json is accepted)."""
    print_json(dump_schema())


@db_commands.command("upgrade")
@handled
def upgrade(as_json: JsonOpt = False) -> None:
    """Apply the migrations this Tocsin carries (they also run on start)."""
    wired = bootstrap.build(migrate=True)
    revision = bootstrap.schema_revision(wired)
    if as_json:
        print_json({"database": wired.engine.url.render_as_string(), "revision": revision})
    else:
        out.print(f"[green]✔[/green] database at schema {revision}")
