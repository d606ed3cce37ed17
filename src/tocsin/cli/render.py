"""Rich views of incidents for people; `--json` bypasses all of this."""

from __future__ import annotations

from datetime import datetime

from rich.markup import escape
from rich.table import Table

from tocsin.app.incidents import Outcome
from tocsin.cli.common import out
from tocsin.core.incident import Incident
from tocsin.core.timeline import EntryKind, TimelineEntry

STATUS_STYLE = {
    "investigating": "bold red",
    "mitigated": "yellow",
    "resolved": "green",
    "closed": "dim",
}


def when(moment: datetime | None) -> str:
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def outcome(result: Outcome, done: str) -> None:
    incident = result.incident
    out.print(f"[green]✔[/green] {incident.id} {escape(done)}")
    if result.message:
        out.print("\nMessage, ready to paste:\n", style="dim")
        out.print(result.message, markup=False)


def incident_header(incident: Incident) -> None:
    style = STATUS_STYLE.get(incident.status.value, "")
    out.print(f"[bold]{incident.id}[/bold]  {escape(incident.title)}")
    rows = [
        ("Severity", incident.severity),
        ("Status", f"[{style}]{incident.status.value}[/{style}]"),
        ("Declared", f"{when(incident.declared_at)} by {escape(incident.declared_by)}"),
        ("Acknowledged", _ack(incident)),
        ("Mitigated", when(incident.mitigated_at)),
        ("Resolved", when(incident.resolved_at)),
        ("Closed", when(incident.closed_at)),
        ("Roles", escape(", ".join(f"{r}: {p}" for r, p in sorted(incident.roles.items())))),
        ("Services", escape(", ".join(incident.scope.services))),
        ("Tenants", escape(_tenants(incident))),
        ("Endpoints", escape(", ".join(incident.scope.endpoints))),
        ("Impact", escape(incident.impact.summary)),
        ("Root cause", escape(incident.root_cause or "")),
        ("Fix", escape(incident.fix or "")),
        ("Labels", escape(", ".join(incident.labels))),
        ("Post-mortem due", when(incident.postmortem_due) if incident.postmortem_due else ""),
    ]
    table = Table.grid(padding=(0, 2))
    for name, value in rows:
        if value:
            table.add_row(f"[dim]{name}[/dim]", value)
    out.print(table)


def timeline(entries: list[TimelineEntry]) -> None:
    table = Table(show_edge=False, box=None, padding=(0, 1))
    for column in ("#", "time (UTC)", "kind", "actor", "text"):
        table.add_column(column, overflow="fold")
    for e in entries:
        text = e.text
        if e.kind is EntryKind.MESSAGE:
            text = text.splitlines()[0] + " …" if "\n" in text else text
        table.add_row(str(e.seq), e.at.strftime("%m-%d %H:%M:%S"), e.kind.value, e.actor, text)
    out.print(table, markup=False)


def incident_list(items: list[Incident], total: int) -> None:
    if not items:
        out.print("No incidents match.")
        return
    table = Table(show_edge=False, box=None, padding=(0, 1))
    for column in ("id", "severity", "status", "declared (UTC)", "ack", "title"):
        table.add_column(column, overflow="fold")
    for i in items:
        style = STATUS_STYLE.get(i.status.value, "")
        table.add_row(
            i.id,
            i.severity,
            f"[{style}]{i.status.value}[/{style}]",
            i.declared_at.strftime("%Y-%m-%d %H:%M"),
            "yes" if i.acknowledged_at else "[red]no[/red]",
            escape(i.title),
        )
    out.print(table)
    if total > len(items):
        out.print(f"[dim]{len(items)} of {total} shown; use --limit and --offset for more[/dim]")


def _ack(incident: Incident) -> str:
    if incident.acknowledged_at is None:
        return "[red]not yet[/red]"
    return f"{when(incident.acknowledged_at)} by {escape(incident.acknowledged_by or '')}"


def _tenants(incident: Incident) -> str:
    if incident.scope.all_tenants:
        return "all tenants"
    return ", ".join(incident.scope.tenants)
