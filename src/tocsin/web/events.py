"""/incidents/{ref}/events: new timeline entries as Server-Sent Events.

Each stream polls the database every `poll_interval` for entries after the last one it
sent, so a change made by any process (another server, the CLI writing straight to the
database) reaches the page. Each poll checks the session too: when it has ended (logged out
elsewhere, expired, the password changed, the user disabled) the stream sends `ended` and
closes, and the browser's reconnect gets a 401. It stops when the client goes away.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from tocsin.api.deps import App
from tocsin.app.errors import StorageError
from tocsin.app.refs import parse_ref
from tocsin.bootstrap import Tocsin
from tocsin.core.access import Unauthenticated
from tocsin.core.errors import ErrorKind, InvalidInput, NotFound
from tocsin.core.incident import Incident
from tocsin.web.auth import PageRefused, StreamSession
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
    poll: Callable[[int], Awaitable[tuple[int, list[str]]]],
    after: int,
    interval: float,
    disconnected: Callable[[], Awaitable[bool]],
    heartbeat: float = 15.0,
) -> AsyncIterator[str]:
    """Poll, send what is new, sleep; a comment now and then keeps proxies from hanging up.
    A poll that finds the session gone ends the stream with an `ended` event."""
    yield f"retry: {RETRY_MS}\n\n"
    last, quiet = after, 0.0
    while not await disconnected():
        try:
            last, chunks = await poll(last)
        except Unauthenticated:
            yield sse("ended", {"reason": "session ended; log in again"})
            return
        except StorageError:  # the store's way of saying the database did not answer
            log.warning("timeline poll failed; trying again", exc_info=True)
            chunks = []
        for chunk in chunks:
            yield chunk
        quiet = 0.0 if chunks else quiet + interval
        if quiet >= heartbeat:
            quiet = 0.0
            yield ": still here\n\n"
        await anyio.sleep(interval)


@router.get("/incidents/{ref}/events")
async def timeline_events(
    request: Request,
    ref: str,
    tocsin: App,
    web: Web,
    session: StreamSession,
    after: int = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """text/event-stream: `entry` events (id = the entry's seq) and `incident` (the header)."""
    try:
        number = parse_ref(ref)
        await run_in_threadpool(tocsin.incidents.get, number)
    except (NotFound, InvalidInput):
        raise PageRefused(ErrorKind.NOT_FOUND, f"No incident {ref}.") from None
    if last_event_id and last_event_id.isdigit():
        after = max(after, int(last_event_id))  # a reconnect resumes where it stopped
    poller = TimelinePoller(tocsin, web, number, session.secret)

    async def poll(last: int) -> tuple[int, list[str]]:
        return await run_in_threadpool(poller, last)

    events = stream(poll, after, web.poll_interval, request.is_disconnected, web.heartbeat)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)
