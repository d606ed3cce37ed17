"""A small message bus: events are published only after their transaction committed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from tocsin.core.timeline import TimelineEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IncidentChanged:
    incident_id: str
    entries: tuple[TimelineEntry, ...]


Handler = Callable[[IncidentChanged], None]


class MessageBus:
    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)

    def publish(self, event: IncidentChanged) -> None:
        """Every handler runs; one that fails is logged and never undoes the committed change."""
        for handler in self._handlers:
            try:
                handler(event)
            except Exception:
                log.exception("handler %r failed for %s", handler, event.incident_id)
