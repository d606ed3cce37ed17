"""Commands that only read: list, show, timeline, export, status."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tocsin.app.export import to_markdown
from tocsin.app.ports import IncidentFilter
from tocsin.app.views import incident_json
from tocsin.cli import render
from tocsin.cli.common import IdArg, JsonOpt, app, handled, out, print_json
from tocsin.core.lifecycle import Status
from tocsin.core.search import search_text

commands = typer.Typer()

_AGO = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_STATUS_HELP = "open, investigating, mitigated, resolved, closed or all (repeatable)."


class ExportFormat(StrEnum):
    JSON = "json"
    MARKDOWN = "markdown"


def parse_since(text: str, now: datetime) -> datetime:
    """'2h', '7d', '30m', '1w', or an ISO date or time (UTC if no zone is given)."""
    match = _AGO.match(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is neither an age like 2h or 7d nor an ISO date like 2026-11-01",
            param_hint="--since",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_statuses(values: list[str]) -> tuple[Status, ...]:
    statuses: set[Status] = set()
    for value in values:
        v = value.strip().lower()
        if v == "all":
            return ()
        if v == "open":
            statuses |= {Status.INVESTIGATING, Status.MITIGATED}
            continue
        try:
            statuses.add(Status(v))
        except ValueError:
            raise typer.BadParameter(
                f"{value!r}; use {_STATUS_HELP}", param_hint="--status"
            ) from None
    return tuple(sorted(statuses))


@commands.command("list")
@handled
def list_(
    status: Annotated[list[str] | None, typer.Option(help=_STATUS_HELP)] = None,
    severity: Annotated[list[str] | None, typer.Option(help="Severity key (repeatable).")] = None,
    service: Annotated[str | None, typer.Option(help="Only incidents affecting it.")] = None,
    since: Annotated[str | None, typer.Option(help="Declared since: 2h, 7d or a date.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    search: Annotated[
        str | None,
        typer.Option(help="Text in the title, an update, a note, a mitigation or a label."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List incidents, newest first."""
    service_ = app().incidents
    keys = tuple(service_.severities.get(k).key for k in severity or ())
    query = IncidentFilter(
        statuses=parse_statuses(status or ["all"]),
        severities=keys,
        service=service,
        since=parse_since(since, datetime.now(UTC)) if since else None,
        limit=limit,
        offset=offset,
        text=search_text(search),
    )
    page = service_.find(query)
    if as_json:
        items = [incident_json(i) for i in page.items]
        print_json({"items": items, "total": page.total, "limit": limit, "offset": offset})
    else:
        render.incident_list(page.items, page.total)


@commands.command()
@handled
def status(as_json: JsonOpt = False) -> None:
    """The open incidents, most severe first."""
    service_ = app().incidents
    page = service_.find(IncidentFilter(statuses=(Status.INVESTIGATING, Status.MITIGATED)))
    items = sorted(page.items, key=lambda i: (service_.severities.rank(i.severity), -i.number))
    if as_json:
        print_json({"open": [incident_json(i) for i in items], "total": page.total})
        return
    if not items:
        out.print("[green]No open incidents.[/green] Declare one with `tocsin declare`.")
        return
    render.incident_list(items, page.total)


@commands.command()
@handled
def show(incident: IdArg, as_json: JsonOpt = False) -> None:
    """An incident's header and timeline."""
    service_ = app().incidents
    found = service_.get(incident)
    entries = service_.timeline(incident)
    if as_json:
        print_json(incident_json(found, entries))
        return
    render.incident_header(found)
    out.print()
    render.timeline(entries)


@commands.command()
@handled
def timeline(incident: IdArg, as_json: JsonOpt = False) -> None:
    """An incident's timeline, oldest first."""
    entries = app().incidents.timeline(incident)
    if as_json:
        print_json([e.to_dict() for e in entries])
    else:
        render.timeline(entries)


@commands.command()
@handled
def export(
    incident: IdArg,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.MARKDOWN,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Export an incident with its timeline as JSON or Markdown."""
    service_ = app().incidents
    found = service_.get(incident)
    entries = service_.timeline(incident)
    if fmt is ExportFormat.JSON or as_json:
        text = json.dumps(incident_json(found, entries), indent=2, ensure_ascii=False) + "\n"
    else:
        text = to_markdown(found, entries, service_.severities.get(found.severity))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"[green]✔[/green] wrote {output}")
