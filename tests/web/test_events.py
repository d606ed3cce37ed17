"""The live timeline: /incidents/{ref}/events as Server-Sent Events.

TestClient waits for a response to finish, and an event stream never does, so these tests
speak ASGI to the app directly: the route, its session check and its polling run for real,
and the "browser" hangs up once it has what it waited for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message

from tests.conftest import FAST_HASHER
from tocsin.app.clock import ManualClock
from tocsin.app.errors import DatabaseUnavailable
from tocsin.bootstrap import Tocsin, build
from tocsin.core.incident import Incident
from tocsin.web.changes import Change
from tocsin.web.events import stream

TIMEOUT = 5  # seconds: a bound on waiting for an event, never a sleep


async def read_stream(
    app: FastAPI,
    path: str,
    cookie: str,
    done: Callable[[str], bool],
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> tuple[int, dict[str, str], str]:
    """GET `path` and read until `done(text so far)`, then disconnect; returns when the app does."""
    enough = anyio.Event()
    start: dict[str, Any] = {}
    body: list[str] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await enough.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b"").decode())
            if done("".join(body)):
                enough.set()

    route, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"cookie", f"tocsin_session={cookie}".encode()),
            *headers,
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    answer_headers = {k.decode(): v.decode() for k, v in start.get("headers", [])}
    return int(start.get("status", 0)), answer_headers, "".join(body)


@pytest.fixture
def other_process(
    tmp_path: Path, database_url: str, clock: ManualClock, tocsin: Tocsin
) -> Iterator[Tocsin]:
    """A second wiring on its own engine, as another process (the CLI) would have."""
    env = {"TOCSIN_CONFIG": str(tmp_path / "tocsin.yaml"), "TOCSIN_DATABASE_URL": database_url}
    other = build(env=env, cwd=tmp_path, clock=clock, hasher=FAST_HASHER, migrate=False)
    yield other
    other.engine.dispose()


def test_the_stream_sends_an_entry_written_after_connecting(
    responder: TestClient, incident: Incident, other_process: Tocsin
) -> None:
    app: FastAPI = responder.app  # type: ignore[assignment]
    app.state.web.poll_interval = 0.02
    cookie = responder.cookies["tocsin_session"]

    async def scenario() -> tuple[int, dict[str, str], str]:
        connected = anyio.Event()

        def done(text: str) -> bool:
            if text.startswith("retry:"):
                connected.set()
            return "event: incident" in text

        with anyio.fail_after(TIMEOUT):
            async with anyio.create_task_group() as tasks:
                result: list[tuple[int, dict[str, str], str]] = []

                async def browser() -> None:
                    result.append(
                        await read_stream(app, "/incidents/INC-1/events?after=2", cookie, done)
                    )

                tasks.start_soon(browser)
                await connected.wait()
                await anyio.to_thread.run_sync(
                    other_process.incidents.note, "INC-1", "cli", "<b>from the cli</b>"
                )
        return result[0]

    status, headers, text = anyio.run(scenario)
    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    assert "id: 3\nevent: entry\ndata: " in text
    assert "&lt;b&gt;from the cli&lt;/b&gt;" in text
    assert "<b>from the cli" not in text
    assert "entry-1" not in text  # nothing before `after` is sent again


def test_a_reconnect_resumes_after_the_last_event_id(
    responder: TestClient, tocsin: Tocsin, incident: Incident
) -> None:
    tocsin.incidents.note("INC-1", "ann", "seen before the drop")
    tocsin.incidents.note("INC-1", "ann", "missed during the drop")
    app: FastAPI = responder.app  # type: ignore[assignment]
    cookie = responder.cookies["tocsin_session"]
    path = "/incidents/INC-1/events?after=2"

    async def read(*headers: tuple[bytes, bytes]) -> str:
        with anyio.fail_after(TIMEOUT):
            _, _, text = await read_stream(
                app, path, cookie, lambda t: "event: incident" in t, headers
            )
        return text

    fresh = anyio.run(read)
    assert "seen before the drop" in fresh
    assert "missed during the drop" in fresh
    resumed = anyio.run(read, (b"last-event-id", b"3"))
    assert "seen before the drop" not in resumed
    assert "missed during the drop" in resumed


def test_the_stream_needs_a_session_and_an_incident(
    responder: TestClient, incident: Incident
) -> None:
    app: FastAPI = responder.app  # type: ignore[assignment]
    cookie = responder.cookies["tocsin_session"]

    async def get(path: str, with_cookie: str) -> int:
        with anyio.fail_after(TIMEOUT):
            status, _, _ = await read_stream(app, path, with_cookie, lambda t: True)
        return status

    assert anyio.run(get, "/incidents/INC-1/events", "not-a-session") == 401
    assert anyio.run(get, "/incidents/INC-9/events", cookie) == 404


class Scripted:
    """A subscription whose changes are given in advance."""

    def __init__(self, *changes: Change) -> None:
        self.changes = list(changes)
        self.timeouts: list[float] = []

    async def next(self, timeout: float) -> Change:
        self.timeouts.append(timeout)
        return self.changes.pop(0)


def collect(changes: Scripted, poll: Callable[[int], Any], after: int) -> list[str]:
    async def run() -> list[str]:
        chunks = stream(changes, poll, after, heartbeat=7.0)  # type: ignore[arg-type]
        return [chunk async for chunk in chunks]

    return anyio.run(run)


ENDED = 'event: ended\ndata: {"reason": "session ended; log in again"}\n\n'


def test_the_generator_keeps_the_connection_alive_and_polls_only_on_a_change() -> None:
    polls: list[int] = []

    async def poll(after: int) -> tuple[int, list[str]]:
        polls.append(after)
        return after, []

    changes = Scripted(Change.QUIET, Change.QUIET, Change.CHANGED, Change.ENDED)
    chunks = collect(changes, poll, 7)
    assert chunks == ["retry: 3000\n\n", ": still here\n\n", ": still here\n\n", ENDED]
    assert polls == [7, 7]  # the catch-up, then the one change: never on a quiet beat
    assert changes.timeouts == [7.0] * 4


def test_the_generator_sends_what_the_poll_found_and_moves_on() -> None:
    answers: list[tuple[int, list[str]]] = [(5, ["a", "b"]), (5, []), (6, ["c"])]
    seen: list[int] = []

    async def poll(after: int) -> tuple[int, list[str]]:
        seen.append(after)
        return answers.pop(0)

    changes = Scripted(Change.CHANGED, Change.CHANGED, Change.ENDED)
    assert collect(changes, poll, 3)[1:] == ["a", "b", "c", ENDED]
    assert seen == [3, 5, 5]


def test_the_generator_rides_out_a_database_that_does_not_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The store reports a failed read as a StorageError; the stream logs it and polls again."""
    answers: list[tuple[int, list[str]] | Exception] = [
        DatabaseUnavailable("database unavailable: disk I/O error"),
        (4, ["a"]),
    ]

    async def poll(after: int) -> tuple[int, list[str]]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert collect(Scripted(Change.CHANGED, Change.ENDED), poll, 3)[1:] == ["a", ENDED]
    assert "timeline poll failed" in caplog.text


@pytest.mark.parametrize("how", ["logged out elsewhere", "user disabled"])
def test_the_stream_ends_when_its_session_ends(
    responder: TestClient, tocsin: Tocsin, incident: Incident, how: str
) -> None:
    app: FastAPI = responder.app  # type: ignore[assignment]
    app.state.web.poll_interval = 0.02
    cookie = responder.cookies["tocsin_session"]

    async def scenario() -> str:
        connected = anyio.Event()

        def done(text: str) -> bool:
            if text.startswith("retry:"):
                connected.set()
            return False  # the browser stays: only the server may end this stream

        with anyio.fail_after(TIMEOUT):
            async with anyio.create_task_group() as tasks:
                result: list[str] = []

                async def browser() -> None:
                    _, _, text = await read_stream(app, "/incidents/INC-1/events", cookie, done)
                    result.append(text)

                tasks.start_soon(browser)
                await connected.wait()
                if how == "user disabled":
                    await anyio.to_thread.run_sync(tocsin.accounts.disable, "ann")
                else:
                    await anyio.to_thread.run_sync(tocsin.accounts.end_session, cookie)
        return result[0]

    text = anyio.run(scenario)
    assert text.endswith('event: ended\ndata: {"reason": "session ended; log in again"}\n\n')
