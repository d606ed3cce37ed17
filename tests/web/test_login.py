"""Logging in and out: cookies, one answer for every failure, rate limits, safe redirects."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, csrf_in, login, session_csrf
from tocsin.api.app import create_app
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin, build
from tocsin.config import render_preset

TIMEOUT = 10  # seconds: a bound on waiting for the other threads, never a sleep


def _error_text(html: str) -> str:
    found = re.search(r'role="alert"[^>]*>([^<]*)<', html)
    assert found, html
    return found.group(1)


def test_a_page_without_a_session_redirects_to_login_with_next(api: TestClient) -> None:
    answer = api.get("/incidents?status=all", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fincidents%3Fstatus%3Dall"


def test_login_sets_the_session_cookie_and_goes_to_next(api: TestClient, people: None) -> None:
    answer = login(api, "ann", next_="/incidents?status=all")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/incidents?status=all"
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("tocsin_session=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert "secure" not in flags  # plain http here; see the https test
    assert api.get("/incidents").status_code == 200


def test_the_session_cookie_is_secure_over_https(api: TestClient, people: None) -> None:
    with TestClient(api.app, base_url="https://testserver") as client:
        answer = login(client, "ann")
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("tocsin_session=")
    )
    assert "secure" in cookie.lower()


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    api: TestClient, people: None
) -> None:
    wrong = login(api, "ann", "not the password at all")
    unknown = login(api, "nobody", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert _error_text(wrong.text) == _error_text(unknown.text) == "Wrong username or password."
    assert wrong.text.replace('value="ann"', "") == unknown.text.replace('value="nobody"', "")
    assert "tocsin_session" not in api.cookies


@pytest.mark.parametrize("username", ["ann\x00", "\x00", "a" * 300, "ann\ufffd"])
def test_a_username_no_user_can_have_is_just_a_wrong_login(
    api: TestClient, people: None, username: str
) -> None:
    """Not a 5xx: PostgreSQL refuses a NUL in a query, so such names never reach it."""
    assert login(api, username).status_code == 401


def test_a_login_post_without_the_form_token_is_refused(api: TestClient, people: None) -> None:
    data = {"username": "ann", "password": PASSWORD, "csrf": "forged"}
    answer = api.post("/login", data=data, follow_redirects=False)
    assert answer.status_code == 403  # as every other expired or forged form
    assert "tocsin_session" not in api.cookies


def wrong_from(api: TestClient, address: str, username: str) -> int:
    with TestClient(api.app, client=(address, 5000)) as elsewhere:
        return login(elsewhere, username, "a wrong guess!!").status_code


def test_guesses_from_one_address_at_one_name_are_stopped_there_only(
    api: TestClient, people: None, clock: ManualClock
) -> None:
    for _ in range(5):
        assert wrong_from(api, "10.6.6.6", "ann") == 401
    with TestClient(api.app, client=("10.6.6.6", 5000)) as attacker:
        blocked = login(attacker, "ann")  # even the right password waits, from there
        assert blocked.status_code == 429
        assert blocked.headers["retry-after"] == str(15 * 60)
        assert "Too many failed logins" in _error_text(blocked.text)
        assert login(attacker, "vic").status_code == 303  # another name from there: fine
    assert login(api, "ann").status_code == 303  # ann, at her own desk, is not locked out
    clock.advance(timedelta(minutes=15))
    with TestClient(api.app, client=("10.6.6.6", 5000)) as attacker:
        assert login(attacker, "ann").status_code == 303


def test_guesses_at_one_name_from_many_addresses_slow_it_down_but_never_lock_it(
    api: TestClient, people: None, clock: ManualClock
) -> None:
    """A botnet guessing ann's password gets one guess a minute at most; ann waits at most
    a minute, never the whole window."""
    for n in range(10):  # the free failures, each from its own address
        assert wrong_from(api, f"10.0.0.{n}", "ann") == 401
    waits = []
    for n in range(10, 20):
        refused = login(api, "ann")
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        clock.advance(timedelta(seconds=waits[-1]))
        assert wrong_from(api, f"10.0.0.{n}", "ann") == 401
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    clock.advance(timedelta(seconds=60))
    assert login(api, "ann").status_code == 303


def test_failed_logins_from_one_address_are_limited_across_usernames(
    api: TestClient, people: None, clock: ManualClock
) -> None:
    for n in range(20):
        assert login(api, f"guess{n}", "a wrong guess!!").status_code == 401
    assert login(api, "vic").status_code == 429
    with TestClient(api.app, client=("10.9.9.9", 5000)) as elsewhere:
        assert login(elsewhere, "vic").status_code == 303  # vic's name was never guessed
    clock.advance(timedelta(minutes=15))
    assert login(api, "vic").status_code == 303


class GateHasher:
    """Holds every password check until the test opens the gate, so parallel logins are
    all in flight at once; counts how many got as far as checking a password."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.checked = 0
        self.refused = 0
        self.opened = False
        self.state = threading.Condition()

    def hash(self, password: str) -> str:
        return "gate:" + password

    def verify(self, hashed: str, password: str) -> bool:
        with self.state:
            self.checked += 1
            self.state.notify_all()
            assert self.state.wait_for(lambda: self.opened, TIMEOUT)
        return hashed == "gate:" + password

    def note_refused(self) -> None:
        with self.state:
            self.refused += 1
            self.state.notify_all()

    def open_when_all_arrived(self) -> None:
        with self.state:
            arrived = self.state.wait_for(
                lambda: self.checked + self.refused == self.expected, TIMEOUT
            )
            self.opened = True
            self.state.notify_all()
        assert arrived, (self.checked, self.refused)


def test_parallel_guesses_cannot_race_past_the_limit(
    tmp_path: Path, database_url: str, clock: ManualClock
) -> None:
    parallel = 12
    gate = GateHasher(parallel)
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4"), encoding="utf-8")
    env = {"TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": database_url}
    wired = build(env=env, cwd=tmp_path, clock=clock, hasher=gate)
    wired.accounts.create_user("ann", PASSWORD, "responder")
    app = create_app(wired)
    start = threading.Barrier(parallel)
    statuses: list[int] = []

    def guess() -> None:
        with TestClient(app, client=("10.6.6.6", 5000)) as client:
            client.cookies.set("tocsin_login", "form-token", path="/login")
            data = {"username": "ann", "password": "a wrong guess!!", "csrf": "form-token"}
            start.wait(TIMEOUT)
            status = client.post("/login", data=data, follow_redirects=False).status_code
            if status == 429:
                gate.note_refused()
            statuses.append(status)

    threads = [threading.Thread(target=guess) for _ in range(parallel)]
    try:
        for thread in threads:
            thread.start()
        gate.open_when_all_arrived()
    finally:
        with gate.state:
            gate.opened = True
            gate.state.notify_all()
        for thread in threads:
            thread.join(TIMEOUT)
        wired.engine.dispose()
    assert gate.checked == 5
    assert sorted(statuses) == [401] * 5 + [429] * (parallel - 5)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "incidents",
        "/\tevil",
    ],
)
def test_next_cannot_leave_the_site(api: TestClient, people: None, target: str) -> None:
    form = api.get("/login", params={"next": target})
    assert 'name="next" value="/"' in form.text
    answer = login(api, "ann", next_=target)
    assert answer.headers["location"] == "/"


def test_logout_ends_the_session(api: TestClient, people: None, tocsin: Tocsin) -> None:
    login(api, "ann")
    secret = api.cookies["tocsin_session"]
    answer = api.post("/logout", data={"csrf": session_csrf(api)}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    assert "tocsin_session" not in api.cookies
    api.cookies.set("tocsin_session", secret)  # the old cookie, replayed
    assert api.get("/", follow_redirects=False).headers["location"] == "/login?next=%2F"


def test_logout_needs_the_session_token(api: TestClient, people: None) -> None:
    login(api, "ann")
    assert api.post("/logout", data={"csrf": "wrong"}).status_code == 403
    assert api.get("/", follow_redirects=False).status_code == 200


def test_the_login_page_names_its_fields(api: TestClient) -> None:
    html = api.get("/login").text
    assert '<label for="username">' in html
    assert 'id="username"' in html
    assert '<label for="password">' in html
    assert 'type="password"' in html
    assert csrf_in(html)
