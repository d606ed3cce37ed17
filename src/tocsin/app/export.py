"""An incident and its timeline as a Markdown report, ready for the post-mortem.

Everything people typed goes through `inline` or `block`, which escape Markdown: a title, a
note or a root cause cannot add a heading, a list item, a link or HTML to the report."""

from __future__ import annotations

import re

from tocsin.app.messages import duration_minutes
from tocsin.core.incident import Incident
from tocsin.core.scope import UNKNOWN
from tocsin.core.severity import Severity
from tocsin.core.timeline import EntryKind, TimelineEntry

# Characters that start inline Markdown (emphasis, code, links, HTML, entities, tables,
# strikethrough, heading closers) anywhere in a line.
_INLINE = re.compile(r"([\\`*_\[\]<>&|~#])")
# What starts a block at the beginning of a line: list items, quotes, setext underlines and
# thematic breaks; and ordered list items ("1." or "1)").
_BLOCK_START = re.compile(r"^[-+=>]")
_ORDERED = re.compile(r"^(\d+)(?=[.)])")
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def inline(text: str) -> str:
    """`text` on one line, escaped."""
    return _INLINE.sub(r"\\\1", " ".join(_LINE_BREAKS.sub(" ", text).split()))


def block(text: str) -> str:
    """`text` escaped line by line; its line breaks kept as hard breaks, blank lines as
    paragraph breaks."""
    lines = [_escape_line(line) for line in _LINE_BREAKS.split(text.strip())]
    out = []
    for index, line in enumerate(lines):
        follows = index + 1 < len(lines) and lines[index + 1] != ""
        out.append(line + "\\" if line and follows else line)
    return "\n".join(out)


def _escape_line(line: str) -> str:
    escaped = _INLINE.sub(r"\\\1", line.strip())
    return _ORDERED.sub(r"\1\\", _BLOCK_START.sub(r"\\\g<0>", escaped))


def _when(entry: TimelineEntry) -> str:
    return entry.at.strftime("%Y-%m-%d %H:%M")


def to_markdown(incident: Incident, timeline: list[TimelineEntry], severity: Severity) -> str:
    end = incident.resolved_at or incident.updated_at
    scope = incident.scope
    tenants = "all tenants" if scope.all_tenants else ", ".join(scope.tenants) or "—"
    impact = incident.impact
    lines = [
        f"# {incident.id}: {inline(incident.title)}",
        "",
        f"- **Severity**: {inline(severity.title)}",
        f"- **Status**: {incident.status.value}",
        f"- **Declared**: {incident.declared_at:%Y-%m-%d %H:%M} UTC by "
        f"{inline(incident.declared_by)}",
        f"- **Duration**: {duration_minutes(incident, end)} minutes",
        f"- **Services**: {inline(', '.join(scope.services) or '—')}",
        f"- **Tenants**: {inline(tenants)}",
        f"- **Endpoints**: {inline(', '.join(scope.endpoints) or '—')}",
        f"- **Roles**: {inline(_roles(incident) or '—')}",
        f"- **Labels**: {inline(', '.join(incident.labels) or '—')}",
        f"- **Post-mortem due**: {_due(incident)}",
        "",
        "## Impact",
        f"- Summary: {inline(impact.summary or '—')}",
        f"- Customer impact: {_yes_no(impact.customer_impact)}",
        f"- Users affected: {inline(impact.users_affected or UNKNOWN)}",
        f"- Data loss: {inline(impact.data_loss or UNKNOWN)}",
        "",
        "## Root Cause",
        block(incident.root_cause or "Not yet identified."),
        "",
        "## Mitigation",
        block(incident.mitigation or "None recorded."),
        "",
        "## Fix",
        block(incident.fix or "None recorded."),
        "",
        "## Timeline (UTC)",
        *(_timeline_line(e) for e in timeline if e.kind is not EntryKind.MESSAGE),
        "",
    ]
    return "\n".join(lines)


def _timeline_line(entry: TimelineEntry) -> str:
    kind = entry.kind.value.replace("_", " ")
    return f"- {_when(entry)} — {kind} ({inline(entry.actor)}): {inline(entry.text)}"


def _roles(incident: Incident) -> str:
    return ", ".join(f"{role}: {person}" for role, person in sorted(incident.roles.items()))


def _yes_no(value: bool | None) -> str:
    return UNKNOWN if value is None else ("yes" if value else "no")


def _due(incident: Incident) -> str:
    if incident.postmortem_due is None:
        return "—"
    return f"{incident.postmortem_due:%Y-%m-%d %H:%M} UTC"
