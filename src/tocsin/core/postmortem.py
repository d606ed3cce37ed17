"""The post-mortem: a versioned document about one incident, and the key moments of its
timeline that the draft starts from.

Statuses: `draft` -> `in_review` -> `published`, and back from `in_review` to `draft`. Every
save and every status change is a new version; nothing is ever overwritten, so a published
version stays readable, unchanged, with everything before it. Editing after publishing starts
a new draft version; publishing that makes a new published version.

Key moments (the Timeline of the second seed's template) are read from the timeline, never
guessed: a moment the timeline does not answer is `None` ("not recorded"):

- **detected** (alert fired or reported): the earliest of the `declared` entry and the first
  grouped alert (`alerts` entry; its `first_at`, when the alert first fired, if earlier).
- **acknowledged**: the first `acknowledged` entry.
- **root cause identified**: the first `status_update` or `note` marked as root cause (its
  data's `marks` holds `root_cause`, or its text starts with "Root cause:"); else the first
  `resolved` entry that recorded a root cause.
- **mitigation applied**: the first `mitigated` entry.
- **fix deployed**: the first `status_update` or `note` marked as fix (`marks` holds `fix`,
  or the text starts with "Fix deployed:" or "Fix:"); else the first `resolved` entry that
  recorded a fix.
- **confirmed resolved**: the last `resolved` entry (after a reopen, the final resolution).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tocsin.core import rules
from tocsin.core.errors import ConcurrentChange, DomainError, ErrorKind, InvalidInput
from tocsin.core.incident import Incident
from tocsin.core.lifecycle import Status
from tocsin.core.timeline import EntryKind, TimelineEntry, parse_iso

K = EntryKind
TEXT_MAX = 80_000  # characters of Markdown in one version: even as JSON \u escapes of
# characters outside the BMP (12 bytes each) one more than that fits the API's 1 MiB body limit,
# so too long is 422, not 413


class PostmortemStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


S = PostmortemStatus

# action -> (statuses it is allowed from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[PostmortemStatus, ...], PostmortemStatus]] = {
    "review": ((S.DRAFT,), S.IN_REVIEW),
    "return": ((S.IN_REVIEW,), S.DRAFT),
    "publish": ((S.IN_REVIEW,), S.PUBLISHED),
}

# Root-cause categories when tocsin.yaml names none: the causes each seed's mitigations name.
DEFAULT_CATEGORIES: dict[str, tuple[str, ...]] = {
    # ModAx: High CPU/Memory, API Overload, Database Issues, Feature Flag Rollback, Full
    # Rollback; and the P1 description's security breach.
    "p1-p4": (
        "capacity",
        "api-overload",
        "database",
        "feature-flag",
        "bad-deploy",
        "security",
        "other",
    ),
    # The SaaS runbook's table: bad deploy, database overloaded, Redis down, AI provider
    # down, security breach, single tenant issue.
    "sev1-sev3": (
        "bad-deploy",
        "database",
        "cache",
        "third-party",
        "security",
        "tenant-data",
        "other",
    ),
}

# The first seed's action-item categories ("Update runbooks, Add monitoring/alerts, ...").
ACTION_CATEGORIES: dict[str, tuple[str, ...]] = {
    "p1-p4": (
        "update-runbooks",
        "add-monitoring",
        "fix-root-cause",
        "improve-testing",
        "update-documentation",
    ),
    "sev1-sev3": (),
}


class PostmortemNotReady(DomainError):
    """A draft was asked for an incident that is not resolved yet."""

    kind = ErrorKind.REFUSED


class StaleVersion(ConcurrentChange):
    """The post-mortem moved on since the version the caller edited."""

    def __init__(self, incident_id: str, expected: int, actual: int | None = None) -> None:
        super().__init__(incident_id, expected, actual)
        now = f" (now at version {actual})" if actual is not None else ""
        self.args = (
            f"the post-mortem of {incident_id} changed since version {expected}{now}; "
            "reload it and apply your change again",
        )


def require_resolved(incident: Incident) -> None:
    """Refuse a draft for an incident still open, naming what is missing."""
    if incident.status in (Status.RESOLVED, Status.CLOSED):
        return
    missing = [
        name
        for name, value in (("root cause", incident.root_cause), ("fix", incident.fix))
        if not value
    ]
    what = f" ({', '.join(missing)})" if missing else ""
    raise PostmortemNotReady(
        f"{incident.id} is still {incident.status.value}: resolve it first{what}, e.g. "
        f'`tocsin resolve {incident.id} --root-cause "..." --fix "..."`'
    )


# -- key moments -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moment:
    key: str
    label: str
    at: datetime | None  # None: not recorded
    seq: int | None = None  # the timeline entry that answers it
    actor: str = ""


MOMENTS: tuple[tuple[str, str], ...] = (
    ("detected", "Alert fired / user reported"),
    ("acknowledged", "On-call acknowledged"),
    ("root_cause", "Root cause identified"),
    ("mitigated", "Mitigation applied"),
    ("fix", "Fix deployed"),
    ("resolved", "Confirmed resolved"),
)
_NOTES = (K.STATUS_UPDATE, K.NOTE)
_PREFIXES = {"root_cause": ("root cause:",), "fix": ("fix deployed:", "fix:")}


def marked(entry: TimelineEntry, mark: str) -> bool:
    """A status update or note marked as root cause or fix (see the module's docstring)."""
    if entry.kind not in _NOTES:
        return False
    marks = entry.data.get("marks") or ()
    return mark in marks or entry.text.strip().lower().startswith(_PREFIXES[mark])


def key_moments(timeline: list[TimelineEntry]) -> list[Moment]:
    """The six moments, in the template's order, each from the entry that answers it."""
    found: dict[str, tuple[datetime, TimelineEntry] | None] = {
        "detected": _detected(timeline),
        "acknowledged": _at(_first(timeline, lambda e: e.kind is K.ACKNOWLEDGED)),
        "root_cause": _at(_finding(timeline, "root_cause")),
        "mitigated": _at(_first(timeline, lambda e: e.kind is K.MITIGATED)),
        "fix": _at(_finding(timeline, "fix")),
        "resolved": _at(_last(timeline, lambda e: e.kind is K.RESOLVED)),
    }
    moments = []
    for key, label in MOMENTS:
        hit = found[key]
        if hit is None:
            moments.append(Moment(key, label, None))
        else:
            moments.append(Moment(key, label, hit[0], hit[1].seq, hit[1].actor))
    return moments


def _at(entry: TimelineEntry | None) -> tuple[datetime, TimelineEntry] | None:
    return None if entry is None else (entry.at, entry)


def _first(timeline: list[TimelineEntry], test: Any) -> TimelineEntry | None:
    return next((e for e in timeline if test(e)), None)


def _last(timeline: list[TimelineEntry], test: Any) -> TimelineEntry | None:
    return next((e for e in reversed(timeline) if test(e)), None)


def _finding(timeline: list[TimelineEntry], mark: str) -> TimelineEntry | None:
    return _first(timeline, lambda e: marked(e, mark)) or _first(
        timeline, lambda e: e.kind is K.RESOLVED and bool(e.data.get(mark))
    )


def _detected(timeline: list[TimelineEntry]) -> tuple[datetime, TimelineEntry] | None:
    declared = _first(timeline, lambda e: e.kind is K.DECLARED)
    alerts = _first(timeline, lambda e: e.kind is K.ALERTS)
    candidates: list[tuple[datetime, TimelineEntry]] = []
    if declared is not None:
        candidates.append((declared.at, declared))
    if alerts is not None:
        fired = _parse(alerts.data.get("first_at"))
        candidates.append((min(fired, alerts.at) if fired else alerts.at, alerts))
    return min(candidates, key=lambda c: (c[0], c[1].seq)) if candidates else None


def _parse(text: Any) -> datetime | None:
    try:
        return parse_iso(text) if isinstance(text, str) else None
    except ValueError:
        return None


def duration(moments: list[Moment]) -> timedelta | None:
    """From detection to confirmed resolution (the template's Duration)."""
    by_key = {m.key: m.at for m in moments}
    start, end = by_key["detected"], by_key["resolved"]
    return None if start is None or end is None else end - start


def hh_mm(span: timedelta | None) -> str | None:
    if span is None:
        return None
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# -- the document ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Version:
    """One saved state of the post-mortem; never changed once stored."""

    number: int  # 1, 2, 3 ... per incident
    status: PostmortemStatus
    text: str
    author: str
    category: str | None
    saved_by: str
    saved_at: datetime
    action: str  # draft, edit, review, return, publish

    def to_dict(self, with_text: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": self.number,
            "status": self.status.value,
            "author": self.author,
            "category": self.category,
            "saved_by": self.saved_by,
            "saved_at": self.saved_at.isoformat().replace("+00:00", "Z"),
            "action": self.action,
        }
        if with_text:
            out["text"] = self.text
        return out


@dataclass
class Postmortem:
    """An incident's post-mortem: its versions, oldest first; the last is the current one."""

    incident: int
    versions: list[Version] = field(default_factory=list)
    pending: list[Version] = field(default_factory=list, compare=False, repr=False)

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def published(self) -> list[Version]:
        return [v for v in self.versions if v.status is S.PUBLISHED]

    @property
    def is_published(self) -> bool:
        """A version was published (later drafts do not take that back)."""
        return bool(self.published)

    def version(self, number: int) -> Version:
        for v in self.versions:
            if v.number == number:
                return v
        raise InvalidInput(
            f"the post-mortem of INC-{self.incident} has no version {number}; "
            f"versions: 1 to {len(self.versions)}"
        )

    @classmethod
    def start(
        cls,
        incident: int,
        text: str,
        author: str,
        category: str | None,
        by: str,
        now: datetime,
    ) -> Postmortem:
        doc = cls(incident)
        doc._add(S.DRAFT, clean_text(text), rules.actor(author), category, by, now, "draft")
        return doc

    def edit(
        self,
        text: str,
        by: str,
        now: datetime,
        expected: int,
        author: str | None = None,
        category: str | None = None,
    ) -> Version:
        """A new version with the text; a published post-mortem goes back to draft (its
        published version stays as it was), one in review stays in review."""
        self._expect(expected)
        cur = self.current
        status = S.DRAFT if cur.status is S.PUBLISHED else cur.status
        who = rules.actor(author) if author else cur.author
        return self._add(status, clean_text(text), who, category or cur.category, by, now, "edit")

    def move(self, action: str, by: str, now: datetime, expected: int | None = None) -> Version:
        """review, return or publish: a new version with the same text and the new status."""
        if expected is not None:
            self._expect(expected)
        allowed_from, to = TRANSITIONS[action]
        cur = self.current
        if cur.status not in allowed_from:
            now_allowed = [a for a, (src, _) in TRANSITIONS.items() if cur.status in src]
            raise DomainError(
                f"cannot {action} the post-mortem of INC-{self.incident}: it is "
                f"{cur.status.value}; allowed now: {', '.join(now_allowed) or 'edit'}"
            )
        return self._add(to, cur.text, cur.author, cur.category, by, now, action)

    def _expect(self, expected: int) -> None:
        if expected != self.current.number:
            raise StaleVersion(f"INC-{self.incident}", expected, self.current.number)

    def _add(
        self,
        status: PostmortemStatus,
        text: str,
        author: str,
        category: str | None,
        by: str,
        now: datetime,
        action: str,
    ) -> Version:
        number = self.versions[-1].number + 1 if self.versions else 1
        when = max(now, self.versions[-1].saved_at) if self.versions else now
        version = Version(number, status, text, author, category, rules.actor(by), when, action)
        self.versions.append(version)
        self.pending.append(version)
        return version

    def copy(self) -> Postmortem:
        return replace(self, versions=list(self.versions), pending=[])


def clean_text(text: str) -> str:
    """The Markdown as typed, line endings made \\n; refused when empty or too long."""
    body = text.replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        raise InvalidInput("the post-mortem text is empty; write it or draft it again")
    if len(body) > TEXT_MAX:
        raise InvalidInput(
            f"the post-mortem text is {len(body)} characters; at most {TEXT_MAX} are kept"
        )
    if "\x00" in body:
        raise InvalidInput("the post-mortem text contains a NUL character")
    return body if body.endswith("\n") else body + "\n"


def check_category(category: str | None, allowed: tuple[str, ...]) -> str | None:
    """The category as configured (case-insensitive), or InvalidInput listing them."""
    if category is None or not category.strip():
        return None
    by_fold = {c.casefold(): c for c in allowed}
    found = by_fold.get(category.strip().casefold())
    if found is None:
        raise InvalidInput(
            f"unknown root-cause category {category!r}; categories: {', '.join(allowed)} "
            "(set them in tocsin.yaml under postmortem: categories)"
        )
    return found


def overdue(due: datetime | None, published: bool, now: datetime) -> bool:
    return due is not None and not published and now > due


@dataclass(frozen=True, slots=True)
class Summary:
    """An incident's post-mortem at a glance: due date, current version and status."""

    incident: int
    due: datetime | None
    version: int  # 0: none written yet
    status: PostmortemStatus | None
    published_version: int | None
    author: str | None
    category: str | None
    updated_at: datetime

    def overdue(self, now: datetime) -> bool:
        return overdue(self.due, self.published_version is not None, now)

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "incident": f"INC-{self.incident}",
            "due": None if self.due is None else self.due.isoformat().replace("+00:00", "Z"),
            "version": self.version,
            "status": None if self.status is None else self.status.value,
            "published_version": self.published_version,
            "author": self.author,
            "category": self.category,
            "overdue": self.overdue(now),
        }
