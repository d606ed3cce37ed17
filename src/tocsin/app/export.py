"""An incident and its timeline as a Markdown report, ready for the post-mortem."""

from __future__ import annotations

from tocsin.app.messages import duration_minutes
from tocsin.core.incident import Incident
from tocsin.core.severity import Severity
from tocsin.core.timeline import EntryKind, TimelineEntry


def _when(entry: TimelineEntry) -> str:
    return entry.at.strftime("%Y-%m-%d %H:%M")


def to_markdown(incident: Incident, timeline: list[TimelineEntry], severity: Severity) -> str:
    end = incident.resolved_at or incident.updated_at
    scope = incident.scope
    tenants = "all tenants" if scope.all_tenants else ", ".join(scope.tenants) or "—"
    lines = [
        f"# {incident.id}: {incident.title}",
        "",
        f"- **Severity**: {severity.title}",
        f"- **Status**: {incident.status.value}",
        f"- **Declared**: {incident.declared_at:%Y-%m-%d %H:%M} UTC by {incident.declared_by}",
        f"- **Duration**: {duration_minutes(incident, end)} minutes",
        f"- **Services**: {', '.join(scope.services) or '—'}",
        f"- **Tenants**: {tenants}",
        f"- **Endpoints**: {', '.join(scope.endpoints) or '—'}",
        f"- **Roles**: {', '.join(f'{r}: {p}' for r, p in sorted(incident.roles.items())) or '—'}",
        f"- **Labels**: {', '.join(incident.labels) or '—'}",
        f"- **Post-mortem due**: {_due(incident)}",
        "",
        "## Impact",
        f"- Summary: {incident.impact.summary or '—'}",
        f"- Customer impact: {_yes_no(incident.impact.customer_impact)}",
        f"- Users affected: {incident.impact.users_affected or 'unknown'}",
        f"- Data loss: {incident.impact.data_loss or 'none'}",
        "",
        "## Root Cause",
        incident.root_cause or "Not yet identified.",
        "",
        "## Mitigation",
        incident.mitigation or "None recorded.",
        "",
        "## Fix",
        incident.fix or "None recorded.",
        "",
        "## Timeline (UTC)",
        *(_timeline_line(e) for e in timeline if e.kind is not EntryKind.MESSAGE),
        "",
    ]
    return "\n".join(lines)


def _timeline_line(entry: TimelineEntry) -> str:
    text = entry.text.replace("\n", " ")
    return f"- {_when(entry)} — {entry.kind.value.replace('_', ' ')} ({entry.actor}): {text}"


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _due(incident: Incident) -> str:
    if incident.postmortem_due is None:
        return "—"
    return f"{incident.postmortem_due:%Y-%m-%d %H:%M} UTC"
