"""Timeline entries: the append-only log every incident change is written to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class EntryKind(StrEnum):
    DECLARED = "declared"
    ACKNOWLEDGED = "acknowledged"
    STATUS_UPDATE = "status_update"
    SEVERITY_CHANGED = "severity_changed"
    ROLE_ASSIGNED = "role_assigned"
    SCOPE_CHANGED = "scope_changed"
    IMPACT_CHANGED = "impact_changed"
    LABELS_CHANGED = "labels_changed"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    NOTE = "note"
    MESSAGE = "message"
    ALERTS = "alerts"  # alerts grouped into the incident (a summary, not one entry each)
    ESCALATION = "escalation"  # started (the policy frozen), a step fired, a breach, stopped
    PAGE = "page"  # one attempt to reach one person by one method, and what came of it
    COMMAND = "command"  # a runbook step run (or skipped): the command, who, exit, output


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One immutable fact about an incident. `seq` is 1, 2, 3 ... per incident."""

    seq: int
    kind: EntryKind
    at: datetime
    actor: str
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind.value,
            "at": iso(self.at),
            "actor": self.actor,
            "text": self.text,
            "data": self.data,
        }


def utc(moment: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are refused, never guessed."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must carry a timezone")
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, or None."""
    if moment is None:
        return None
    return utc(moment).isoformat().replace("+00:00", "Z")


def parse_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
