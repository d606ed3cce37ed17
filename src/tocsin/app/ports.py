"""Ports: what the use cases need from the world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from tocsin.core.incident import Incident
from tocsin.core.lifecycle import Status
from tocsin.core.timeline import TimelineEntry


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    statuses: tuple[Status, ...] = ()
    severities: tuple[str, ...] = ()
    service: str | None = None
    since: datetime | None = None
    limit: int = 50
    offset: int = 0


class IncidentRepository(Protocol):
    def next_number(self) -> int: ...
    def add(self, incident: Incident) -> None: ...
    def get(self, number: int) -> Incident: ...
    def save(self, incident: Incident) -> None: ...
    def find(self, query: IncidentFilter) -> list[Incident]: ...
    def count(self, query: IncidentFilter) -> int: ...
    def timeline(self, number: int) -> list[TimelineEntry]: ...


class UnitOfWork(Protocol):
    @property
    def incidents(self) -> IncidentRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...


class MessageRenderer(Protocol):
    def render(self, template: str, context: Mapping[str, Any]) -> str: ...
