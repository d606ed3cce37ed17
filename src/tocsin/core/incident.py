"""The incident aggregate. Its state is the fold of its timeline: commands check the rules,
record an entry, and `apply` the entry; replaying the entries rebuilds the same state."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from tocsin.core import rules
from tocsin.core.errors import DomainError, IllegalTransition, InvalidInput
from tocsin.core.lifecycle import Status, allowed_actions, is_allowed
from tocsin.core.scope import Impact, Role, Scope
from tocsin.core.severity import Severity
from tocsin.core.timeline import EntryKind, TimelineEntry, iso, parse_iso, utc

K = EntryKind


def format_id(number: int) -> str:
    return f"INC-{number}"


@dataclass
class Incident:
    number: int
    title: str
    severity: str
    status: Status
    declared_at: datetime
    declared_by: str
    updated_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    mitigated_at: datetime | None = None
    mitigation: str | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    roles: dict[str, str] = field(default_factory=dict)
    scope: Scope = field(default_factory=Scope)
    impact: Impact = field(default_factory=Impact)
    root_cause: str | None = None
    fix: str | None = None
    labels: tuple[str, ...] = ()
    postmortem_due: datetime | None = None
    last_update_at: datetime | None = None
    escalation: int | None = None  # the seq of the `started` entry of the running escalation
    version: int = 0
    pending: list[TimelineEntry] = field(default_factory=list, compare=False, repr=False)
    loaded_version: int = field(default=0, compare=False, repr=False)

    @property
    def id(self) -> str:
        return format_id(self.number)

    # -- creation and replay -------------------------------------------------------------

    @classmethod
    def declare(
        cls,
        number: int,
        title: str,
        severity: Severity,
        now: datetime,
        actor: str,
        scope: Scope | None = None,
        impact: Impact | None = None,
        labels: Iterable[str] = (),
        commander: str | None = None,
    ) -> Incident:
        roles = {Role.COMMANDER.value: rules.handle(commander, "commander")} if commander else {}
        clean_title = rules.line(title, "title", rules.TITLE_MAX)
        data: dict[str, Any] = {
            "number": number,
            "title": clean_title,
            "severity": severity.key,
            "scope": (scope or Scope()).to_dict(),
            "impact": (impact or Impact()).to_dict(),
            "labels": rules.labels(labels),
            "roles": roles,
        }
        entry = TimelineEntry(1, K.DECLARED, utc(now), rules.actor(actor), clean_title, data)
        incident = cls._from_declared(entry)
        incident.pending.append(entry)
        return incident

    @classmethod
    def _from_declared(cls, entry: TimelineEntry) -> Incident:
        d = entry.data
        return cls(
            number=d["number"],
            title=d["title"],
            severity=d["severity"],
            status=Status.INVESTIGATING,
            declared_at=entry.at,
            declared_by=entry.actor,
            updated_at=entry.at,
            roles=dict(d["roles"]),
            scope=Scope.from_dict(d["scope"]),
            impact=Impact.from_dict(d["impact"]),
            labels=tuple(d["labels"]),
            version=entry.seq,
        )

    @classmethod
    def replay(cls, entries: Iterable[TimelineEntry]) -> Incident:
        """The state that the timeline describes."""
        it = iter(entries)
        first = next(it, None)
        if first is None or first.kind is not K.DECLARED:
            raise DomainError("a timeline starts with its declared entry")
        incident = cls._from_declared(first)
        for entry in it:
            incident.apply(entry)
        incident.loaded_version = incident.version
        return incident

    # -- commands ------------------------------------------------------------------------

    def acknowledge(self, now: datetime, actor: str, via: str | None = None) -> TimelineEntry:
        self._require("acknowledge")
        if self.acknowledged_at is not None:
            raise DomainError(
                f"{self.id} was already acknowledged by {self.acknowledged_by} "
                f"at {iso(self.acknowledged_at)}"
            )
        text = f"Acknowledged via {via}" if via else "Acknowledged"
        return self._record(K.ACKNOWLEDGED, now, actor, text, {"via": via} if via else None)

    def post_update(self, now: datetime, actor: str, text: str) -> TimelineEntry:
        self._require("update")
        return self._record(K.STATUS_UPDATE, now, actor, rules.text(text, "update"))

    def change_severity(
        self, now: datetime, actor: str, severity: Severity, reason: str = ""
    ) -> TimelineEntry:
        self._require("severity")
        if severity.key == self.severity:
            raise InvalidInput(f"{self.id} is already {severity.key}")
        why = rules.optional_text(reason, "reason", 1000) or ""
        data = {"from": self.severity, "to": severity.key, "reason": why}
        text = f"Severity {self.severity} → {severity.key}" + (f": {why}" if why else "")
        return self._record(K.SEVERITY_CHANGED, now, actor, text, data)

    def assign(self, now: datetime, actor: str, role: Role, person: str | None) -> TimelineEntry:
        self._require("assign")
        who = rules.handle(person, role.value) if person else None
        previous = self.roles.get(role.value)
        if who == previous:
            raise InvalidInput(f"{role.value} of {self.id} is already {who or 'unassigned'}")
        text = f"{role.value} → {who}" if who else f"{role.value} unassigned"
        data = {"role": role.value, "person": who, "previous": previous}
        return self._record(K.ROLE_ASSIGNED, now, actor, text, data)

    def change_scope(self, now: datetime, actor: str, scope: Scope) -> TimelineEntry:
        self._require("scope")
        return self._record(
            K.SCOPE_CHANGED, now, actor, "Scope changed", {"scope": scope.to_dict()}
        )

    def change_impact(self, now: datetime, actor: str, impact: Impact) -> TimelineEntry:
        self._require("impact")
        data = {"impact": impact.to_dict()}
        return self._record(K.IMPACT_CHANGED, now, actor, f"Impact: {impact.describe()}", data)

    def relabel(
        self, now: datetime, actor: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> TimelineEntry:
        self._require("label")
        added, removed = rules.labels(add), rules.labels(remove)
        labels = sorted((set(self.labels) | set(added)) - set(removed))
        if tuple(labels) == self.labels:
            raise InvalidInput(f"labels of {self.id} unchanged: {', '.join(labels) or 'none'}")
        data = {"labels": labels, "added": added, "removed": removed}
        return self._record(K.LABELS_CHANGED, now, actor, "Labels: " + ", ".join(labels), data)

    def mitigate(self, now: datetime, actor: str, action: str) -> TimelineEntry:
        self._require("mitigate")
        what = rules.text(action, "mitigation")
        return self._record(K.MITIGATED, now, actor, what, {"action": what})

    def resolve(
        self,
        now: datetime,
        actor: str,
        severity: Severity,
        root_cause: str | None = None,
        fix: str | None = None,
    ) -> TimelineEntry:
        self._require("resolve")
        at = self._stamp(now)
        due = None
        if severity.postmortem_required and severity.postmortem_due_within is not None:
            due = at + severity.postmortem_due_within
        data = {
            "root_cause": rules.optional_text(root_cause, "root cause"),
            "fix": rules.optional_text(fix, "fix"),
            "postmortem_due": iso(due),
        }
        return self._record(K.RESOLVED, now, actor, "Resolved", data)

    def reopen(self, now: datetime, actor: str, reason: str = "") -> TimelineEntry:
        self._require("reopen")
        why = rules.optional_text(reason, "reason", 1000) or ""
        data = {"from": self.status.value, "reason": why}
        return self._record(K.REOPENED, now, actor, why or "Reopened", data)

    def close(self, now: datetime, actor: str) -> TimelineEntry:
        self._require("close")
        return self._record(K.CLOSED, now, actor, "Closed")

    def note(self, now: datetime, actor: str, text: str) -> TimelineEntry:
        self._require("note")
        return self._record(K.NOTE, now, actor, rules.text(text, "note"))

    def record_alerts(
        self, now: datetime, actor: str, text: str, data: dict[str, Any]
    ) -> TimelineEntry:
        """A summary of the alerts grouped into this incident so far."""
        self._require("alerts")
        return self._record(K.ALERTS, now, actor, text, data)

    def start_escalation(self, now: datetime, policy: dict[str, Any], reason: str) -> TimelineEntry:
        """Freeze a policy onto the incident: its steps are what fires next, whatever the
        configuration says later. A running escalation is replaced (a severity raised)."""
        self._require("escalation")
        text = f"Escalation started ({reason}): policy {policy['name']}"
        data = {"event": "started", "policy": policy, "reason": reason}
        return self._record(K.ESCALATION, now, "tocsin", text, data)

    def record_escalation(
        self, now: datetime, event: str, text: str, data: dict[str, Any] | None = None
    ) -> TimelineEntry:
        """A step fired, a response target breached, or the escalation stopped."""
        self._require("escalation")
        return self._record(K.ESCALATION, now, "tocsin", text, {"event": event, **(data or {})})

    def record_page(self, now: datetime, text: str, data: dict[str, Any]) -> TimelineEntry:
        """One attempt to reach one person: who, which method, and what came of it."""
        self._require("page")
        return self._record(K.PAGE, now, "tocsin", text, data)

    def record_command(
        self, now: datetime, actor: str, text: str, data: dict[str, Any]
    ) -> TimelineEntry:
        """A runbook step that ran (or was skipped): the command, exit code, output."""
        self._require("command")
        return self._record(K.COMMAND, now, actor, text, data)

    def record_message(self, now: datetime, actor: str, template: str, text: str) -> TimelineEntry:
        """A rendered message (announcement, update, mitigated, resolved), kept verbatim."""
        self._require("message")
        return self._record(K.MESSAGE, now, actor, text, {"template": template})

    # -- the fold ------------------------------------------------------------------------

    def apply(self, entry: TimelineEntry) -> None:
        if entry.seq != self.version + 1:
            raise DomainError(f"{self.id}: entry {entry.seq} follows {self.version}")
        _APPLY[entry.kind](self, entry)
        self.version = entry.seq
        self.updated_at = entry.at

    def _on_acknowledged(self, e: TimelineEntry) -> None:
        self.acknowledged_at, self.acknowledged_by = e.at, e.actor

    def _on_status_update(self, e: TimelineEntry) -> None:
        self.last_update_at = e.at

    def _on_severity_changed(self, e: TimelineEntry) -> None:
        self.severity = e.data["to"]

    def _on_role_assigned(self, e: TimelineEntry) -> None:
        if e.data["person"] is None:
            self.roles.pop(e.data["role"], None)
        else:
            self.roles[e.data["role"]] = e.data["person"]

    def _on_scope_changed(self, e: TimelineEntry) -> None:
        self.scope = Scope.from_dict(e.data["scope"])

    def _on_impact_changed(self, e: TimelineEntry) -> None:
        self.impact = Impact.from_dict(e.data["impact"])

    def _on_labels_changed(self, e: TimelineEntry) -> None:
        self.labels = tuple(e.data["labels"])

    def _on_mitigated(self, e: TimelineEntry) -> None:
        self.status, self.mitigated_at, self.mitigation = Status.MITIGATED, e.at, e.data["action"]

    def _on_resolved(self, e: TimelineEntry) -> None:
        self.status, self.resolved_at = Status.RESOLVED, e.at
        # A finding left out (resolving again after a reopen) keeps the one found before.
        self.root_cause = e.data["root_cause"] or self.root_cause
        self.fix = e.data["fix"] or self.fix
        self.postmortem_due = parse_iso(e.data["postmortem_due"])

    def _on_reopened(self, e: TimelineEntry) -> None:
        """Back to investigating: the times go, the findings (mitigation, root cause, fix)
        stay until new ones replace them."""
        self.status = Status.INVESTIGATING
        self.mitigated_at = self.resolved_at = self.closed_at = self.postmortem_due = None

    def _on_closed(self, e: TimelineEntry) -> None:
        self.status, self.closed_at = Status.CLOSED, e.at

    def _on_note(self, e: TimelineEntry) -> None:
        pass

    def _on_message(self, e: TimelineEntry) -> None:
        self.last_update_at = e.at

    def _on_alerts(self, e: TimelineEntry) -> None:
        pass

    def _on_escalation(self, e: TimelineEntry) -> None:
        if e.data.get("event") == "started":
            self.escalation = e.seq
        elif e.data.get("event") == "stopped":
            self.escalation = None

    def _on_page(self, e: TimelineEntry) -> None:
        pass

    def _on_command(self, e: TimelineEntry) -> None:
        pass

    # -- helpers -------------------------------------------------------------------------

    def _require(self, action: str) -> None:
        if not is_allowed(self.status, action):
            raise IllegalTransition(
                self.id, self.status.value, action, allowed_actions(self.status)
            )

    def _stamp(self, now: datetime) -> datetime:
        """Entry times never go backwards, even when the clock does."""
        return max(utc(now), self.updated_at)

    def _record(
        self,
        kind: EntryKind,
        now: datetime,
        actor: str,
        text: str,
        data: dict[str, Any] | None = None,
    ) -> TimelineEntry:
        entry = TimelineEntry(
            self.version + 1, kind, self._stamp(now), rules.actor(actor), text, data or {}
        )
        self.apply(entry)
        self.pending.append(entry)
        return entry

    def copy(self) -> Incident:
        return replace(self, roles=dict(self.roles), pending=[])


_APPLY: dict[EntryKind, Callable[[Incident, TimelineEntry], None]] = {
    kind: getattr(Incident, f"_on_{kind.value}") for kind in EntryKind if kind is not K.DECLARED
}
