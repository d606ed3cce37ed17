"""/incidents/{ref}/events: new timeline entries as Server-Sent Events.

Each stream subscribes to this process's `ChangeFeed` (web/changes.py), which looks at the
database once per `poll_interval` for all streams, so a change made by any process (another
server, the CLI writing straight to the database) reaches the page; the stream reads the
entries after the last one it sent only when its incident moved. The feed checks sessions
too: when one has ended (logged out elsewhere, expired, the password changed, the user
disabled) its streams send `ended` and close, and the browser's reconnect gets a 401. A
session holds at most `server.streams_per_session` streams; one more is answered 429.
Other live pages (the dashboard, the list, the Alerts page) subscribe the same way:
`feed_for(request)`, `subscribe_or_refuse`, `event_stream`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from tocsin.api.deps import App
from tocsin.app.errors import StorageError
from tocsin.app.refs import parse_ref
from tocsin.bootstrap import Tocsin, change_markers
from tocsin.core.access import Unauthenticated
from tocsin.core.errors import ErrorKind, InvalidInput, NotFound
from tocsin.core.incident import Incident
from tocsin.web.auth import PageRefused, StreamSession
from tocsin.web.changes import Change, ChangeFeed, Subscription, TooManyStreams, Topic
from tocsin.web.rendering import Web, WebState, fragment
from tocsin.web.views import view

log = logging.getLogger(__name__)
router = APIRouter()
RETRY_MS = 3000  # how long the browser waits before it reconnects


def sse(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    """One event; JSON keeps the data on one line."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@dataclass(frozen=True, slots=True)
class TimelinePoller:
    """One look at the database: the entries after `after`, rendered, and the new header."""

    tocsin: Tocsin
    web: WebState
    number: int
    session: str  # the session's secret: checked at every poll

    def __call__(self, after: int) -> tuple[int, list[str]]:
        self.tocsin.accounts.session(self.session)  # Unauthenticated once it has ended
        if self.tocsin.incidents.get(self.number).version <= after:
            return after, []  # one indexed row read while nothing changes
        timeline = self.tocsin.incidents.timeline(self.number)
        fresh = [e for e in timeline if e.seq > after]
        if not fresh:
            return after, []
        chunks = [
            sse("entry", {"seq": e.seq, "html": fragment(self.web, "_entry.html", entry=e)}, e.seq)
            for e in fresh
        ]
        incident = Incident.replay(timeline)
        model, now = self.tocsin.incidents.severities, self.tocsin.clock.now()
        summary = fragment(self.web, "_summary.html", v=view(incident, model, now))
        data = {"version": incident.version, "status": incident.status.value, "html": summary}
        chunks.append(sse("incident", data))
        return fresh[-1].seq, chunks


async def stream(
    changes: Subscription,
    poll: Callable[[int], Awaitable[tuple[int, list[str]]]],
    after: int,
    heartbeat: float = 15.0,
) -> AsyncIterator[str]:
    """Send what is new since `after`, then again each time the change feed says the incident
    moved; a comment after `heartbeat` quiet seconds keeps proxies from hanging up. A session
    that ends ends the stream with an `ended` event. Waiting holds no thread; starlette
    cancels the generator when the client goes away."""
    yield f"retry: {RETRY_MS}\n\n"
    last, change = after, Change.CHANGED  # catch up first: entries since `after`
    while change is not Change.ENDED:
        if change is Change.QUIET:
            yield ": still here\n\n"
        else:
            try:
                last, chunks = await poll(last)
            except Unauthenticated:
                break
            except StorageError:  # the store's way of saying the database did not answer
                log.warning("timeline poll failed; trying again", exc_info=True)
                chunks = []
            for chunk in chunks:
                yield chunk
        change = await changes.next(heartbeat)
    yield sse("ended", {"reason": "session ended; log in again"})


def feed_for(request: Request) -> ChangeFeed:
    """This process's change feed (made on first use): what every live stream subscribes to
    (web/changes.py)."""
    app = request.app
    feed: ChangeFeed | None = getattr(app.state, "changes", None)
    if feed is None:
        feed = app.state.changes = ChangeFeed(
            lambda numbers: change_markers(app.state.tocsin, numbers),
            lambda secret: _alive(app.state.tocsin, secret),
            lambda: int(app.state.tocsin.config.server.streams_per_session),
            lambda: float(app.state.web.poll_interval),
        )
    return feed


def _alive(tocsin: Tocsin, secret: str) -> bool:
    try:
        tocsin.accounts.session(secret)
    except Unauthenticated:
        return False
    return True


Changes = Annotated[ChangeFeed, Depends(feed_for)]


def event_stream(
    feed: ChangeFeed, changes: Subscription, chunks: AsyncIterator[str]
) -> StreamingResponse:
    """`chunks` as text/event-stream; `changes` is given back to the feed when the response
    ends, even if the client left before the first chunk."""
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        chunks,
        media_type="text/event-stream",
        headers=headers,
        background=BackgroundTask(feed.unsubscribe, changes),
    )


def subscribe_or_refuse(
    feed: ChangeFeed, topic: Topic | tuple[Topic, ...], session: str
) -> Subscription:
    try:
        return feed.subscribe(topic, session)
    except TooManyStreams as exc:
        raise PageRefused(ErrorKind.RATE_LIMITED, str(exc)) from None


@router.get("/incidents/{ref}/events")
async def timeline_events(
    ref: str,
    tocsin: App,
    web: Web,
    session: StreamSession,
    feed: Changes,
    after: int = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """text/event-stream: `entry` events (id = the entry's seq) and `incident` (the header).
    A session holding `server.streams_per_session` streams gets 429 for one more."""
    try:
        number = parse_ref(ref)
        await run_in_threadpool(tocsin.incidents.get, number)
    except (NotFound, InvalidInput):
        raise PageRefused(ErrorKind.NOT_FOUND, f"No incident {ref}.") from None
    if last_event_id and last_event_id.isdigit():
        after = max(after, int(last_event_id))  # a reconnect resumes where it stopped
    poller = TimelinePoller(tocsin, web, number, session.secret)
    changes = subscribe_or_refuse(feed, number, session.secret)

    async def poll(last: int) -> tuple[int, list[str]]:
        return await run_in_threadpool(poller, last)

    return event_stream(feed, changes, stream(changes, poll, after, web.heartbeat))
