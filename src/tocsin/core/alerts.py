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


MAX_PROBLEMS = 100  # problems listed in one answer; the rest are counted


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

    def __post_init__(self) -> None:
        """An answer lists the first MAX_PROBLEMS problems and counts the rest: 300,000 bad
        alerts in one body get a short answer, not a 30 MB one."""
        extra = len(self.problems) - MAX_PROBLEMS
        if extra > 0:
            del self.problems[MAX_PROBLEMS:]
            self.problems.append(
                FieldProblem("alerts", f"{extra} more problem(s) not listed; fix the ones above")
            )


class Transition(StrEnum):
    NEW = "new"  # first time this dedup key is seen
    REPEAT = "repeat"  # same state again
    RESOLVED = "resolved"  # was firing, now resolved
    REFIRED = "refired"  # was resolved, fires again: a flap
    ACKNOWLEDGED = "acknowledged"
    IGNORED = "ignored"  # acknowledge of an unknown key: accepted and dropped, as PagerDuty does


def transition(current: AlertStatus | None, incoming: AlertIn) -> Transition:
    if incoming.action is AlertAction.ACKNOWLEDGE:
        return Transition.IGNORED if current is None else Transition.ACKNOWLEDGED
    if current is None:
        return Transition.NEW
    if incoming.status is current:
        return Transition.REPEAT
    if incoming.status is AlertStatus.RESOLVED:
        return Transition.RESOLVED
    return Transition.REFIRED


def next_milestone(count: int) -> int:
    """1, 2, 5, 10, 20, 50, 100 …: a storm of N alerts writes about 3·log10(N) timeline
    entries instead of N."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step > count:
                return factor * step
        step *= 10


def top_values(label_counts: dict[str, dict[str, int]], limit: int = 3) -> list[str]:
    """The most common label values across a group, as `name=value (count)`."""
    pairs = [
        (count, name, value)
        for name, values in label_counts.items()
        for value, count in values.items()
    ]
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return [f"{name}={value} ({count})" for count, name, value in pairs[:limit]]
