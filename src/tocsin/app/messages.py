"""The seeds' messages: default templates and the context they are rendered with."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tocsin.app.views import incident_json
from tocsin.core.incident import Incident
from tocsin.core.severity import Severity

ANNOUNCEMENT = "announcement"
ACKNOWLEDGED = "acknowledged"
UPDATE = "update"
MITIGATED = "mitigated"
RESOLVED = "resolved"
KINDS = (ANNOUNCEMENT, ACKNOWLEDGED, UPDATE, MITIGATED, RESOLVED)
"""Every message a change may render, in the order of an incident's life."""

# The ModAx runbook (preset p1-p4) writes its messages as blocks: a headline, then
# `Field: value` lines (its "Template:" and "Update Status" blocks). It has no words for an
# acknowledgement, so acknowledging renders nothing; update and mitigated follow its blocks.
P1_P4: dict[str, str] = {
    ANNOUNCEMENT: """\
🚨 INCIDENT: {{ incident.title }}
Severity: {{ severity.title }}
Impact: {{ incident.impact.summary or "Being assessed" }}
Status: {{ incident.status | capitalize }}
Time: {{ incident.declared_at | utc }}
{%- if incident.scope.services %}
Services: {{ incident.scope.services | join(", ") }}{% endif %}
Ref: {{ incident.id }}""",
    UPDATE: """\
🔄 UPDATE: {{ incident.title }} ({{ incident.id }})
Severity: {{ severity.title }}
Status: {{ incident.status | capitalize }}
{{ text }}
Time: {{ now | utc }}""",
    MITIGATED: """\
🛠️ MITIGATED: {{ incident.title }} ({{ incident.id }})
Severity: {{ severity.title }}
Status: Mitigated
Action: {{ incident.mitigation }}
Time: {{ incident.mitigated_at | utc }}""",
    RESOLVED: """\
✅ RESOLVED: {{ incident.title }}
Duration: {{ duration_minutes }} minute{{ '' if duration_minutes == 1 else 's' }}
Root Cause: {{ incident.root_cause or "Under investigation" }}
Fix Applied: {{ incident.fix or "Not recorded" }}
Next Steps: {% if incident.postmortem_due -%}
Post-mortem scheduled for {{ incident.postmortem_due | utc }}
{%- else -%}
No post-mortem required for {{ severity.key }}{% endif %}
Ref: {{ incident.id }}""",
}

# The SaaS runbook (preset sev1-sev3) says one sentence at each step: "Investigating [alarm
# name / user report].", "Mitigated by [action]. Service restored at [time]. Investigating
# root cause.", "Resolved. Root cause was [X]. Fix deployed at [time]." Its announcement is
# its severity table's row and its triage question (one tenant or all?); an update is what
# the responder wrote. Each ends with the reference to the incident.
SEV1_SEV3: dict[str, str] = {
    ANNOUNCEMENT: """\
{{ severity.title }}: {{ incident.title }}
{{ (severity.description or severity.label) | trim(".") }}.
{%- if severity.response_target %} Respond within {{ severity.response_target }}.{% endif %}
{%- if incident.impact.summary %}
Impact: {{ incident.impact.summary }}{% endif %}
Scope: services {{ incident.scope.services | join(", ") or "not known yet" }}; tenants \
{% if incident.scope.all_tenants %}all{% else %}{{ incident.scope.tenants | join(", ") \
or "not known yet" }}{% endif %}
Ref: {{ incident.id }}""",
    ACKNOWLEDGED: """\
Investigating {{ incident.title }}.
Ref: {{ incident.id }}""",
    UPDATE: """\
{{ text }}
Ref: {{ incident.id }} ({{ incident.status }})""",
    MITIGATED: """\
Mitigated by {{ incident.mitigation }}. Service restored at {{ incident.mitigated_at | utc }}. \
Investigating root cause.
Ref: {{ incident.id }}""",
    RESOLVED: """\
Resolved. \
{% if incident.root_cause %}Root cause was {{ incident.root_cause }}.\
{%- else %}Root cause not identified yet.{% endif %} \
{% if incident.fix %}Fix deployed at {{ incident.resolved_at | utc }}.\
{%- else %}No fix recorded.{% endif %}
{%- if incident.postmortem_due %}
Post-mortem due by {{ incident.postmortem_due | utc }}.{% endif %}
Ref: {{ incident.id }}""",
}

MESSAGE_SETS: dict[str, dict[str, str]] = {"p1-p4": P1_P4, "sev1-sev3": SEV1_SEV3}
"""Each preset's built-in messages, by the name `messages:` takes in tocsin.yaml."""

DEFAULT_TEMPLATES = P1_P4


def duration_minutes(incident: Incident, now: datetime) -> int:
    """Whole minutes from declaration to resolution (or to now while unresolved)."""
    end = incident.resolved_at or now
    return int((end - incident.declared_at).total_seconds() // 60)


def context(incident: Incident, severity: Severity, now: datetime, **extra: Any) -> dict[str, Any]:
    """What templates see: read-only copies, never the aggregate (a template must not be able
    to call `incident.note(...)`)."""
    return {
        "incident": incident_view(incident),
        "severity": severity_view(severity),
        "now": now,
        "duration_minutes": duration_minutes(incident, now),
        **extra,
    }


def incident_view(incident: Incident) -> dict[str, Any]:
    view = incident_json(incident)  # what the API shows, with datetimes for the times
    for key in _TIMES:
        view[key] = getattr(incident, key)
    view["scope"]["all_tenants"] = incident.scope.all_tenants
    return view


def severity_view(severity: Severity) -> dict[str, Any]:
    return {
        "key": severity.key,
        "label": severity.label,
        "emoji": severity.emoji,
        "title": severity.title,
        "description": severity.description,
        "response_target": _spoken(severity.response_target),
        "postmortem_required": severity.postmortem_required,
    }


def _spoken(span: timedelta | None) -> str | None:
    """A duration as people say it: 15 minutes, 1 hour, 1 hour 30 minutes, 2 days."""
    if span is None:
        return None
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    said = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(said) or f"{int(span.total_seconds())} seconds"


_TIMES = (
    "declared_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
    "updated_at",
    "postmortem_due",
    "last_update_at",
)
