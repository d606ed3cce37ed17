"""What a unit of work does around COMMIT: the transactional outbox.

Before COMMIT, every timeline entry recorded in the transaction is handed to the handlers
registered for its kind. A handler runs *inside* that transaction and may only write (schedule
a job, update a read model): the state change and the work it causes are stored together or
not at all. A handler that raises rolls the whole transaction back.

After COMMIT, the entries are announced on the in-process bus (live views, waking the worker).
Nothing there has to survive a crash: whatever must, a handler wrote before COMMIT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from tocsin.app.bus import IncidentChanged, MessageBus
from tocsin.app.ports import Recorded, UnitOfWork
from tocsin.core.errors import ConcurrentChange, ErrorKind, TocsinError
from tocsin.core.incident import Incident
from tocsin.core.timeline import EntryKind, TimelineEntry

EntryHandler = Callable[[UnitOfWork, Incident, TimelineEntry], None]
MAX_ROUNDS = 8  # handlers that record entries themselves: a bound, never a loop
CONFLICT_TRIES = 5  # `retrying`: transactions run again from a fresh read
T = TypeVar("T")


class HandlerLoop(TocsinError):
    """Handlers kept recording new entries for each other's entries (a bug: try again
    will not help, but the change is rolled back, never half-stored)."""

    kind = ErrorKind.UNAVAILABLE


@dataclass
class Handlers:
    """Which handlers run, inside the transaction, for which kind of timeline entry."""

    _by_kind: dict[EntryKind, list[EntryHandler]] = field(default_factory=dict)

    def on(self, kind: EntryKind, handler: EntryHandler) -> None:
        self._by_kind.setdefault(kind, []).append(handler)

    def dispatch(self, uow: UnitOfWork, recorded: Iterable[Recorded]) -> None:
        for change in recorded:
            for entry in change.entries:
                for handler in self._by_kind.get(entry.kind, ()):
                    handler(uow, change.incident, entry)


@dataclass
class Outbox:
    """The handlers and the bus, shared by every unit of work a process opens."""

    handlers: Handlers = field(default_factory=Handlers)
    bus: MessageBus = field(default_factory=MessageBus)
    wake: Callable[[], None] = lambda: None  # this process's workers: jobs were scheduled
    source: str = ""  # names the commits `wake` reaches (JobSignal.token): NOTIFY's payload

    def before_commit(self, uow: UnitOfWork) -> list[Recorded]:
        """Run the handlers over what the transaction recorded, until they record nothing
        more; return everything recorded, for `after_commit`."""
        recorded: list[Recorded] = []
        for _ in range(MAX_ROUNDS):
            fresh = uow.incidents.take_recorded()
            if not fresh:
                return recorded
            recorded += fresh
            self.handlers.dispatch(uow, fresh)
        raise HandlerLoop(f"handlers still recording entries after {MAX_ROUNDS} rounds")

    def after_commit(self, recorded: list[Recorded], jobs_scheduled: bool = False) -> None:
        """Wake the workers when jobs were scheduled; announce each incident's committed
        entries once, in order."""
        if jobs_scheduled:
            self.wake()
        by_incident: dict[int, tuple[Incident, list[TimelineEntry]]] = {}
        for change in recorded:
            _, entries = by_incident.setdefault(change.incident.number, (change.incident, []))
            entries.extend(change.entries)
        for incident, entries in by_incident.values():
            incident.pending.clear()
            self.bus.publish(IncidentChanged(incident.id, tuple(entries)))


def retrying(uow_factory: Callable[[], UnitOfWork], work: Callable[[UnitOfWork], T]) -> T:
    """`work` in a transaction of its own, run again from a fresh read when another
    transaction changed the incident meanwhile (a sibling page, a step, an update): a
    conflict neither delays the page by a job retry nor loses the outcome."""
    for tries in range(1, CONFLICT_TRIES + 1):
        try:
            with uow_factory() as uow:
                return work(uow)
        except ConcurrentChange:
            if tries == CONFLICT_TRIES:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
