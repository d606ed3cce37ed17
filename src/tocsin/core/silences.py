"""Silences and maintenance windows: they suppress paging, never storage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from tocsin.core import rules
from tocsin.core.errors import InvalidInput
from tocsin.core.routing import Matcher, matches_all


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidInput("ends_at must be after starts_at; give an end in the future")


@dataclass(frozen=True, slots=True)
class Silence:
    id: int
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    author: str
    comment: str

    @classmethod
    def new(
        cls,
        matchers: Iterable[Matcher],
        starts_at: datetime,
        ends_at: datetime,
        author: str,
        comment: str,
        silence_id: int = 0,
    ) -> Silence:
        chosen = tuple(matchers)
        if not chosen:
            raise InvalidInput("a silence needs at least one matcher, e.g. alertname=DiskFull")
        _check_window(starts_at, ends_at)
        return cls(
            silence_id,
            chosen,
            starts_at,
            ends_at,
            rules.actor(author),
            rules.text(comment, "comment", 1000),
        )

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def covers(self, labels: Mapping[str, str], now: datetime) -> bool:
        return self.active(now) and matches_all(self.matchers, labels)


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    id: int
    service: str
    starts_at: datetime
    ends_at: datetime
    author: str
    comment: str

    @classmethod
    def new(
        cls,
        service: str,
        starts_at: datetime,
        ends_at: datetime,
        author: str,
        comment: str,
        window_id: int = 0,
    ) -> MaintenanceWindow:
        _check_window(starts_at, ends_at)
        return cls(
            window_id,
            rules.text(service, "service", 100),
            starts_at,
            ends_at,
            rules.actor(author),
            rules.text(comment, "comment", 1000),
        )

    def covers(self, service: str, now: datetime) -> bool:
        return self.service == service and self.starts_at <= now < self.ends_at


def suppression(
    labels: Mapping[str, str],
    service: str,
    now: datetime,
    silences: Iterable[Silence],
    windows: Iterable[MaintenanceWindow],
) -> str | None:
    """Why the alert must not page (`silence:3`, `maintenance:1`), or None."""
    for silence in silences:
        if silence.covers(labels, now):
            return f"silence:{silence.id}"
    for window in windows:
        if window.covers(service, now):
            return f"maintenance:{window.id}"
    return None
