"""/password: a person changes their own password from the web UI."""

from __future__ import annotations

import re
from html import unescape as _unescape

import httpx2
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, login, session_csrf
from tocsin.bootstrap import Tocsin

NEW = "a brand new passphrase"


def change(client: TestClient, current: str, new: str, again: str | None = None) -> httpx2.Response:
    form = {"csrf": session_csrf(client), "current": current, "new": new, "again": again or new}
    return client.post("/password", data=form, follow_redirects=False)


def alert_text(html: str) -> str:
    found = re.search(r'role="alert"[^>]*>([^<]*)<', html)
    assert found, html
    return _unescape(found.group(1))


def test_the_form_names_its_fields_and_is_linked_from_every_page(responder: TestClient) -> None:
    html = responder.get("/password").text
    for field in ("current", "new", "again"):
        assert f'<label for="{field}">' in html
        assert f'id="{field}" name="{field}" type="password"' in html
    assert 'href="/password"' in responder.get("/").text


def test_a_changed_password_keeps_this_session_and_ends_the_others(
    api: TestClient, responder: TestClient, tocsin: Tocsin
) -> None:
    with TestClient(api.app) as other_tab:
        assert login(other_tab, "ann").status_code == 303
        old_cookie = responder.cookies["tocsin_session"]
        done = change(responder, PASSWORD, NEW)
        assert done.status_code == 303
        assert done.headers["location"] == "/password?changed=1"
        assert responder.cookies["tocsin_session"] != old_cookie  # a fresh session id
        assert "Your password is changed" in responder.get("/password?changed=1").text
        assert other_tab.get("/", follow_redirects=False).status_code == 303  # to /login
    assert tocsin.accounts.authenticate("ann", NEW).username == "ann"


def test_refusals_say_which_field_and_what_to_do(responder: TestClient, tocsin: Tocsin) -> None:
    cases = [
        (("not the password", NEW, None), 422, "Current password is wrong"),
        ((PASSWORD, NEW, NEW + "!"), 422, "The two new passwords differ; type the same one twice."),
        ((PASSWORD, " " * 12, None), 422, "The new password is only spaces"),
        ((PASSWORD, "Password2026", None), 422, "The new password is built on 'password'"),
    ]
    for (current, new, again), status, says in cases:
        answer = change(responder, current, new, again)
        assert answer.status_code == status, says
        assert alert_text(answer.text).startswith(says)
    assert tocsin.accounts.authenticate("ann", PASSWORD).username == "ann"


def test_the_form_needs_its_csrf_token(responder: TestClient, tocsin: Tocsin) -> None:
    form = {"csrf": "forged", "current": PASSWORD, "new": NEW, "again": NEW}
    assert responder.post("/password", data=form).status_code == 403
    assert tocsin.accounts.authenticate("ann", PASSWORD).username == "ann"
