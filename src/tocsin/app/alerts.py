"""Alert ingestion: dedup, route, suppress, group into an open incident or declare one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tocsin.app.alert_records import AlertGroup, AlertRow
from tocsin.app.incidents import IncidentService
from tocsin.app.ports import AlertUnitOfWork, Clock
from tocsin.core.alerts import (
    AlertIn,
    AlertStatus,
    FieldProblem,
    Parsed,
    Transition,
    next_milestone,
    top_values,
    transition,
)
from tocsin.core.incident import Incident
from tocsin.core.routing import Decision, DeclareMode, Router
from tocsin.core.scope import Scope
from tocsin.core.silences import MaintenanceWindow, Silence, suppression

MAX_LABEL_VALUES = 20  # distinct values counted per label in a group summary


@dataclass
class IngestResult:
    accepted: int = 0
    problems: list[FieldProblem] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)
    suppressed: int = 0


@dataclass
class _Batch:
    """What one request changes, gathered before anything is written."""

    integration: str
    now: datetime
    silences: list[Silence]
    windows: list[MaintenanceWindow]
    rows: dict[str, AlertRow] = field(default_factory=dict)
    new_keys: set[str] = field(default_factory=set)
    decisions: dict[str, Decision] = field(default_factory=dict)
    acknowledged: set[int] = field(default_factory=set)
    firing_delta: dict[str, int] = field(default_factory=dict)
    drop_unknown_resolves: bool = False


class AlertService:
    def __init__(
        self,
        uow: Callable[[], AlertUnitOfWork],
        clock: Clock,
        router: Callable[[], Router],
        incidents: IncidentService,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._router = router
        self._incidents = incidents

    def ingest(
        self, integration: str, parsed: Parsed, drop_unknown_resolves: bool = False
    ) -> IngestResult:
        """Commit every good alert of the batch in one transaction, then announce changes.

        A resolve for a key never seen is kept as a resolved alert, unless the source says to
        drop it (PagerDuty accepts and drops acknowledge and resolve of unknown keys)."""
        result = IngestResult(problems=list(parsed.problems))
        changed: list[Incident] = []
        with self._uow() as uow:
            batch = self._start(uow, integration, parsed.alerts)
            batch.drop_unknown_resolves = drop_unknown_resolves
            router = self._router()
            for alert in parsed.alerts:
                result.accepted += self._apply(batch, router, alert)
            changed = self._group(uow, batch, result)  # sets each row's incident first
            self._write(uow, batch)
            uow.commit()
        for incident in changed:
            self._incidents.publish(incident)
        return result

    # -- per alert -----------------------------------------------------------------------

    def _start(self, uow: AlertUnitOfWork, integration: str, alerts: list[AlertIn]) -> _Batch:
        now = self._clock.now()
        batch = _Batch(integration, now, uow.alerts.silences(now), uow.alerts.windows(now))
        batch.rows = uow.alerts.by_keys(integration, (a.dedup_key for a in alerts))
        return batch

    def _apply(self, batch: _Batch, router: Router, alert: AlertIn) -> int:
        current = batch.rows.get(alert.dedup_key)
        step = transition(current.status if current else None, alert)
        unknown_resolve = current is None and alert.status is AlertStatus.RESOLVED
        if step is Transition.IGNORED or (unknown_resolve and batch.drop_unknown_resolves):
            return 1
        decision = router.decide(alert)
        was_firing = current is not None and current.status is AlertStatus.FIRING
        if current is None:
            current = self._new_row(batch, alert, decision)
        else:
            _update_row(current, alert, step, batch.now)
        delta = (current.status is AlertStatus.FIRING) - was_firing
        batch.firing_delta[current.group_key] = batch.firing_delta.get(current.group_key, 0) + delta
        if step is Transition.ACKNOWLEDGED:
            current.acknowledged = True
            if current.incident is not None:
                batch.acknowledged.add(current.incident)
        current.suppressed_by = suppression(
            alert.labels, decision.service, batch.now, batch.silences, batch.windows
        )
        batch.decisions[alert.dedup_key] = decision
        return 1

    def _new_row(self, batch: _Batch, alert: AlertIn, decision: Decision) -> AlertRow:
        row = AlertRow(
            batch.integration,
            alert.dedup_key,
            alert.status,
            alert.summary,
            alert.severity,
            decision.severity,
            decision.service,
            decision.group_key,
            dict(alert.labels),
            dict(alert.annotations),
            alert.source_url,
            batch.now,
            batch.now,
            alert.starts_at,
            alert.ends_at,
        )
        batch.rows[alert.dedup_key] = row
        batch.new_keys.add(alert.dedup_key)
        return row

    def _write(self, uow: AlertUnitOfWork, batch: _Batch) -> None:
        touched = [batch.rows[k] for k in batch.decisions]
        uow.alerts.insert_alerts([r for r in touched if r.dedup_key in batch.new_keys])
        uow.alerts.update_alerts([r for r in touched if r.dedup_key not in batch.new_keys])

    # -- per group -----------------------------------------------------------------------

    def _group(self, uow: AlertUnitOfWork, batch: _Batch, result: IngestResult) -> list[Incident]:
        by_group: dict[str, list[AlertRow]] = {}
        for key in batch.decisions:
            row = batch.rows[key]
            by_group.setdefault(row.group_key, []).append(row)
            result.suppressed += row.suppressed_by is not None
        changed: dict[int, Incident] = {}
        for group_key, rows in by_group.items():
            incident = self._settle_group(uow, batch, group_key, rows, result)
            if incident is not None:
                changed[incident.number] = incident
        for number in batch.acknowledged:
            incident = changed.get(number) or uow.incidents.get(number)
            if incident.status.is_open and incident.acknowledged_at is None:
                incident.acknowledge(batch.now, f"{batch.integration} (alert acknowledged)")
                uow.incidents.save(incident)
                changed[number] = incident
        return list(changed.values())

    def _settle_group(
        self,
        uow: AlertUnitOfWork,
        batch: _Batch,
        group_key: str,
        rows: list[AlertRow],
        result: IngestResult,
    ) -> Incident | None:
        decision = batch.decisions[rows[0].dedup_key]
        group = uow.alerts.group(group_key) or AlertGroup(
            group_key, decision.service, batch.now, batch.now, is_new=True
        )
        _count(group, rows, batch)
        incident = self._open_incident(uow, group)
        pages = [r for r in rows if r.status is AlertStatus.FIRING and r.suppressed_by is None]
        if incident is None and pages and decision.declare is DeclareMode.AUTO:
            incident = self._declare(uow, batch, group, pages)
            uow.incidents.add(incident)  # one INSERT, the first summary included
            result.declared.append(incident.id)
            # Earlier alerts of the group (suppressed, or kept as suggestions) join it too.
            if not group.is_new:
                uow.alerts.link_group(group_key, incident.number)
        elif incident is not None:
            self._summarise(incident, group, batch)
            result.attached.append(incident.id)
        if incident is not None:
            group.incident = incident.number
            for row in rows:
                row.incident = incident.number  # written with the rows, after this
            uow.incidents.save(incident)
        uow.alerts.save_group(group)
        return incident

    def _open_incident(self, uow: AlertUnitOfWork, group: AlertGroup) -> Incident | None:
        if group.incident is None:
            return None
        incident = uow.incidents.get(group.incident)
        return incident if incident.status.is_open else None

    def _declare(
        self, uow: AlertUnitOfWork, batch: _Batch, group: AlertGroup, pages: list[AlertRow]
    ) -> Incident:
        severities = self._incidents.severities
        worst = min(pages, key=lambda r: severities.rank(r.severity))
        outcome = self._incidents.draft_within(
            uow,
            f"{batch.integration} (alert)",
            worst.summary[:200],
            worst.severity,
            Scope(services=(group.service,)),
            labels=["alert"],
        )
        group.next_milestone = 1
        self._summarise(outcome.incident, group, batch)
        return outcome.incident

    def _summarise(self, incident: Incident, group: AlertGroup, batch: _Batch) -> None:
        """A timeline entry at 1, 2, 5, 10, 20, 50 … alerts, not one per alert."""
        if group.alerts < group.next_milestone:
            return
        tops = top_values(group.label_counts)
        text = (
            f"{group.alerts} alert(s) for {group.service}, {group.firing} firing, "
            f"{group.events} event(s) since {group.first_at:%Y-%m-%d %H:%M:%S} UTC"
            + (f"; top: {', '.join(tops)}" if tops else "")
        )
        data = {
            "group_key": group.group_key,
            "alerts": group.alerts,
            "events": group.events,
            "firing": group.firing,
            "first_at": group.first_at.isoformat(),
            "last_at": group.last_at.isoformat(),
            "top": tops,
        }
        incident.record_alerts(batch.now, f"{batch.integration} (alerts)", text, data)
        group.next_milestone = next_milestone(group.alerts)


def _update_row(row: AlertRow, alert: AlertIn, step: Transition, now: datetime) -> None:
    row.count += 1
    row.last_seen = now
    if step is Transition.REFIRED:
        row.flaps += 1
    if step in (Transition.RESOLVED, Transition.REFIRED):
        row.status = alert.status
        row.ends_at = alert.ends_at
    if alert.summary:
        row.summary = alert.summary
    row.labels = dict(alert.labels) or row.labels
    row.annotations = dict(alert.annotations) or row.annotations


def _count(group: AlertGroup, rows: list[AlertRow], batch: _Batch) -> None:
    for row in rows:
        new = row.dedup_key in batch.new_keys
        group.events += 1
        group.alerts += new
        if new:
            _count_labels(group.label_counts, row.labels)
    group.last_at = batch.now
    group.firing = max(0, group.firing + batch.firing_delta.get(group.group_key, 0))


def _count_labels(counts: dict[str, dict[str, int]], labels: dict[str, str]) -> None:
    for name, value in labels.items():
        values = counts.setdefault(name, {})
        if value in values or len(values) < MAX_LABEL_VALUES:
            values[value] = values.get(value, 0) + 1
