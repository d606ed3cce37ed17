"""Action items: what a team promised to do after an incident, and where it is tracked.

An item belongs to one incident (and optionally to its post-mortem). Priorities are P1 (do
now) to P4 (when there is time); the words urgent, high, medium and low are read as P1..P4.
Categories are the first seed's (update runbooks, add monitoring/alerts, fix root cause,
improve testing, update documentation) or none. An item of category "update runbooks" links
to the runbook file it is about. Each error names the field and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from tocsin.core import rules
from tocsin.core.errors import InvalidInput
from tocsin.core.timeline import iso as _iso
from tocsin.core.timeline import parse_iso

DEFAULT_LABEL = "incident"
RUNBOOK_MAX = 500


class ItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"

    @property
    def closed(self) -> bool:
        return self in (ItemStatus.DONE, ItemStatus.WONT_DO)


class Priority(StrEnum):
    P1 = "P1"  # do now
    P2 = "P2"  # this week
    P3 = "P3"  # this sprint (the default)
    P4 = "P4"  # when there is time


PRIORITY_WORDS = {"urgent": Priority.P1, "high": Priority.P2, "medium": Priority.P3,
                  "low": Priority.P4}  # fmt: skip


class Category(StrEnum):
    UPDATE_RUNBOOKS = "update-runbooks"
    ADD_MONITORING = "add-monitoring"
    FIX_ROOT_CAUSE = "fix-root-cause"
    IMPROVE_TESTING = "improve-testing"
    UPDATE_DOCUMENTATION = "update-documentation"
    NONE = "none"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.UPDATE_RUNBOOKS: "update runbooks",
    Category.ADD_MONITORING: "add monitoring/alerts",
    Category.FIX_ROOT_CAUSE: "fix root cause",
    Category.IMPROVE_TESTING: "improve testing",
    Category.UPDATE_DOCUMENTATION: "update documentation",
    Category.NONE: "none",
}


class TrackerKind(StrEnum):
    GITHUB = "github"
    JIRA = "jira"


@dataclass(frozen=True, slots=True)
class Export:
    """Where an item lives in one tracker, and how the last export or sync went."""

    tracker: TrackerKind
    external_id: str | None = None  # GitHub's issue number, Jira's key
    url: str | None = None
    remote_status: str | None = None  # the tracker's word the last time we looked
    last_error: str | None = None
    exported_at: datetime | None = None
    synced_at: datetime | None = None

    @property
    def state(self) -> str:
        """One word for lists: exported, failing (with an id: the last update failed), pending."""
        if self.last_error:
            return "failing"
        return "exported" if self.external_id else "pending"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Export:
        return cls(
            TrackerKind(d["tracker"]), d.get("external_id"), d.get("url"),
            d.get("remote_status"), d.get("last_error"), parse_iso(d.get("exported_at")),
            parse_iso(d.get("synced_at")),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "tracker": self.tracker.value,
            "external_id": self.external_id,
            "url": self.url,
            "remote_status": self.remote_status,
            "state": self.state,
            "last_error": self.last_error,
            "exported_at": _iso(self.exported_at),
            "synced_at": _iso(self.synced_at),
        }


@dataclass(frozen=True, slots=True)
class ActionItem:
    id: int  # 0 until stored
    incident: int
    title: str
    owner: str
    deadline: date | None
    priority: Priority
    labels: tuple[str, ...]
    status: ItemStatus
    category: Category
    runbook: str | None  # the runbook file's path, for "update runbooks"
    postmortem: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    revision: int = 1  # bumped by each change: an export job is keyed by it
    closed_at: datetime | None = None  # when it became done or won't do
    exports: tuple[Export, ...] = field(default_factory=tuple)

    @property
    def ref(self) -> str:
        return f"AI-{self.id}"

    @property
    def marker(self) -> str:
        """What finds this item in a tracker after an answer was lost (a label, and a hidden
        comment in GitHub's body)."""
        return f"tocsin-item-{self.id}"

    def overdue(self, today: date) -> bool:
        return self.deadline is not None and self.deadline < today and not self.status.closed

    def export(self, tracker: TrackerKind) -> Export | None:
        return next((e for e in self.exports if e.tracker is tracker), None)

    def to_dict(self, today: date | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "ref": self.ref,
            "incident": f"INC-{self.incident}",
            "title": self.title,
            "owner": self.owner,
            "deadline": None if self.deadline is None else self.deadline.isoformat(),
            "priority": self.priority.value,
            "labels": list(self.labels),
            "status": self.status.value,
            "category": self.category.value,
            "category_label": self.category.label,
            "runbook": self.runbook,
            "postmortem": self.postmortem,
            "created_by": self.created_by,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "revision": self.revision,
            "closed_at": _iso(self.closed_at),
            "overdue": None if today is None else self.overdue(today),
            "exports": [e.to_dict() for e in self.exports],
        }


def item_from_dict(d: dict[str, Any]) -> ActionItem:
    """The inverse of `ActionItem.to_dict` (what the remote CLI reads from a server)."""
    created, updated = parse_iso(d["created_at"]), parse_iso(d["updated_at"])
    if created is None or updated is None:
        raise ValueError("created_at and updated_at are required")
    return ActionItem(
        id=int(d["id"]),
        incident=int(str(d["incident"]).removeprefix("INC-")),
        title=d["title"],
        owner=d["owner"],
        deadline=None if d.get("deadline") is None else date.fromisoformat(d["deadline"]),
        priority=Priority(d["priority"]),
        labels=tuple(d["labels"]),
        status=ItemStatus(d["status"]),
        category=Category(d["category"]),
        runbook=d.get("runbook"),
        postmortem=d.get("postmortem"),
        created_by=d["created_by"],
        created_at=created,
        updated_at=updated,
        revision=int(d["revision"]),
        closed_at=parse_iso(d.get("closed_at")),
        exports=tuple(Export.from_dict(e) for e in d.get("exports", [])),
    )


@dataclass(frozen=True, slots=True)
class Draft:
    """What a person asks for; `validated` turns it into checked values."""

    title: str
    owner: str
    deadline: date | str | None = None
    priority: str | None = None
    labels: tuple[str, ...] = ()
    category: str | None = None
    runbook: str | None = None
    postmortem: str | None = None


def title(value: str) -> str:
    return rules.line(value, "title", rules.TITLE_MAX)


def owner(value: str) -> str:
    return rules.handle(value, "owner")


def deadline(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    cleaned = value.strip()
    if not cleaned:
        return None
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        raise InvalidInput(
            f"deadline {value!r} is not a date; write YYYY-MM-DD, e.g. 2026-12-04"
        ) from None


def priority(value: str | None) -> Priority:
    if value is None or not value.strip():
        return Priority.P3
    cleaned = value.strip()
    found = PRIORITY_WORDS.get(cleaned.lower()) or _member(Priority, cleaned.upper())
    if found is None:
        raise InvalidInput(f"priority {value!r} is not known; use P1, P2, P3 or P4 "
                           "(or urgent, high, medium, low)")  # fmt: skip
    return found


def status(value: str) -> ItemStatus:
    found = _member(ItemStatus, value.strip().lower().replace("-", "_").replace(" ", "_"))
    if found is None:
        valid = ", ".join(s.value for s in ItemStatus)
        raise InvalidInput(f"status {value!r} is not known; use one of {valid}")
    return found


def category(value: str | None) -> Category:
    if value is None or not value.strip():
        return Category.NONE
    cleaned = value.strip().lower()
    for member, label in CATEGORY_LABELS.items():
        if cleaned in (member.value, label, member.value.replace("-", " ")):
            return member
    if cleaned in ("add monitoring", "add alerts", "add-alerts"):
        return Category.ADD_MONITORING
    valid = ", ".join(c.value for c in Category)
    raise InvalidInput(f"category {value!r} is not known; use one of {valid}")


def labels(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The given labels, with `incident` always first."""
    given = rules.labels(values)
    return (DEFAULT_LABEL, *(x for x in given if x != DEFAULT_LABEL))


def runbook_path(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return rules.line(value, "runbook", RUNBOOK_MAX)


def postmortem(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return rules.line(value, "postmortem", 200)


def future_deadline(value: date | None, today: date) -> date | None:
    """A new item's deadline: today or later."""
    if value is not None and value < today:
        raise InvalidInput(
            f"deadline {value.isoformat()} is in the past; give today ({today.isoformat()}) "
            "or a later date"
        )
    return value


def choose_runbook(wanted: Category, given: str | None, candidates: dict[str, str]) -> str | None:
    """The runbook an item links to. `candidates`: name -> file path of the runbooks for the
    incident's services. An "update runbooks" item must link to one when there is one: the
    only one is taken by itself; with several, the caller must name one. A name given is
    turned into its path; a path is kept as written."""
    if given:
        if given in candidates:
            return candidates[given]
        return runbook_path(given)
    if wanted is not Category.UPDATE_RUNBOOKS or not candidates:
        return None
    if len(candidates) == 1:
        return next(iter(candidates.values()))
    names = ", ".join(sorted(candidates))
    raise InvalidInput(
        f'runbook is required for an "update runbooks" item: the incident\'s services have '
        f"several runbooks ({names}); name one with --runbook"
    )


def with_status(item: ActionItem, new: ItemStatus, now: datetime) -> ActionItem:
    if new is item.status:
        return item
    closed = (item.closed_at or now) if new.closed else None
    return replace(item, status=new, updated_at=now, revision=item.revision + 1, closed_at=closed)


def status_from_remote(tracker: TrackerKind, word: str, current: ItemStatus) -> ItemStatus:
    """A tracker's status in ours. GitHub: `open`, `closed` (and `closed/not_planned`); Jira:
    the status category `new`, `indeterminate`, `done`. An item in progress that GitHub still
    calls open stays in progress (GitHub has no such state)."""
    if tracker is TrackerKind.GITHUB:
        if word.startswith("closed"):
            return ItemStatus.WONT_DO if word == "closed/not_planned" else ItemStatus.DONE
        return current if current is ItemStatus.IN_PROGRESS else ItemStatus.OPEN
    return {"new": ItemStatus.OPEN, "indeterminate": ItemStatus.IN_PROGRESS,
            "done": ItemStatus.DONE}.get(word, current)  # fmt: skip


E = TypeVar("E", bound=StrEnum)


def _member(enum: type[E], value: str) -> E | None:
    try:
        return enum(value)
    except ValueError:
        return None
