"""What the alert store keeps: rows as plain dataclasses the use cases work on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tocsin.core.alerts import AlertStatus
from tocsin.core.routing import DeclareMode


@dataclass(frozen=True, slots=True)
class Integration:
    name: str
    source: str
    key: str
    created_at: datetime
    rotated_at: datetime | None = None


@dataclass(slots=True)
class AlertRow:
    """One stored alert; `id` is 0 until inserted."""

    integration: str
    dedup_key: str
    status: AlertStatus
    summary: str
    source_severity: str | None
    severity: str
    service: str
    group_key: str
    labels: dict[str, str]
    annotations: dict[str, str]
    source_url: str | None
    first_seen: datetime
    last_seen: datetime
    starts_at: datetime | None
    ends_at: datetime | None
    count: int = 1
    flaps: int = 0
    incident: int | None = None
    suppressed_by: str | None = None
    acknowledged: bool = False
    id: int = 0


@dataclass(slots=True)
class AlertGroup:
    """Every alert with the same group key, summarised: storms write this, not N entries."""

    group_key: str
    service: str
    first_at: datetime
    last_at: datetime
    incident: int | None = None
    alerts: int = 0
    events: int = 0
    firing: int = 0
    label_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    next_milestone: int = 1
    declare_mode: DeclareMode = DeclareMode.SUGGEST  # the last routing decision's
    firing_since: datetime | None = None  # when the firing count last rose from 0
    dismissed_at: datetime | None = None  # dismissed as a suggestion, until it fires anew
    dismissed_by: str | None = None
    is_new: bool = False


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A group a person is asked to declare an incident for: routed with `suggest`, no
    open incident, not dismissed, and `worst`, its most severe firing unsuppressed alert."""

    group: AlertGroup
    worst: AlertRow


@dataclass(frozen=True, slots=True)
class Dismissal:
    """Who stopped a group from being suggested, and when."""

    group_key: str
    service: str
    dismissed_at: datetime
    dismissed_by: str
