"""Silences and maintenance windows: they suppress paging, never storage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from tocsin.core import rules
from tocsin.core.errors import DomainError, ErrorKind, InvalidInput
from tocsin.core.routing import Matcher, matches_all


class OverlappingMaintenance(DomainError):
    """A window would share time with another of the same service (409): refused, named."""

    kind = ErrorKind.CONFLICT


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

    def overlaps(self, other: MaintenanceWindow) -> bool:
        """Another window for the same service whose time shares a moment with this one."""
        return (
            self.id != other.id
            and self.service == other.service
            and self.starts_at < other.ends_at
            and other.starts_at < self.ends_at
        )

    def ended(self, now: datetime) -> MaintenanceWindow:
        """This window ending now: one not started yet is cancelled (it starts and ends now)."""
        if self.ends_at <= now:
            raise InvalidInput(f"maintenance {self.id} has already ended; see its end in the list")
        return replace(self, starts_at=min(self.starts_at, now), ends_at=now)

    def edited(
        self,
        now: datetime,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        comment: str | None = None,
    ) -> MaintenanceWindow:
        """The window with new times or comment, checked as a new one is; refused once it
        has ended (add a new window instead)."""
        if self.ends_at <= now:
            raise InvalidInput(f"maintenance {self.id} has already ended; add a new window instead")
        start = self.starts_at if starts_at is None else starts_at
        end = self.ends_at if ends_at is None else ends_at
        if end <= now:
            raise InvalidInput("ends_at is in the past; to end the window now, end it")
        return MaintenanceWindow.new(
            self.service,
            start,
            end,
            self.author,
            self.comment if comment is None else comment,
            self.id,
        )


def first_overlap(
    window: MaintenanceWindow, others: Iterable[MaintenanceWindow]
) -> MaintenanceWindow | None:
    return next((other for other in others if window.overlaps(other)), None)


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
