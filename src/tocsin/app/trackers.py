"""The Tracker port: where action items are exported (GitHub Issues, Jira), and its errors.

An adapter makes one request per call, with no retries inside: the export job owns retrying.
Its trouble is one of two errors: `TrackerUnavailable` (unreachable, timed out, 5xx, rate
limited: the job is retried, never before the tracker's Retry-After or rate-limit reset) or
`TrackerRefused` (a rejected token, a project that does not exist, a field the tracker will
not take: the job is dead at once, the message naming the fix).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from tocsin.app.jobs import GiveUp, RetryNotBefore
from tocsin.core.action_items import TrackerKind


@dataclass(frozen=True, slots=True)
class Issue:
    """What a tracker is told about an item."""

    title: str
    body: str  # plain text; each adapter formats it (GitHub Markdown, Jira ADF or text)
    labels: tuple[str, ...]
    marker: str  # finds the issue again after a lost answer (see docs/action-items.md)
    owner: str  # the Tocsin handle
    assignee: str | None  # the tracker's account for the owner, when tocsin.yaml maps one
    deadline: date | None
    priority: str
    closed: bool
    wont_do: bool
    since: datetime  # the item's creation: no issue for it can be older


@dataclass(frozen=True, slots=True)
class Remote:
    """An issue as the tracker sees it: its id (GitHub's number, Jira's key), link, status
    word (GitHub `open`, `closed` or `closed/not_planned`; Jira's status category key)."""

    external_id: str
    url: str | None
    status: str | None


class Tracker(Protocol):
    kind: TrackerKind

    def find(self, issue: Issue) -> Remote | None: ...  # the issue carrying issue.marker
    def create(self, issue: Issue) -> Remote: ...
    def update(self, external_id: str, issue: Issue) -> Remote: ...
    def read(self, external_id: str) -> Remote: ...
    def close(self) -> None: ...  # its connections


class TrackerUnavailable(RetryNotBefore):
    """Try again later (not before `not_before` when the tracker said)."""


class TrackerRefused(GiveUp):
    """The tracker refused in a way another try will not change; the message says the fix."""
