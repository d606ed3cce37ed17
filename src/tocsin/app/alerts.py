"""Alert ingestion: dedup, route, suppress, group into an open incident or declare one.

Several requests' batches may share one transaction (group commit, see alert_writer.py):
`_Tx` holds what the transaction has read and changed, so a group, an incident or an alert
touched by several batches is read once and written once, at the end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from tocsin.app import messages
from tocsin.app.alert_incidents import all_resolved, declare_for_group, summarise
from tocsin.app.alert_records import AlertGroup, AlertRow
from tocsin.app.alert_writer import IngestWriter, Job
from tocsin.app.errors import WriteConflict
from tocsin.app.incidents import IncidentService
from tocsin.app.ports import Clock, UnitOfWork
from tocsin.core.alerts import (
    AlertAction,
    AlertIn,
    AlertStatus,
    FieldProblem,
    Parsed,
    Transition,
    transition,
)
from tocsin.core.errors import ConcurrentChange
from tocsin.core.incident import Incident, format_id
from tocsin.core.routing import Decision, DeclareMode, Router
from tocsin.core.silences import MaintenanceWindow, Silence, suppression

log = logging.getLogger(__name__)

MAX_LABEL_VALUES = 20  # distinct values counted per label in a group summary
CONFLICT_RETRIES = 8  # runs of one ingestion transaction that lost races before giving up


@dataclass
class IngestResult:
    accepted: int = 0
    problems: list[FieldProblem] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)
    suppressed: int = 0


@dataclass
class _Tx:
    """What one transaction has read and will write, shared by its batches."""

    now: datetime
    silences: list[Silence]
    windows: list[MaintenanceWindow]
    rows: dict[tuple[str, str], AlertRow] = field(default_factory=dict)
    new_rows: dict[tuple[str, str], None] = field(default_factory=dict)  # ordered set
    changed_rows: dict[tuple[str, str], None] = field(default_factory=dict)
    groups: dict[str, AlertGroup] = field(default_factory=dict)
    read_groups: set[str] = field(default_factory=set)  # looked up, found or not
    changed_groups: dict[str, None] = field(default_factory=dict)
    incidents: dict[int, Incident] = field(default_factory=dict)
    open: dict[int, bool] = field(default_factory=dict)  # status read, incident not loaded
    touched: dict[int, None] = field(default_factory=dict)  # incidents to save
    decisions: dict[int, Decision] = field(default_factory=dict)  # by id() of the AlertIn


@dataclass
class _Batch:
    """What one request changes."""

    integration: str
    drop_unknown_resolves: bool
    new_keys: set[str] = field(default_factory=set)
    decisions: dict[str, Decision] = field(default_factory=dict)
    acknowledged: set[int] = field(default_factory=set)
    firing_delta: dict[str, int] = field(default_factory=dict)


class AlertService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        router: Callable[[], Router],
        incidents: IncidentService,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._router = router
        self._incidents = incidents
        self.writer = IngestWriter(self.apply)

    def ingest(
        self, integration: str, parsed: Parsed, drop_unknown_resolves: bool = False
    ) -> IngestResult:
        """Commit every good alert of the batch in one transaction, then announce changes.

        A resolve for a key never seen is kept as a resolved alert, unless the source says to
        drop it (PagerDuty accepts and drops acknowledge and resolve of unknown keys)."""
        return self._transact([(integration, parsed, drop_unknown_resolves)])[0]

    def submit(
        self,
        integration: str,
        parse: Callable[[], Parsed],
        drop_unknown_resolves: bool = False,
        size: int = 0,
    ) -> Future[object]:
        """Queue a batch (`size`: its body's bytes) for the writer thread; the future's
        result is the IngestResult, set after the COMMIT. Raises IngestOverloaded when too
        many batches or bytes wait."""
        return self.writer.submit(Job(integration, parse, drop_unknown_resolves, size))

    def apply(self, jobs: list[Job]) -> None:
        """The writer's work: every job in one transaction; if that fails, each job in its
        own, so a bad batch fails alone."""
        ready: list[tuple[Job, Parsed]] = []
        for job in jobs:
            try:
                ready.append((job, job.parse()))
            except Exception as exc:  # the sender gets its own error
                job.future.set_exception(exc)
        if len(ready) > 1:
            batches = [
                (job.integration, parsed, job.drop_unknown_resolves) for job, parsed in ready
            ]
            try:
                results = self._transact(batches)
            except Exception:
                log.info("a group of %d alert batches failed; retrying one by one", len(ready))
            else:  # committed: never retried
                for (job, _), result in zip(ready, results, strict=True):
                    job.future.set_result(result)
                return
        for job, parsed in ready:
            try:
                result = self.ingest(job.integration, parsed, job.drop_unknown_resolves)
            except Exception as exc:  # one answer per sender
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)

    def _transact(self, batches: list[tuple[str, Parsed, bool]]) -> list[IngestResult]:
        """One transaction, run again whole when it lost a race to another process (two
        servers storing the same new alert, or changing the same incident): a sender never
        sees a conflict, only a database that stays unavailable."""
        for attempt in range(1, CONFLICT_RETRIES + 1):
            try:
                with self._uow() as uow:
                    router = self._router()
                    tx = self._start(uow, router, batches)
                    results = [self._one(uow, tx, *batch) for batch in batches]
                    self._write(uow, tx)
                    uow.commit()
                return results
            except (WriteConflict, ConcurrentChange):
                if attempt == CONFLICT_RETRIES:
                    raise
                log.info("alert batch lost a race to another writer; running it again")
        raise AssertionError("unreachable")  # pragma: no cover

    def _start(
        self, uow: UnitOfWork, router: Router, batches: list[tuple[str, Parsed, bool]]
    ) -> _Tx:
        now = self._clock.now()
        tx = _Tx(now, uow.alerts.silences(now), uow.alerts.windows(now))
        for _, parsed, _ in batches:
            for alert in parsed.alerts:
                tx.decisions[id(alert)] = router.decide(alert)
        # Groups are counted and declared under their lock (PostgreSQL; SQLite has one writer).
        uow.alerts.lock_groups(sorted({d.group_key for d in tx.decisions.values()}))
        wanted: dict[str, set[str]] = {}
        for integration, parsed, _ in batches:
            wanted.setdefault(integration, set()).update(a.dedup_key for a in parsed.alerts)
        for integration, keys in wanted.items():
            for key, row in uow.alerts.by_keys(integration, keys).items():
                tx.rows[integration, key] = row
        # Every group the batches can touch (a stored alert stays in the group it was stored
        # in), with its incident's status, in one statement rather than two per group.
        tx.read_groups = {d.group_key for d in tx.decisions.values()}
        tx.read_groups.update(row.group_key for row in tx.rows.values())
        for group_key, (group, incident_open) in uow.alerts.groups(tx.read_groups).items():
            tx.groups[group_key] = group
            if group.incident is not None:
                tx.open[group.incident] = incident_open
        return tx

    def _one(
        self,
        uow: UnitOfWork,
        tx: _Tx,
        integration: str,
        parsed: Parsed,
        drop: bool,
    ) -> IngestResult:
        result = IngestResult(problems=list(parsed.problems))
        batch = _Batch(integration, drop)
        for alert in parsed.alerts:
            result.accepted += self._apply(tx, batch, alert)
        self._group(uow, tx, batch, result)
        return result

    # -- per alert -----------------------------------------------------------------------

    def _apply(self, tx: _Tx, batch: _Batch, alert: AlertIn) -> int:
        key = (batch.integration, alert.dedup_key)
        current = tx.rows.get(key)
        step = transition(current.status if current else None, alert)
        unknown_resolve = current is None and alert.status is AlertStatus.RESOLVED
        if step is Transition.IGNORED or (unknown_resolve and batch.drop_unknown_resolves):
            return 1
        decision = tx.decisions[id(alert)]
        was_firing = current is not None and current.status is AlertStatus.FIRING
        if current is None:
            current = tx.rows[key] = _new_row(batch.integration, alert, decision, tx.now)
            tx.new_rows[key] = None
            batch.new_keys.add(alert.dedup_key)
        else:
            _update_row(current, alert, step, tx.now)
            if key not in tx.new_rows:
                tx.changed_rows[key] = None
        delta = (current.status is AlertStatus.FIRING) - was_firing
        batch.firing_delta[current.group_key] = batch.firing_delta.get(current.group_key, 0) + delta
        if step is Transition.ACKNOWLEDGED:
            current.acknowledged = True
            if current.incident is not None:
                batch.acknowledged.add(current.incident)
        current.suppressed_by = suppression(
            alert.labels, decision.service, tx.now, tx.silences, tx.windows
        )
        batch.decisions[alert.dedup_key] = decision
        return 1

    def _write(self, uow: UnitOfWork, tx: _Tx) -> None:
        uow.alerts.insert_alerts([tx.rows[k] for k in tx.new_rows])
        uow.alerts.update_alerts([tx.rows[k] for k in tx.changed_rows])
        for group_key in tx.changed_groups:
            uow.alerts.save_group(tx.groups[group_key])
        for number in tx.touched:
            uow.incidents.save(tx.incidents[number])

    # -- per group -----------------------------------------------------------------------

    def _group(self, uow: UnitOfWork, tx: _Tx, batch: _Batch, result: IngestResult) -> None:
        by_group: dict[str, list[AlertRow]] = {}
        for key in batch.decisions:
            row = tx.rows[batch.integration, key]
            by_group.setdefault(row.group_key, []).append(row)
            result.suppressed += row.suppressed_by is not None
        for group_key, rows in by_group.items():
            self._settle_group(uow, tx, batch, group_key, rows, result)
        for number in batch.acknowledged:
            incident = self._incident(uow, tx, number)
            if incident.status.is_open and incident.acknowledged_at is None:
                actor = f"{batch.integration} (alert acknowledged)"
                incident.acknowledge(tx.now, actor)
                self._incidents.say(incident, messages.ACKNOWLEDGED, tx.now, actor)
                tx.touched[number] = None

    def _settle_group(
        self,
        uow: UnitOfWork,
        tx: _Tx,
        batch: _Batch,
        group_key: str,
        rows: list[AlertRow],
        result: IngestResult,
    ) -> None:
        pages = [r for r in rows if r.status is AlertStatus.FIRING and r.suppressed_by is None]
        mode = _strongest(batch, pages or rows)
        group = tx.groups.get(group_key)
        if group is None and group_key not in tx.read_groups:
            group = uow.alerts.group(group_key)
        group = tx.groups[group_key] = group or AlertGroup(
            group_key, batch.decisions[rows[0].dedup_key].service, tx.now, tx.now, is_new=True
        )
        tx.changed_groups[group_key] = None
        firing_before = group.firing
        _count(group, rows, batch, tx.now)
        group.declare_mode = mode
        if firing_before == 0 and group.firing > 0:  # firing anew: asked about anew
            group.firing_since = tx.now
            group.dismissed_at = group.dismissed_by = None
        number = self._open_incident(uow, tx, group)
        actor = f"{batch.integration} (alerts)"
        if number is None and pages and mode is DeclareMode.AUTO:
            incident = self._declare(uow, tx, batch, group, pages)
            number = incident.number
            result.declared.append(incident.id)
            self._link(uow, tx, group, number)
        elif number is not None:
            if group.alerts >= group.next_milestone:  # a summary is due: load the incident
                incident = self._incident(uow, tx, number)
                summarise(incident, group, actor, tx.now)
                tx.touched[number] = None
            if firing_before > 0 and group.firing == 0:  # the symptom cleared
                all_resolved(self._incident(uow, tx, number), group, actor, tx.now)
                tx.touched[number] = None
            result.attached.append(format_id(number))
        if number is not None:
            group.incident = number
            for row in rows:
                row.incident = number  # written with the rows, at the end

    def _link(self, uow: UnitOfWork, tx: _Tx, group: AlertGroup, number: int) -> None:
        """Earlier alerts of the group (suppressed, or kept as suggestions) join the newly
        declared incident: stored ones with one UPDATE, this transaction's in memory."""
        if not group.is_new:
            uow.alerts.link_group(group.group_key, number)
        for row in tx.rows.values():
            if row.group_key == group.group_key and row.incident is None:
                row.incident = number

    def _incident(self, uow: UnitOfWork, tx: _Tx, number: int) -> Incident:
        incident = tx.incidents.get(number)
        if incident is None:
            incident = tx.incidents[number] = uow.incidents.get(number)
        return incident

    def _open_incident(self, uow: UnitOfWork, tx: _Tx, group: AlertGroup) -> int | None:
        """The group's incident if it is still open. Only its status is read: most alerts
        attach without a summary, so the incident itself is not loaded."""
        number = group.incident
        if number is None:
            return None
        if number in tx.incidents:
            return number if tx.incidents[number].status.is_open else None
        if number not in tx.open:
            tx.open[number] = uow.alerts.incident_open(number)
        return number if tx.open[number] else None

    def _declare(
        self, uow: UnitOfWork, tx: _Tx, batch: _Batch, group: AlertGroup, pages: list[AlertRow]
    ) -> Incident:
        severities = self._incidents.severities
        worst = min(pages, key=lambda r: severities.rank(r.severity))
        outcome = declare_for_group(
            self._incidents, uow, group, worst, f"{batch.integration} (alert)", tx.now
        )
        incident = tx.incidents[outcome.incident.number] = outcome.incident
        tx.touched[incident.number] = None
        return incident


def _strongest(batch: _Batch, rows: list[AlertRow]) -> DeclareMode:
    """The declare mode of the group's alerts in this batch: the strongest wins, so a
    critical alert declares for a group its warnings only suggest."""
    modes = (batch.decisions[r.dedup_key].declare for r in rows)
    return max(modes, key=lambda mode: mode.strength)


def _new_row(integration: str, alert: AlertIn, decision: Decision, now: datetime) -> AlertRow:
    return AlertRow(
        integration,
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
        now,
        now,
        alert.starts_at,
        alert.ends_at,
    )


def _update_row(row: AlertRow, alert: AlertIn, step: Transition, now: datetime) -> None:
    row.count += 1
    row.last_seen = now
    if step is Transition.REFIRED:
        row.flaps += 1
    if step in (Transition.RESOLVED, Transition.REFIRED):
        row.status = alert.status
        row.ends_at = alert.ends_at
    if alert.summary and alert.action is AlertAction.TRIGGER:
        row.summary = alert.summary  # an acknowledge or resolve names only its key
    row.labels = dict(alert.labels) or row.labels
    row.annotations = dict(alert.annotations) or row.annotations


def _count(group: AlertGroup, rows: list[AlertRow], batch: _Batch, now: datetime) -> None:
    for row in rows:
        new = row.dedup_key in batch.new_keys
        group.events += 1
        group.alerts += new
        if new:
            _count_labels(group.label_counts, row.labels)
    group.last_at = now
    group.firing = max(0, group.firing + batch.firing_delta.get(group.group_key, 0))


def _count_labels(counts: dict[str, dict[str, int]], labels: dict[str, str]) -> None:
    for name, value in labels.items():
        values = counts.setdefault(name, {})
        if value in values or len(values) < MAX_LABEL_VALUES:
            values[value] = values.get(value, 0) + 1
