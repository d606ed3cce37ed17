"""Live lists: the dashboard, the incident list and the Alerts page refresh themselves.

Each page opens one stream, `/events/changes?watch=…&seen=…`, subscribed to this process's
change feed (web/changes.py) for the lists it shows: `incidents` (INCIDENTS: the newest
incident and the latest change to any) and `alerts` (ALERTS: the newest alert and the latest
seen, dismissed suggestions, the silences and maintenance windows in force). The feed makes
one database look per tick for every open stream of the process, timelines included, and
checks the sessions behind them; the stream sends `changed` when the markers it watches
differ from the ones the page was drawn from (`seen`, a short fingerprint), so a change
between drawing the page and opening the stream is told at once. The page's script then
fetches the page again and swaps its live regions (static/tocsin.js). A change from any
process (the CLI, another server) counts, as on the timeline. Without JavaScript the pages
refresh themselves with a meta refresh instead (`noscript` in their head)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from tocsin import bootstrap
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import ErrorKind
from tocsin.web.auth import PageRefused, StreamSession
from tocsin.web.changes import ALERTS, INCIDENTS, Change, ChangeFeed, Subscription, Topic
from tocsin.web.events import RETRY_MS, Changes, event_stream, sse, subscribe_or_refuse
from tocsin.web.rendering import Web

router = APIRouter()
TOPICS: dict[str, Topic] = {"incidents": INCIDENTS, "alerts": ALERTS}


def token(markers: list[object]) -> str:
    """A short fingerprint of the watched markers: the page carries the one it was drawn from."""
    return hashlib.sha256(repr(markers).encode()).hexdigest()[:16]


def topics_of(text: str) -> tuple[str, ...]:
    chosen = tuple(t for t in TOPICS if t in text.split(","))
    if not chosen:
        raise PageRefused(ErrorKind.INVALID_INPUT, f"watch: one or more of {', '.join(TOPICS)}")
    return chosen


def live_url(tocsin: Tocsin, watch: str) -> str:
    """The stream URL a list page puts in `data-changes`, with the markers it was drawn from
    (read now: one statement of index lookups)."""
    incidents, alerts, _ = bootstrap.change_markers(tocsin, frozenset())
    now = {"incidents": incidents, "alerts": alerts}
    return f"/events/changes?watch={watch}&seen={token([now[t] for t in topics_of(watch)])}"


async def _changes(
    feed: ChangeFeed, changes: Subscription, topics: tuple[str, ...], seen: str, heartbeat: float
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"
    last = seen

    def moved() -> bool:
        nonlocal last
        markers = [feed.marker(TOPICS[t]) for t in topics]
        if any(m is None for m in markers):  # the feed has not looked yet: its first look wakes us
            return False
        now = token(markers)
        changed, last = now != last, now
        return changed

    if moved():  # changed between drawing the page and opening this stream
        yield sse("changed", {"watch": list(topics)})
    while (change := await changes.next(heartbeat)) is not Change.ENDED:
        if change is Change.QUIET:
            yield ": still here\n\n"
        elif moved():
            yield sse("changed", {"watch": list(topics)})
    yield sse("ended", {"reason": "session ended; log in again"})


@router.get("/events/changes")
async def list_changes(
    web: Web, session: StreamSession, feed: Changes, watch: str = "", seen: str = ""
) -> StreamingResponse:
    """text/event-stream: `changed` when a watched list changed since `seen`. A session
    holding `server.streams_per_session` streams gets 429 for one more."""
    topics = topics_of(watch)
    changes = subscribe_or_refuse(feed, tuple(TOPICS[t] for t in topics), session.secret)
    return event_stream(feed, changes, _changes(feed, changes, topics, seen, web.heartbeat))
