"""The dashboard, the incident list and the Alerts page refresh themselves: each page opens one
stream (/events/changes) that says `changed` when what it lists changed, from one change mark
per process read at most once per interval, however many pages are open."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.test_events import TIMEOUT, read_stream
from tocsin import bootstrap
from tocsin.bootstrap import Tocsin
from tocsin.web.changes import ALERTS, INCIDENTS, Change, ChangeFeed


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tocsin.db'}"  # the page side; the marks' SQL is shared


def stream_url(html: str) -> str:
    found = re.search(r'id="live-status" data-state="off" data-changes="([^"]+)"', html)
    assert found, "the page has no live stream"
    return found.group(1).replace("&amp;", "&")


@pytest.mark.parametrize(
    ("path", "watch", "regions"),
    [
        ("/", "incidents,alerts", ["live-dashboard"]),
        ("/incidents", "incidents", ["live-incidents"]),
        ("/alerts", "alerts", ["live-alerts", "live-silences", "live-maintenance"]),
    ],
)
def test_each_list_page_opens_one_stream_and_reloads_itself_without_javascript(
    responder: TestClient, path: str, watch: str, regions: list[str]
) -> None:
    html = responder.get(path).text
    assert stream_url(html).startswith(f"/events/changes?watch={watch}&seen=")
    assert html.count("data-changes=") == 1
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in html
    for region in regions:
        assert f'<div id="{region}" data-live>' in html


def test_the_stream_says_changed_when_another_process_declares(
    responder: TestClient, tocsin: Tocsin
) -> None:
    app: FastAPI = responder.app  # type: ignore[assignment]
    app.state.web.poll_interval = 0.02
    cookie = responder.cookies["tocsin_session"]
    url = stream_url(responder.get("/incidents").text)

    async def scenario() -> str:
        connected = anyio.Event()
        text: list[str] = []

        def done(so_far: str) -> bool:
            if so_far.startswith("retry:"):
                connected.set()
            return "event: changed" in so_far

        async def browser() -> None:
            text.append((await read_stream(app, url, cookie, done))[2])

        with anyio.fail_after(TIMEOUT):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(browser)
                await connected.wait()
                await anyio.to_thread.run_sync(tocsin.incidents.declare, "cli", "Disk full", "P3")
        return text[0]

    text = anyio.run(scenario)
    assert 'event: changed\ndata: {"watch": ["incidents"]}' in text
    assert text.count("event: changed") == 1


def test_a_page_drawn_before_a_change_is_told_at_once(
    responder: TestClient, tocsin: Tocsin
) -> None:
    app: FastAPI = responder.app  # type: ignore[assignment]
    app.state.web.poll_interval = 0.0  # no caching: the mark is read on every look
    url = stream_url(responder.get("/").text)
    tocsin.incidents.declare("ann", "Declared after the page was drawn", "P2")
    cookie = responder.cookies["tocsin_session"]

    async def read() -> tuple[int, dict[str, str], str]:
        with anyio.fail_after(TIMEOUT):
            return await read_stream(app, url, cookie, lambda t: "event: changed" in t)

    status, headers, text = anyio.run(read)
    assert (status, headers["content-type"].split(";")[0]) == (200, "text/event-stream")
    assert '"watch": ["incidents", "alerts"]' in text


def test_the_stream_needs_a_session_and_a_known_list(
    api: TestClient, responder: TestClient
) -> None:
    assert responder.get("/events/changes?watch=nothing").status_code == 422
    with TestClient(api.app) as anonymous:
        assert anonymous.get("/events/changes?watch=incidents").status_code == 401


def test_many_open_pages_share_one_look_per_tick(tocsin: Tocsin) -> None:
    """Fifty open list pages and a timeline: one feed, one database look per tick."""
    tocsin.incidents.declare("ann", "Watched", "P3")  # INC-1, whose timeline one page follows
    feed = ChangeFeed(
        lambda numbers: bootstrap.change_markers(tocsin, numbers),
        lambda secret: True,
        lambda: 60,
        lambda: 3600.0,  # one look, then none for the rest of the test
    )

    async def scenario() -> int:
        subs = [feed.subscribe((INCIDENTS, ALERTS), "s") for _ in range(50)]
        subs.append(feed.subscribe(1, "s"))
        with anyio.fail_after(TIMEOUT):
            changes = [await sub.next(TIMEOUT) for sub in subs]  # the first look wakes them all
        assert set(changes) == {Change.CHANGED}
        for sub in subs:
            feed.unsubscribe(sub)
        return feed.ticks

    assert anyio.run(scenario) == 1
