"""Alerts as every source is reduced to them: one model, whatever sent it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class AlertAction(StrEnum):
    """What the sender asks for. Most sources only trigger and resolve."""

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


@dataclass(frozen=True, slots=True)
class AlertIn:
    """One alert as a source parser produces it; nothing stored yet.

    `dedup_key` identifies the alert across repeats (Alertmanager's fingerprint, PagerDuty's
    dedup_key, CloudWatch's alarm ARN or name). `severity` is the source's own word
    (critical, warning, …): routing maps it to an incident severity.
    """

    source: str
    dedup_key: str
    action: AlertAction
    summary: str
    severity: str | None = None
    component: str | None = None
    group: str | None = None
    alert_class: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    source_url: str | None = None

    @property
    def status(self) -> AlertStatus:
        return AlertStatus.RESOLVED if self.action is AlertAction.RESOLVE else AlertStatus.FIRING

    @property
    def runbook_url(self) -> str | None:
        return self.annotations.get("runbook_url") or self.annotations.get("runbook")


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """Where a payload is wrong (`alerts[3].labels`) and what was expected."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parser's result: the good alerts, and a problem per bad one. One bad alert in a
    batch never loses the good ones."""

    alerts: list[AlertIn] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
