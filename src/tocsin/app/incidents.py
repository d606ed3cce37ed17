"""Incident use cases: declare, acknowledge, update, mitigate, resolve and the rest."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from tocsin.app import messages
from tocsin.app.ports import (
    Clock,
    IncidentFilter,
    IncidentReads,
    MessageRenderer,
    UnitOfWork,
)
from tocsin.app.refs import parse_ref
from tocsin.core.errors import ConcurrentChange, InvalidInput
from tocsin.core.incident import Incident
from tocsin.core.scope import Impact, Role, Scope
from tocsin.core.severity import SeverityModel
from tocsin.core.timeline import TimelineEntry

Mutation = Callable[[Incident, datetime], object]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The incident after the change, and the message rendered for it, if any."""

    incident: Incident
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Incident]
    total: int


class IncidentService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        severities: SeverityModel,
        renderer: MessageRenderer,
        default_severity: str | None = None,
        reader: Callable[[], UnitOfWork] | None = None,
        reads: IncidentReads | None = None,
    ) -> None:
        self._uow = uow
        self._read = reader or uow
        self._reads = reads
        self._clock = clock
        self.severities = severities
        self.default_severity = default_severity
        self._renderer = renderer

    # -- queries -------------------------------------------------------------------------

    def get(self, ref: str | int) -> Incident:
        with self._read() as uow:
            return uow.incidents.get(parse_ref(ref))

    def timeline(self, ref: str | int) -> list[TimelineEntry]:
        return self.detail(ref)[1]

    def detail(self, ref: str | int) -> tuple[Incident, list[TimelineEntry]]:
        """The incident and its timeline, read in one transaction."""
        number = parse_ref(ref)
        with self._read() as uow:
            return uow.incidents.get(number), uow.incidents.timeline(number)

    def find(self, query: IncidentFilter) -> Page:
        with self._read() as uow:
            return Page(uow.incidents.find(query), uow.incidents.count(query))

    def find_json(self, query: IncidentFilter) -> tuple[list[str], int]:
        """`find` as the stored JSON objects (text), for the API's list: no aggregates."""
        if self._reads is not None:
            return self._reads.find_json(query)
        with self._read() as uow:
            return uow.incidents.find_json(query)

    def detail_json(self, ref: str | int) -> str:
        """`detail` as one JSON object (text): the incident's fields and its `timeline`."""
        number = parse_ref(ref)
        if self._reads is not None:
            return self._reads.detail_json(number)
        with self._read() as uow:
            return uow.incidents.detail_json(number)

    # -- commands ------------------------------------------------------------------------

    def declare(
        self,
        actor: str,
        title: str,
        severity: str | None,
        scope: Scope | None = None,
        impact: Impact | None = None,
        labels: Iterable[str] = (),
        commander: str | None = None,
    ) -> Outcome:
        with self._uow() as uow:
            result = self.declare_within(
                uow, actor, title, severity, scope, impact, labels, commander
            )
            uow.commit()
        return result

    def declare_within(
        self,
        uow: UnitOfWork,
        actor: str,
        title: str,
        severity: str | None,
        scope: Scope | None = None,
        impact: Impact | None = None,
        labels: Iterable[str] = (),
        commander: str | None = None,
    ) -> Outcome:
        """Declare inside the caller's transaction: the one declare path, for the CLI, the
        API, the web and alerts alike. The caller may record more entries on the incident
        (the first alert summary) and save it before committing; the handlers for `declared`
        run at that commit, whoever the caller is."""
        key = severity or self.default_severity
        if key is None:
            valid = ", ".join(self.severities.keys)
            raise InvalidInput(f"severity: required; valid severities: {valid}")
        sev = self.severities.get(key)
        now = self._clock.now()
        number = uow.incidents.next_number()
        incident = Incident.declare(
            number, title, sev, now, actor, scope, impact, labels, commander
        )
        text = self._message(incident, messages.ANNOUNCEMENT, now, actor)
        uow.incidents.add(incident)
        return Outcome(incident, text)

    def acknowledge(
        self, ref: str | int, actor: str, version: int | None = None, via: str | None = None
    ) -> Outcome:
        """`via`: how, when not in Tocsin itself (an SMS link, a Slack button, a keypress)."""
        return self._change(
            ref,
            version,
            lambda i, now: i.acknowledge(now, actor, via),
            messages.ACKNOWLEDGED,
            actor,
        )

    def post_update(
        self, ref: str | int, actor: str, text: str, version: int | None = None
    ) -> Outcome:
        return self._change(
            ref,
            version,
            lambda i, now: i.post_update(now, actor, text),
            messages.UPDATE,
            actor,
            text=text.strip(),
        )

    def change_severity(
        self,
        ref: str | int,
        actor: str,
        severity: str,
        reason: str = "",
        version: int | None = None,
    ) -> Outcome:
        sev = self.severities.get(severity)
        return self._change(ref, version, lambda i, now: i.change_severity(now, actor, sev, reason))

    def assign(
        self, ref: str | int, actor: str, role: str, person: str | None, version: int | None = None
    ) -> Outcome:
        parsed = Role.parse(role)
        return self._change(ref, version, lambda i, now: i.assign(now, actor, parsed, person))

    def change_scope(
        self, ref: str | int, actor: str, scope: Scope, version: int | None = None
    ) -> Outcome:
        return self._change(ref, version, lambda i, now: i.change_scope(now, actor, scope))

    def change_impact(
        self, ref: str | int, actor: str, impact: Impact, version: int | None = None
    ) -> Outcome:
        return self._change(ref, version, lambda i, now: i.change_impact(now, actor, impact))

    def relabel(
        self,
        ref: str | int,
        actor: str,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        version: int | None = None,
    ) -> Outcome:
        return self._change(ref, version, lambda i, now: i.relabel(now, actor, add, remove))

    def mitigate(
        self, ref: str | int, actor: str, action: str, version: int | None = None
    ) -> Outcome:
        return self._change(
            ref, version, lambda i, now: i.mitigate(now, actor, action), messages.MITIGATED, actor
        )

    def resolve(
        self,
        ref: str | int,
        actor: str,
        root_cause: str | None = None,
        fix: str | None = None,
        version: int | None = None,
    ) -> Outcome:
        def mutate(incident: Incident, now: datetime) -> object:
            sev = self.severities.get(incident.severity)
            return incident.resolve(now, actor, sev, root_cause, fix)

        return self._change(ref, version, mutate, messages.RESOLVED, actor)

    def reopen(
        self, ref: str | int, actor: str, reason: str = "", version: int | None = None
    ) -> Outcome:
        return self._change(ref, version, lambda i, now: i.reopen(now, actor, reason))

    def close(self, ref: str | int, actor: str, version: int | None = None) -> Outcome:
        return self._change(ref, version, lambda i, now: i.close(now, actor))

    def note(self, ref: str | int, actor: str, text: str, version: int | None = None) -> Outcome:
        return self._change(ref, version, lambda i, now: i.note(now, actor, text))

    # -- the one path every change takes -------------------------------------------------

    def _change(
        self,
        ref: str | int,
        version: int | None,
        mutate: Mutation,
        template: str | None = None,
        actor: str = "",
        **extra: str,
    ) -> Outcome:
        number = parse_ref(ref)
        with self._uow() as uow:
            incident = uow.incidents.get(number)
            if version is not None and version != incident.version:
                raise ConcurrentChange(incident.id, version, incident.version)
            now = self._clock.now()
            mutate(incident, now)
            text = self._message(incident, template, now, actor, **extra) if template else None
            uow.incidents.save(incident)
            uow.commit()
        return Outcome(incident, text)

    def _message(
        self, incident: Incident, template: str, now: datetime, actor: str, **extra: str
    ) -> str | None:
        """Render `template` for the change just made and record it; None when the team's
        messages have nothing to say for it (p1-p4 on acknowledge)."""
        severity = self.severities.get(incident.severity)
        ctx = messages.context(incident, severity, now, **extra)
        text = self._renderer.render(template, ctx)
        if text:
            incident.record_message(now, actor, template, text)
        return text or None

    def say(self, incident: Incident, template: str, now: datetime, actor: str) -> str | None:
        """`_message` for a change another use case made inside its own transaction (an
        alert source acknowledging): the caller saves the incident."""
        return self._message(incident, template, now, actor)
