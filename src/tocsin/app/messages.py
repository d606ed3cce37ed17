"""The seeds' messages: default templates and the context they are rendered with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tocsin.app.views import incident_json
from tocsin.core.incident import Incident
from tocsin.core.severity import Severity

ANNOUNCEMENT = "announcement"
UPDATE = "update"
MITIGATED = "mitigated"
RESOLVED = "resolved"

DEFAULT_TEMPLATES: dict[str, str] = {
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
Mitigated by {{ incident.mitigation }}. Service restored at {{ incident.mitigated_at | utc }}. \
Investigating root cause.""",
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
        "postmortem_required": severity.postmortem_required,
    }


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
