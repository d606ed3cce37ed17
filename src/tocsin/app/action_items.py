"""Action items: create them from an incident (or its post-mortem), edit, close, list.

Creating an item, and changing its status, writes a note on the incident's timeline in the
same transaction while the incident takes notes (not once it is closed: the item is still
stored). An item exported before is exported again, in the same transaction, whenever it
changes (app/action_exports.py), so the tracker follows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from tocsin.app.ports import Clock, UnitOfWork
from tocsin.app.postmortem_context import ActionItemView
from tocsin.app.refs import parse_ref
from tocsin.core import action_items as rules
from tocsin.core.action_items import (
    ActionItem,
    Draft,
    Export,
    ItemStatus,
    TrackerKind,
)
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.lifecycle import is_allowed

RunbookIndex = Callable[[Sequence[str]], dict[str, str]]
"""The runbooks for these services: name -> the file's path (relative to tocsin.yaml)."""
OnChange = Callable[[UnitOfWork, ActionItem], None]
OPEN_STATUSES = (ItemStatus.OPEN, ItemStatus.IN_PROGRESS)


@dataclass(frozen=True, slots=True)
class ItemFilter:
    incident: int | None = None
    owner: str | None = None
    statuses: tuple[ItemStatus, ...] = ()
    overdue_on: date | None = None  # deadline before this day and not done or won't do
    exported_to: TrackerKind | None = None
    limit: int = 500


@dataclass(frozen=True, slots=True)
class CreateClaim:
    """Who may create an item's issue in a tracker: `granted` to this caller until `until`;
    else the issue exists (`external_id`) or another worker is creating it until `until`."""

    granted: bool
    external_id: str | None
    until: datetime | None


class ActionItemRepository(Protocol):
    def add(self, item: ActionItem) -> int: ...  # the new id
    def get(self, item_id: int, lock: bool = False) -> ActionItem | None: ...
    def save(self, item: ActionItem) -> None: ...
    def find(self, query: ItemFilter) -> list[ActionItem]: ...  # by deadline, none last
    def put_export(self, item_id: int, export: Export) -> None: ...
    def claim_create(
        self, item_id: int, tracker: TrackerKind, now: datetime, until: datetime
    ) -> CreateClaim:
        """Under the row's lock: the right to create the issue, unless it exists or another
        worker holds that right until a later time."""
        ...

    def release_create(self, item_id: int, tracker: TrackerKind, until: datetime) -> None: ...
    def record_export(
        self,
        item_id: int,
        tracker: TrackerKind,
        remote: tuple[str, str | None, str | None],
        now: datetime,
    ) -> None:
        """The issue's id, link and (when known) status after a create or update: clears the
        error and any claim to create; leaves what it does not know as it is."""
        ...

    def note_error(self, item_id: int, tracker: TrackerKind, error: str) -> None: ...
    def record_sync(
        self, item_id: int, tracker: TrackerKind, url: str | None, status: str | None,
        now: datetime,
    ) -> None: ...  # fmt: skip
    def closed_between(self, start: datetime, end: datetime) -> int:
        """Items closed (done or won't do) in [start, end) and still closed: the review's
        "action items closed"."""
        ...


@dataclass(frozen=True, slots=True)
class Changes:
    """An edit: only the fields given change."""

    title: str | None = None
    owner: str | None = None
    deadline: str | None = None  # "" clears it
    priority: str | None = None
    labels: tuple[str, ...] | None = None
    category: str | None = None
    runbook: str | None = None
    status: str | None = None


def parse_item(ref: str | int) -> int:
    """AI-12 or 12."""
    text = str(ref).strip()
    digits = text[3:] if text.upper().startswith("AI-") else text
    if not digits.isdigit() or int(digits) == 0:
        raise InvalidInput(f"{ref!r} is not an action item id; ids look like AI-12")
    return int(digits)


class ActionItems:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        runbooks: RunbookIndex,
        reader: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        self._uow = uow
        self._reader = reader or uow
        self._clock = clock
        self._runbooks = runbooks
        self.on_change: list[OnChange] = []  # run inside the transaction of every change

    # -- reads ---------------------------------------------------------------------------

    @staticmethod
    def for_incident(uow: UnitOfWork, number: int) -> list[ActionItem]:
        """The incident's items, by deadline (none last), inside the caller's transaction:
        what the post-mortem draft and the quarterly review read."""
        return uow.action_items.find(ItemFilter(incident=number))

    def today(self) -> date:
        return self._clock.now().date()

    def get(self, ref: str | int) -> ActionItem:
        with self._reader() as uow:
            return _found(uow, parse_item(ref))

    def list(
        self,
        incident: str | int | None = None,
        owner: str | None = None,
        overdue: bool = False,
        statuses: tuple[ItemStatus, ...] = (),
    ) -> list[ActionItem]:
        query = ItemFilter(
            incident=None if incident is None else parse_ref(incident),
            owner=None if owner is None else rules.owner(owner),
            statuses=statuses,
            overdue_on=self.today() if overdue else None,
        )
        with self._reader() as uow:
            return uow.action_items.find(query)

    # -- changes -------------------------------------------------------------------------

    def add(self, incident: str | int, draft: Draft, actor: str) -> ActionItem:
        with self._uow() as uow:
            item = self.create_within(uow, parse_ref(incident), draft, actor)
            uow.commit()
        return item

    def create_within(
        self, uow: UnitOfWork, number: int, draft: Draft, actor: str, note: bool = True
    ) -> ActionItem:
        """Create an item inside the caller's transaction (the post-mortem's, with
        `draft.postmortem` naming it): the incident must exist. With `note`, a note on the
        incident's timeline (the incident is saved: a caller holding the incident loads it
        again afterwards, or passes note=False)."""
        incident = uow.incidents.get(number)
        now = self._clock.now()
        category = rules.category(draft.category)
        runbook = rules.choose_runbook(
            category,
            draft.runbook,
            self._candidates(category, draft.runbook, incident.scope.services),
        )
        item = ActionItem(
            id=0,
            incident=number,
            title=rules.title(draft.title),
            owner=rules.owner(draft.owner),
            deadline=rules.future_deadline(rules.deadline(draft.deadline), now.date()),
            priority=rules.priority(draft.priority),
            labels=rules.labels(list(draft.labels)),
            status=ItemStatus.OPEN,
            category=category,
            runbook=runbook,
            postmortem=rules.postmortem(draft.postmortem),
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        item = replace(item, id=uow.action_items.add(item))
        if note:
            due = f", due {item.deadline.isoformat()}" if item.deadline else ""
            text = f"Action item {item.ref} added: {item.title} (owner @{item.owner}, "
            note_on_incident(uow, number, actor, f"{text}{item.priority.value}{due})", now)
        return item

    def edit(self, ref: str | int, changes: Changes, actor: str) -> ActionItem:
        with self._uow() as uow:
            item = _found(uow, parse_item(ref), lock=True)
            now = self._clock.now()
            changed = self._apply(uow, item, changes)
            if changed != item:
                changed = replace(changed, updated_at=now, revision=item.revision + 1)
            if changes.status is not None:
                changed = rules.with_status(changed, rules.status(changes.status), now)
            if changed == item:
                return item
            if changed.status is not item.status:
                text = f"Action item {item.ref} is {changed.status.value}: {changed.title}"
                note_on_incident(uow, item.incident, actor, text, now)
            uow.action_items.save(changed)
            for hook in self.on_change:
                hook(uow, changed)
            uow.commit()
        return changed

    def set_status(self, ref: str | int, status: str, actor: str) -> ActionItem:
        return self.edit(ref, Changes(status=status), actor)

    def _candidates(
        self, category: rules.Category, given: str | None, services: Sequence[str]
    ) -> dict[str, str]:
        """The services' runbooks, read only when the link needs them (not for every item)."""
        if category is rules.Category.UPDATE_RUNBOOKS or given:
            return self._runbooks(services)
        return {}

    def _apply(self, uow: UnitOfWork, item: ActionItem, c: Changes) -> ActionItem:
        out = item
        if c.title is not None:
            out = replace(out, title=rules.title(c.title))
        if c.owner is not None:
            out = replace(out, owner=rules.owner(c.owner))
        if c.deadline is not None:
            out = replace(out, deadline=rules.deadline(c.deadline))
        if c.priority is not None:
            out = replace(out, priority=rules.priority(c.priority))
        if c.labels is not None:
            out = replace(out, labels=rules.labels(list(c.labels)))
        if c.category is not None or c.runbook is not None:
            category = rules.category(c.category) if c.category is not None else out.category
            services = uow.incidents.get(item.incident).scope.services
            given = c.runbook if c.runbook is not None else out.runbook
            runbook = rules.choose_runbook(
                category, given, self._candidates(category, given, services)
            )
            out = replace(out, category=category, runbook=runbook)
        return out


def draft_items(uow: UnitOfWork, number: int) -> list[ActionItemView]:
    """The incident's items as the post-mortem draft lists them (its ActionItemsSource)."""
    return [_view(i) for i in ActionItems.for_incident(uow, number)]


def _view(item: ActionItem) -> ActionItemView:
    link = next((e.url for e in item.exports if e.url), None)
    extra = {"ref": item.ref, "priority": item.priority.value, "labels": list(item.labels),
             "runbook": item.runbook}  # fmt: skip
    return ActionItemView(
        item.title,
        item.owner,
        None if item.deadline is None else item.deadline.isoformat(),
        item.status.value,
        None if item.category is rules.Category.NONE else item.category.value,
        link,
        extra,
    )


def _found(uow: UnitOfWork, item_id: int, lock: bool = False) -> ActionItem:
    item = uow.action_items.get(item_id, lock=lock)
    if item is None:
        raise NotFound(f"no action item AI-{item_id}; list them with `tocsin actions list`")
    return item


def note_on_incident(uow: UnitOfWork, number: int, actor: str, text: str, now: datetime) -> None:
    """A note on the incident's timeline, while it takes notes (not once closed)."""
    incident = uow.incidents.get(number)
    if is_allowed(incident.status, "note"):
        incident.note(now, actor, text)
        uow.incidents.save(incident)
