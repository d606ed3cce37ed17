"""Post-mortem use cases: draft from the timeline, edit, review, publish, history, overdue;
and the handlers that keep the due date with the incident and refuse closing it unpublished."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tocsin.app.ports import Clock, UnitOfWork
from tocsin.app.postmortem_context import ActionItemView, context
from tocsin.app.refs import parse_ref
from tocsin.app.uow import Handlers
from tocsin.core import postmortem as pm
from tocsin.core.errors import DomainError, NotFound
from tocsin.core.incident import Incident
from tocsin.core.postmortem import Summary as PostmortemSummary
from tocsin.core.scope import Role
from tocsin.core.severity import SeverityModel
from tocsin.core.timeline import EntryKind, TimelineEntry


class DraftRenderer(Protocol):
    """Renders the team's post-mortem template (integrations/postmortems/renderer.py)."""

    def render(self, context: Mapping[str, Any]) -> str: ...


ActionItemsSource = Callable[[UnitOfWork, int], list[ActionItemView]]


def no_action_items(uow: UnitOfWork, incident: int) -> list[ActionItemView]:
    """The seam for the action items feature: the incident's items for the draft. Until it
    is wired (bootstrap passes `ActionItems.for_incident`), a draft lists none."""
    return []


class PostmortemRequired(DomainError):
    """Closing an incident whose required post-mortem is not published."""


@dataclass(frozen=True, slots=True)
class PostmortemSettings:
    outline: str = "sev1-sev3"
    categories: tuple[str, ...] = pm.DEFAULT_CATEGORIES["sev1-sev3"]


class PostmortemService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        severities: SeverityModel,
        renderer: DraftRenderer,
        settings: PostmortemSettings,
        action_items: ActionItemsSource = no_action_items,
        reader: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        self._uow = uow
        self._read = reader or uow
        self._clock = clock
        self._severities = severities
        self._renderer = renderer
        self.settings = settings
        self._items = action_items

    # -- the draft -----------------------------------------------------------------------

    def render(self, uow: UnitOfWork, incident: Incident, author: str, category: str | None) -> str:
        timeline = uow.incidents.timeline(incident.number)
        severity = self._severities.get(incident.severity)
        items = self._items(uow, incident.number)
        ctx = context(incident, timeline, severity, author, category, self.settings.outline, items)
        return self._renderer.render(ctx)

    def draft(
        self,
        ref: str | int,
        actor: str,
        author: str | None = None,
        category: str | None = None,
        again: bool = False,
    ) -> pm.Version:
        """Render the draft and save it: version 1, or (with `again`) a new version of an
        existing post-mortem, whose earlier versions stay."""
        number = parse_ref(ref)
        cat = pm.check_category(category, self.settings.categories)
        with self._uow() as uow:
            incident = uow.incidents.get(number)
            pm.require_resolved(incident)
            doc = uow.postmortems.get(number)
            if doc is not None and not again:
                cur = doc.current
                raise DomainError(
                    f"{incident.id} already has a post-mortem (version {cur.number}, "
                    f"{cur.status.value}); see `tocsin postmortem show {incident.id}`, or "
                    "draft it again from the timeline with --again (a new version)"
                )
            who = author or (doc.current.author if doc else None) or _author(incident, actor)
            now = self._clock.now()
            text = self.render(uow, incident, who, cat or (doc.current.category if doc else None))
            if doc is None:
                doc = pm.Postmortem.start(number, text, who, cat, actor, now)
            else:
                doc.edit(text, actor, now, doc.current.number, who, cat)
            uow.postmortems.save(doc, now)
            uow.commit()
        return doc.current

    def preview(self, ref: str | int, actor: str, author: str | None = None) -> str:
        """The draft's text, not saved."""
        number = parse_ref(ref)
        with self._read() as uow:
            incident = uow.incidents.get(number)
            pm.require_resolved(incident)
            return self.render(uow, incident, author or _author(incident, actor), None)

    # -- reading -------------------------------------------------------------------------

    def get(self, ref: str | int) -> pm.Postmortem:
        number = parse_ref(ref)
        with self._read() as uow:
            return _existing(uow, number)

    def show(self, ref: str | int, version: int | None = None) -> pm.Version:
        doc = self.get(ref)
        return doc.current if version is None else doc.version(version)

    def overview(self, overdue: bool = False, limit: int = 200) -> list[PostmortemSummary]:
        now = self._clock.now()
        with self._read() as uow:
            return uow.postmortems.find(now if overdue else None, limit)

    def summary(self, ref: str | int) -> PostmortemSummary | None:
        with self._read() as uow:
            return uow.postmortems.summary(parse_ref(ref))

    # -- changes -------------------------------------------------------------------------

    def edit(
        self,
        ref: str | int,
        actor: str,
        text: str,
        expected: int,
        category: str | None = None,
        author: str | None = None,
    ) -> pm.Version:
        cat = pm.check_category(category, self.settings.categories)
        return self._change(ref, lambda d, now: d.edit(text, actor, now, expected, author, cat))

    def move(
        self, ref: str | int, action: str, actor: str, expected: int | None = None
    ) -> pm.Version:
        return self._change(ref, lambda d, now: d.move(action, actor, now, expected))

    def _change(
        self, ref: str | int, change: Callable[[pm.Postmortem, Any], pm.Version]
    ) -> pm.Version:
        number = parse_ref(ref)
        with self._uow() as uow:
            doc = _existing(uow, number)
            now = self._clock.now()
            version = change(doc, now)
            uow.postmortems.save(doc, now)
            uow.commit()
        return version

    # -- handlers inside the incident's transaction --------------------------------------

    def install(self, handlers: Handlers) -> None:
        handlers.on(EntryKind.RESOLVED, self._on_resolved)
        handlers.on(EntryKind.REOPENED, self._on_reopened)
        handlers.on(EntryKind.CLOSED, self._on_closed)

    def _on_resolved(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        if incident.postmortem_due is not None:
            uow.postmortems.set_due(incident.number, incident.postmortem_due, entry.at)

    def _on_reopened(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        if uow.postmortems.summary(incident.number) is not None:
            uow.postmortems.set_due(incident.number, None, entry.at)

    def _on_closed(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        if incident.postmortem_due is None:
            return
        found = uow.postmortems.summary(incident.number)
        if found is not None and found.published_version is not None:
            return
        state = "not written" if found is None or found.version == 0 else found.status
        raise PostmortemRequired(
            f"cannot close {incident.id}: its post-mortem is required ({incident.severity}, "
            f"due {incident.postmortem_due:%Y-%m-%d %H:%M} UTC) and is {state}; publish it "
            f"first (`tocsin postmortem draft {incident.id}`, then review and publish)"
        )


def _author(incident: Incident, actor: str) -> str:
    """Who writes it when nobody is named: the commander, else whoever asks."""
    return incident.roles.get(Role.COMMANDER.value) or actor


def _existing(uow: UnitOfWork, number: int) -> pm.Postmortem:
    doc = uow.postmortems.get(number)
    if doc is None:
        raise NotFound(
            f"INC-{number} has no post-mortem yet; draft one with "
            f"`tocsin postmortem draft INC-{number}`"
        )
    return doc
