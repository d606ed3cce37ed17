"""Live lists: the dashboard, the incident list and the Alerts page refresh themselves.

One `ChangeWatch` per process reads a few change marks (`bootstrap.change_marks`: the newest
incident and the latest change, the newest alert and the latest seen, dismissed suggestions,
silences and maintenance windows in force) at most once per `poll_interval`, however many
pages are open: each open page's stream compares the marks it watches with the last ones it
saw, on the event loop, and sends `changed` when they differ; the page's script then fetches
the page again and swaps its live regions (static/tocsin.js). A change from any process (the
CLI, another server) counts, as on the timeline. Each stream checks its session every
SESSION_EVERY seconds and ends (`ended`) once it is gone. Without JavaScript the pages
refresh themselves with a meta refresh instead (`noscript` in their head)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from tocsin import bootstrap
from tocsin.api.deps import App
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import ErrorKind
from tocsin.web.auth import PageRefused, StreamSession
from tocsin.web.events import sse, stream
from tocsin.web.rendering import Web

router = APIRouter()
TOPICS = ("incidents", "alerts")
SESSION_EVERY = 5.0  # seconds between a stream's session checks
Marks = dict[str, tuple[object, ...]]
_CREATE = threading.Lock()


class ChangeWatch:
    """The process's latest change marks, read again when older than `interval`; concurrent
    readers of a stale mark wait for one read instead of each making their own."""

    def __init__(
        self,
        read: Callable[[], Marks],
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read, self.interval, self._clock = read, interval, clock
        self._lock = threading.Lock()
        self._marks: Marks = {}
        self._at = float("-inf")
        self.reads = 0  # how many times the database was asked: tests count it

    def fresh(self) -> Marks | None:
        """The marks if read within the interval (on the event loop: no lock, no I/O)."""
        return self._marks if self._clock() - self._at < self.interval else None

    def current(self) -> Marks:
        """The marks, read again first when stale (blocking: from a thread)."""
        with self._lock:
            if self.fresh() is None:
                self._marks = self._read()
                self._at = self._clock()
                self.reads += 1
            return self._marks


def watch_for(request: Request, tocsin: Tocsin, interval: float) -> ChangeWatch:
    """The app's one ChangeWatch, made on first use."""
    state = request.app.state
    with _CREATE:
        watch: ChangeWatch | None = getattr(state, "change_watch", None)
        if watch is None:
            watch = ChangeWatch(lambda: bootstrap.change_marks(tocsin), interval)
            state.change_watch = watch
    return watch


def token(marks: Marks, topics: tuple[str, ...]) -> str:
    """A short fingerprint of the watched marks: the page carries the one it was drawn from."""
    text = repr([marks.get(t) for t in topics])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def topics_of(text: str) -> tuple[str, ...]:
    chosen = tuple(t for t in TOPICS if t in text.split(","))
    if not chosen:
        raise PageRefused(ErrorKind.INVALID_INPUT, f"watch: one or more of {', '.join(TOPICS)}")
    return chosen


def live_url(request: Request, tocsin: Tocsin, interval: float, watch: str) -> str:
    """The stream URL a list page puts in `data-changes`, with the mark it was drawn from."""
    marks = watch_for(request, tocsin, interval).current()
    return f"/events/changes?watch={watch}&seen={token(marks, topics_of(watch))}"


@router.get("/events/changes")
async def list_changes(
    request: Request, tocsin: App, web: Web, session: StreamSession, watch: str = "", seen: str = ""
) -> StreamingResponse:
    """text/event-stream: `changed` when a watched list changed since `seen`."""
    topics = topics_of(watch)
    changes = watch_for(request, tocsin, web.poll_interval)
    last, checked = seen, time.monotonic()

    async def poll(_: int) -> tuple[int, list[str]]:
        nonlocal last, checked
        if time.monotonic() - checked >= SESSION_EVERY:
            await run_in_threadpool(tocsin.accounts.session, session.secret)  # may end it
            checked = time.monotonic()
        marks = changes.fresh()
        if marks is None:
            marks = await run_in_threadpool(changes.current)
        now = token(marks, topics)
        if now == last:
            return 0, []
        last = now
        return 0, [sse("changed", {"watch": list(topics)})]

    events = stream(poll, 0, web.poll_interval, request.is_disconnected, web.heartbeat)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)
