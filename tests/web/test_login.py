"""Logging in and out: cookies, one answer for every failure, rate limits, safe redirects."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, csrf_in, login, session_csrf
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin


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


def test_a_login_post_without_the_form_token_is_refused(api: TestClient, people: None) -> None:
    data = {"username": "ann", "password": PASSWORD, "csrf": "forged"}
    answer = api.post("/login", data=data, follow_redirects=False)
    assert answer.status_code == 403  # as every other expired or forged form
    assert "tocsin_session" not in api.cookies


def test_failed_logins_for_a_username_are_limited_then_forgotten(
    api: TestClient, people: None, clock: ManualClock
) -> None:
    for n in range(5):  # each from a different address: the username's own count stops them
        with TestClient(api.app, client=(f"10.0.0.{n}", 5000)) as elsewhere:
            assert login(elsewhere, "ann", "a wrong guess!!").status_code == 401
    blocked = login(api, "ann")  # even the right password waits
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == str(15 * 60)
    assert "Too many failed logins" in blocked.text
    clock.advance(timedelta(minutes=14))
    assert login(api, "ann").status_code == 429
    clock.advance(timedelta(minutes=1))
    assert login(api, "ann").status_code == 303


def test_failed_logins_from_one_address_are_limited_across_usernames(
    api: TestClient, people: None, clock: ManualClock
) -> None:
    for n in range(5):
        assert login(api, f"guess{n}", "a wrong guess!!").status_code == 401
    assert login(api, "vic").status_code == 429
    with TestClient(api.app, client=("10.9.9.9", 5000)) as elsewhere:
        assert login(elsewhere, "vic").status_code == 303  # vic's name was never guessed
    clock.advance(timedelta(minutes=15))
    assert login(api, "vic").status_code == 303


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
