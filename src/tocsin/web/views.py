"""What the templates show about an incident: its severity, age and response state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.app.alert_records import Suggestion
from tocsin.core.errors import UnknownSeverity
from tocsin.core.incident import Incident
from tocsin.core.lifecycle import allowed_actions
from tocsin.core.severity import Severity, SeverityModel
from tocsin.core.timeline import EntryKind
from tocsin.web.format import severity_class

ENTRY_LABELS: dict[EntryKind, str] = {
    EntryKind.DECLARED: "Declared",
    EntryKind.ACKNOWLEDGED: "Acknowledged",
    EntryKind.STATUS_UPDATE: "Update",
    EntryKind.SEVERITY_CHANGED: "Severity",
    EntryKind.ROLE_ASSIGNED: "Role",
    EntryKind.SCOPE_CHANGED: "Scope",
    EntryKind.IMPACT_CHANGED: "Impact",
    EntryKind.LABELS_CHANGED: "Labels",
    EntryKind.MITIGATED: "Mitigated",
    EntryKind.RESOLVED: "Resolved",
    EntryKind.REOPENED: "Reopened",
    EntryKind.CLOSED: "Closed",
    EntryKind.NOTE: "Note",
    EntryKind.MESSAGE: "Message",
    EntryKind.ALERTS: "Alerts",
    EntryKind.ESCALATION: "Escalation",
    EntryKind.PAGE: "Page",
    EntryKind.COMMAND: "Command",
}


def entry_label(kind: EntryKind) -> str:
    """A kind's label; a kind added later without one still renders, as its own word."""
    return ENTRY_LABELS.get(kind) or kind.value.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class IncidentView:
    incident: Incident
    severity: Severity | None  # None: a key since removed from tocsin.yaml
    css: str
    age: timedelta
    now: datetime

    @property
    def severity_title(self) -> str:
        """'🔴 P1 (Critical)', as the messages name it."""
        return self.severity.title if self.severity else self.incident.severity

    @property
    def severity_name(self) -> str:
        """'P1 (Critical)': for badges, whose colour already says what the emoji would."""
        sev = self.severity
        return f"{sev.key} ({sev.label})" if sev else self.incident.severity

    @property
    def target(self) -> timedelta | None:
        return self.severity.response_target if self.severity else None

    @property
    def response(self) -> str:
        """'acknowledged', 'overdue' (past the response target) or 'waiting'."""
        if self.incident.acknowledged_at is not None:
            return "acknowledged"
        if self.target is not None and self.age > self.target and self.incident.status.is_open:
            return "overdue"
        return "waiting"

    @property
    def time_to_ack(self) -> timedelta | None:
        acked = self.incident.acknowledged_at
        return None if acked is None else acked - self.incident.declared_at

    @property
    def actions(self) -> list[str]:
        return allowed_actions(self.incident.status)


def view(incident: Incident, model: SeverityModel, now: datetime) -> IncidentView:
    try:
        severity: Severity | None = model.get(incident.severity)
    except UnknownSeverity:
        severity = None
    end = incident.resolved_at or incident.closed_at or now
    css = severity_class(model, incident.severity)
    return IncidentView(incident, severity, css, end - incident.declared_at, now)


@dataclass(frozen=True, slots=True)
class SeverityGroup:
    title: str
    css: str
    items: list[IncidentView]


def by_severity(views: list[IncidentView], model: SeverityModel) -> list[SeverityGroup]:
    """Incidents under each severity, most severe first; empty severities are kept."""
    groups = {
        s.key: SeverityGroup(f"{s.key} ({s.label})", severity_class(model, s.key), [])
        for s in model.severities
    }
    for v in views:
        key = v.severity.key if v.severity else v.incident.severity
        groups.setdefault(key, SeverityGroup(key, v.css, [])).items.append(v)
    return list(groups.values())


@dataclass(frozen=True, slots=True)
class SuggestionView:
    """A suggested incident as the dashboard shows it: its worst alert's severity, and how
    long the group has been firing."""

    suggestion: Suggestion
    severity_name: str
    css: str
    since: datetime
    firing_for: timedelta


def suggestion_view(s: Suggestion, model: SeverityModel, now: datetime) -> SuggestionView:
    key = s.worst.severity
    try:
        found = model.get(key)
        name = f"{found.key} ({found.label})"
    except UnknownSeverity:
        name = key
    since = s.group.firing_since or s.group.first_at
    return SuggestionView(s, name, severity_class(model, key), since, now - since)
