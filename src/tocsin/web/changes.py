"""One change poller per process for every live stream.

A page that refreshes itself subscribes to a topic: an incident's number (its timeline), or
`INCIDENTS` (any incident declared or changed: the dashboard and the list) or `ALERTS` (any
alert group counted or dismissed: the Alerts page). One task per process reads the markers of
every watched topic in one database look per tick (`bootstrap.change_markers`, one thread
hop) and wakes the subscriptions whose marker moved; each stream then reads what it needs.
So 500 open streams cost one query per tick, not 500, and hold no thread while they wait.

Every `session_every` ticks the feed checks each distinct session behind the open streams
(one thread hop for all of them): a subscription whose session ended (logged out elsewhere,
expired, the user disabled) is told so and its stream ends.

A session may hold `cap()` subscriptions; one more raises `TooManyStreams` (429): refusing
the newest is stable, where closing the oldest would make two tabs evict each other in turn
as the browser reconnects.

Use:

    async with feed.subscription(INCIDENTS, session_secret) as changes:
        while True:
            match await changes.next(heartbeat):
                case Change.CHANGED: ...  # read and send what is new
                case Change.QUIET: ...    # nothing for `heartbeat` seconds
                case Change.ENDED: ...    # the session ended: say so and stop
"""

from __future__ import annotations

import asyncio
import enum
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any, TypeVar

import anyio

from tocsin.app.errors import StorageError
from tocsin.core.errors import ErrorKind, TocsinError

log = logging.getLogger(__name__)

T = TypeVar("T")
CLOSE_WAIT_S = 10.0  # at shutdown, how long a look in flight may take to finish
INCIDENTS = "incidents"
ALERTS = "alerts"
Topic = int | str  # an incident's number, INCIDENTS or ALERTS
Markers = tuple[tuple[object, ...], tuple[object, ...], dict[int, int]]


class TooManyStreams(TocsinError):
    kind = ErrorKind.RATE_LIMITED


class Change(enum.Enum):
    CHANGED = "changed"
    QUIET = "quiet"
    ENDED = "ended"


class Subscription:
    """One stream's view of the feed: `next` waits for a change of one of its topics (an
    incident's timeline watches one; the dashboard watches INCIDENTS and ALERTS)."""

    def __init__(self, topics: frozenset[Topic], session: str) -> None:
        self.topics = topics
        self.session = session
        self.ended = False
        self._changed = False
        self._event = asyncio.Event()

    async def next(self, timeout: float) -> Change:
        """CHANGED when the topic moved since the last call, QUIET after `timeout` seconds
        without, ENDED once the session has ended."""
        if not self._event.is_set():
            with anyio.move_on_after(timeout):
                await self._event.wait()
        self._event.clear()
        if self.ended:
            return Change.ENDED
        changed, self._changed = self._changed, False
        return Change.CHANGED if changed else Change.QUIET

    def _signal(self, *, ended: bool = False) -> None:
        self.ended = self.ended or ended
        self._changed = True
        self._event.set()


class ChangeFeed:
    def __init__(
        self,
        read: Callable[[frozenset[int]], Markers],
        session_alive: Callable[[str], bool],
        cap: Callable[[], int],
        interval: Callable[[], float] = lambda: 0.5,
        session_every: int = 4,
    ) -> None:
        self._read = read
        self._alive = session_alive
        self._cap = cap
        self._interval = interval
        self.session_every = session_every
        self._subs: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._seen: dict[Topic, Any] = {}
        self.ticks = 0  # database looks so far (tests, the benchmark)
        self._running = 0  # looks running in threads: a cancelled task's look runs on
        self._settled = threading.Condition()

    def marker(self, topic: Topic) -> Any:
        """The topic's marker at the last look (None before the first): a list stream compares
        it with the one its page was drawn from."""
        return self._seen.get(topic)

    def open_for(self, session: str) -> int:
        return sum(1 for s in self._subs if s.session == session)

    @asynccontextmanager
    async def subscription(
        self, topic: Topic | tuple[Topic, ...], session: str
    ) -> AsyncIterator[Subscription]:
        sub = self.subscribe(topic, session)
        try:
            yield sub
        finally:
            self.unsubscribe(sub)

    def subscribe(self, topic: Topic | tuple[Topic, ...], session: str) -> Subscription:
        """Raises TooManyStreams when the session already holds `cap()` subscriptions."""
        cap = self._cap()
        if self.open_for(session) >= cap:
            raise TooManyStreams(
                f"this session already has {cap} live streams open (server.streams_per_session);"
                " close a tab, or reload it later"
            )
        topics = frozenset(topic) if isinstance(topic, tuple) else frozenset({topic})
        sub = Subscription(topics, session)
        self._subs.add(sub)
        self._ensure_running()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)
        if not self._subs and self._task is not None:
            self._task.cancel()
            self._task = None

    async def close(self) -> None:
        """Stop looking (the app is shutting down). Every look in flight finishes first, even
        one whose task was cancelled when the last stream left, so its database connection is
        back in the pool before the engine is disposed, not left for the garbage collector to
        find open."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        if self._running:
            await anyio.to_thread.run_sync(self._wait_settled)

    def _wait_settled(self) -> None:
        with self._settled:
            self._settled.wait_for(lambda: self._running == 0, CLOSE_WAIT_S)

    async def _in_thread(self, read: Callable[[], T]) -> T:
        """Run one database read in a worker thread, counted from before it is handed over
        until it has returned (what `close` waits for). Cancelling the awaiting task does not
        stop a thread: a read that started is counted until it ends; one cancelled before its
        thread picked it up never runs."""
        state = {"started": False, "dropped": False}
        with self._settled:
            self._running += 1

        def counted() -> T:
            with self._settled:
                if state["dropped"]:
                    raise asyncio.CancelledError
                state["started"] = True
            try:
                return read()
            finally:
                self._one_done()

        try:
            return await anyio.to_thread.run_sync(counted)
        finally:
            with self._settled:
                if not state["started"]:
                    state["dropped"] = True
                    self._one_done()

    def _one_done(self) -> None:
        with self._settled:
            self._running -= 1
            self._settled.notify_all()

    def _ensure_running(self) -> None:
        loop = asyncio.get_running_loop()
        task = self._task
        if task is None or task.done() or task.get_loop() is not loop:
            self._seen.clear()
            self._task = loop.create_task(self._run(), name="tocsin-change-feed")

    async def _run(self) -> None:
        while self._subs:
            await self._look()
            if self.ticks % self.session_every == 0:
                await self._check_sessions()
            await asyncio.sleep(self._interval())

    async def _look(self) -> None:
        numbers = frozenset(t for s in self._subs for t in s.topics if isinstance(t, int))
        try:
            overall, alerts, versions = await self._in_thread(lambda: self._read(numbers))
        except StorageError:
            log.warning("change feed: the database did not answer; looking again", exc_info=True)
            return
        self.ticks += 1
        now: dict[Topic, Any] = {INCIDENTS: overall, ALERTS: alerts}
        now.update((number, version) for number, version in versions.items())
        moved = {t for t, marker in now.items() if self._seen.get(t) != marker}
        self._seen = now
        for sub in list(self._subs):
            if sub.topics & moved:
                sub._signal()

    async def _check_sessions(self) -> None:
        sessions = {s.session for s in self._subs}
        if not sessions:
            return

        def ended() -> set[str]:
            return {secret for secret in sessions if not self._alive(secret)}

        try:
            gone = await self._in_thread(ended)
        except StorageError:
            log.warning("change feed: could not check sessions; trying again", exc_info=True)
            return
        for sub in list(self._subs):
            if sub.session in gone:
                sub._signal(ended=True)
