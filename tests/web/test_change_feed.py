"""The change feed: one database look per tick for every open stream, wake-ups only for the
topic that moved, a cap per session (429 over HTTP), and sessions checked once per tick for
all their streams. Waits are bounded by anyio.fail_after, never a sleep."""

from __future__ import annotations

import threading

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.test_events import TIMEOUT, read_stream
from tocsin.bootstrap import Tocsin
from tocsin.core.incident import Incident
from tocsin.web.changes import ALERTS, INCIDENTS, Change, ChangeFeed, Markers, TooManyStreams


class FakeStore:
    """Markers the test moves by hand; counts the looks."""

    def __init__(self) -> None:
        self.versions = {1: 1, 2: 1}
        self.looks = 0
        self.alive = {"s1": True, "s2": True}
        self.session_checks = 0

    def read(self, numbers: frozenset[int]) -> Markers:
        self.looks += 1
        total = sum(self.versions.values())
        return (len(self.versions), total), (0, 0, 0), {n: self.versions[n] for n in numbers}

    def session_alive(self, secret: str) -> bool:
        self.session_checks += 1
        return self.alive[secret]


def feed(store: FakeStore, cap: int = 1000) -> ChangeFeed:
    return ChangeFeed(store.read, store.session_alive, lambda: cap, lambda: 0.001)


def test_many_streams_cost_one_look_per_tick_and_only_the_moved_topic_wakes() -> None:
    store = FakeStore()
    changes = feed(store)

    async def scenario() -> tuple[list[Change], list[Change], list[Change]]:
        with anyio.fail_after(TIMEOUT):
            on_1 = [changes.subscribe(1, "s1") for _ in range(100)]
            on_2 = [changes.subscribe(2, "s1") for _ in range(100)]
            overall = [changes.subscribe(INCIDENTS, "s2") for _ in range(100)]
            for sub in [*on_1, *on_2, *overall]:  # the first look: each topic's baseline
                assert await sub.next(TIMEOUT) is Change.CHANGED
            store.versions[1] = 2
            first = [await sub.next(TIMEOUT) for sub in on_1]
            overall_seen = [await sub.next(TIMEOUT) for sub in overall]
            quiet = [await sub.next(0.0) for sub in on_2]
            for sub in [*on_1, *on_2, *overall]:
                changes.unsubscribe(sub)
        return first, overall_seen, quiet

    first, overall_seen, quiet = anyio.run(scenario)
    assert first == [Change.CHANGED] * 100
    assert overall_seen == [Change.CHANGED] * 100
    assert quiet == [Change.QUIET] * 100  # incident 2 did not move
    assert store.looks == changes.ticks  # one look per tick for 300 streams
    assert changes.ticks < 100


def test_a_session_holds_at_most_the_cap_and_a_closed_stream_frees_its_place() -> None:
    changes = feed(FakeStore(), cap=2)

    async def scenario() -> None:
        a = changes.subscribe(1, "s1")
        changes.subscribe(INCIDENTS, "s1")
        with pytest.raises(TooManyStreams, match="already has 2 live streams open"):
            changes.subscribe(ALERTS, "s1")
        changes.subscribe(ALERTS, "s2")  # another session has its own
        changes.unsubscribe(a)
        changes.subscribe(ALERTS, "s1")
        assert changes.open_for("s1") == 2

    anyio.run(scenario)


def test_an_ended_session_ends_its_streams_with_one_check_for_all_of_them() -> None:
    store = FakeStore()
    changes = feed(store)

    async def scenario() -> list[Change]:
        with anyio.fail_after(TIMEOUT):
            subs = [changes.subscribe(1, "s1") for _ in range(50)]
            await subs[0].next(TIMEOUT)
            store.alive["s1"] = False
            ends = [await sub.next(TIMEOUT) for sub in subs]
            checks_per_tick = store.session_checks / max(1, changes.ticks // 4)
            for sub in subs:
                changes.unsubscribe(sub)
        assert checks_per_tick <= 1.0
        return ends

    assert anyio.run(scenario) == [Change.ENDED] * 50


def test_one_stream_over_the_cap_is_answered_429(
    responder: TestClient, tocsin: Tocsin, incident: Incident
) -> None:
    app: FastAPI = responder.app  # type: ignore[assignment]
    app.state.web.poll_interval = 0.02
    tocsin.config.server.streams_per_session = 1
    cookie = responder.cookies["tocsin_session"]
    path = "/incidents/INC-1/events"

    async def scenario() -> tuple[int, str]:
        connected = anyio.Event()
        second: list[tuple[int, str]] = []

        def first_done(text: str) -> bool:
            connected.set()
            return bool(second)

        with anyio.fail_after(TIMEOUT):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(read_stream, app, path, cookie, first_done)
                await connected.wait()
                status, _, text = await read_stream(app, path, cookie, lambda t: True)
                second.append((status, text))
                tocsin.incidents.note("INC-1", "ann", "wake the first stream so it ends")
        return second[0]

    status, text = anyio.run(scenario)
    assert status == 429
    assert "already has 1 live streams open (server.streams_per_session)" in text


class SlowRead:
    """A database look that takes until `release`: `started` when it begins, `finished`
    once it has returned."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.finished: list[bool] = []

    def __call__(self, numbers: frozenset[int]) -> Markers:
        self.started.set()
        self.release.wait(TIMEOUT)
        self.finished.append(True)
        return (0, 0), (0, 0, 0), {}


def test_closing_waits_for_a_look_in_flight() -> None:
    """At shutdown the feed stops, and a look running in its thread finishes first (so its
    database connection is returned before the engine is disposed)."""
    read = SlowRead()
    feed = ChangeFeed(read, lambda secret: True, lambda: 5)

    async def scenario() -> None:
        feed.subscribe(INCIDENTS, "s")
        await anyio.to_thread.run_sync(read.started.wait, TIMEOUT)
        threading.Timer(0.05, read.release.set).start()  # the look ends a little later
        with anyio.fail_after(TIMEOUT):
            await feed.close()
        assert read.finished == [True]  # close returned only after the look was done

    anyio.run(scenario)


def test_closing_waits_for_a_look_left_running_when_the_last_stream_left() -> None:
    """The last stream leaving cancels the feed's task, but not the look already running in
    its thread: shutdown still waits for it. (CI once saw the connection of such a look
    returned to a pool already disposed, and found open by the garbage collector.)"""
    read = SlowRead()
    feed = ChangeFeed(read, lambda secret: True, lambda: 5)

    async def scenario() -> None:
        sub = feed.subscribe(INCIDENTS, "s")
        await anyio.to_thread.run_sync(read.started.wait, TIMEOUT)
        feed.unsubscribe(sub)  # the task is cancelled; its look runs on in the thread
        closed = anyio.Event()

        async def close() -> None:
            await feed.close()
            closed.set()

        with anyio.fail_after(TIMEOUT):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(close)
                await anyio.wait_all_tasks_blocked()
                assert not closed.is_set()  # close is waiting for the look
                read.release.set()
        assert read.finished == [True]

    anyio.run(scenario)
