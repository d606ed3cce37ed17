"""People and their credentials: disabling revokes everything a user holds, enabling gives the
account back (not its old tokens), passwords change and reset, and the last admin stays."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FAST_HASHER, bearer
from tocsin.api.app import create_app
from tocsin.api.deps import CSRF_HEADER, SESSION_COOKIE
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin, build
from tocsin.core.access import Unauthenticated
from tocsin.core.errors import DomainError

API = "/api/v1"
PHRASE = "a long passphrase"
NEW_PHRASE = "another long passphrase"
JSON = {"content-type": "application/json"}
TIMEOUT = 10  # seconds: a bound on waiting for the other thread, never a sleep


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    problem: dict[str, Any] = response.json()["error"]
    return problem


def session_of(tocsin: Tocsin, client: TestClient, username: str, password: str = PHRASE) -> str:
    """Logs `username` in on `client` (the cookie is set); returns the CSRF token."""
    user = tocsin.accounts.authenticate(username, password)
    secret, found = tocsin.accounts.start_session(user)
    client.cookies.set(SESSION_COOKIE, secret)
    return found.csrf


@pytest.fixture
def root(role_tokens: dict[str, str]) -> dict[str, str]:
    """An admin token made on the server (no person behind it)."""
    return bearer(role_tokens["admin"])


@pytest.fixture
def ada(tocsin: Tocsin, api: TestClient) -> Iterator[TestClient]:
    """An admin person logged in to the web UI, calling the API with her session."""
    tocsin.accounts.create_user("ada", PHRASE, "admin")
    with TestClient(api.app, raise_server_exceptions=False) as client:
        client.headers[CSRF_HEADER] = session_of(tocsin, client, "ada")
        yield client


def token_of(
    client: TestClient, name: str, role: str = "admin", headers: dict[str, str] | None = None
) -> str:
    made = client.post(f"{API}/tokens", json={"name": name, "role": role}, headers=headers)
    assert made.status_code == 201, made.text
    secret: str = made.json()["token"]
    return secret


def new_user(api: TestClient, auth: dict[str, str], name: str) -> int:
    body = {"username": name, "password": PHRASE, "role": "admin"}
    return api.post(f"{API}/users", json=body, headers=auth).status_code


# -- disabling ---------------------------------------------------------------------------


def test_a_disabled_admins_tokens_stop_creating_admins(
    api: TestClient, root: dict[str, str], ada: TestClient, tocsin: Tocsin
) -> None:
    own = token_of(ada, "ada-laptop")
    child = token_of(api, "ada-ci", headers=bearer(own))  # made with her token: hers too
    assert new_user(api, bearer(own), "mallet") == 201

    disabled = api.patch(f"{API}/users/ada", json={"disabled": True}, headers=root)
    assert (disabled.status_code, disabled.json()["disabled"]) == (200, True)

    for secret in (own, child):
        assert error(api.get(f"{API}/me", headers=bearer(secret)), 401)
        assert new_user(api, bearer(secret), "mallory") == 401
    assert ada.get(f"{API}/me").status_code == 401  # her session ended too
    tokens = {t["name"]: t for t in api.get(f"{API}/tokens", headers=root).json()}
    assert tokens["ada-laptop"]["revoked_at"] == tokens["ada-ci"]["revoked_at"] is not None
    assert (tokens["ada-laptop"]["owner"], tokens["ada-ci"]["owner"]) == ("ada", "ada")
    assert tokens["admin-token"]["revoked_at"] is None  # nobody's token: untouched
    assert [u["username"] for u in api.get(f"{API}/users", headers=root).json()] == [
        "ada",
        "mallet",
    ]


def test_another_process_refuses_a_disabled_users_token_for_writes_at_once(
    api: TestClient, root: dict[str, str], ada: TestClient, tocsin: Tocsin, tmp_path: Path,
    database_url: str, clock: ManualClock,
) -> None:  # fmt: skip
    tocsin.accounts.create_user("bob", PHRASE, "admin")  # so ada is not the last admin
    own = token_of(ada, "ada-laptop")
    env = {"TOCSIN_CONFIG": str(tmp_path / "tocsin.yaml"), "TOCSIN_DATABASE_URL": database_url}
    other = build(env=env, cwd=tmp_path, clock=clock, hasher=FAST_HASHER, migrate=False)
    try:
        with TestClient(create_app(other), raise_server_exceptions=False) as elsewhere:
            assert elsewhere.get(f"{API}/users", headers=bearer(own)).status_code == 200  # cached
            assert api.patch(f"{API}/users/ada", json={"disabled": True}, headers=root).is_success
            assert new_user(elsewhere, bearer(own), "mallory") == 401
    finally:
        other.engine.dispose()


def test_a_demoted_users_tokens_act_with_the_users_new_role(
    api: TestClient, root: dict[str, str], ada: TestClient, tocsin: Tocsin
) -> None:
    tocsin.accounts.create_user("bob", PHRASE, "admin")  # so ada is not the last admin
    own = token_of(ada, "ada-laptop", role="admin")
    assert api.patch(f"{API}/users/ada", json={"role": "viewer"}, headers=root).is_success
    me = api.get(f"{API}/me", headers=bearer(own)).json()
    assert (me["name"], me["role"], me["user"]) == ("token:ada-laptop", "viewer", "ada")
    assert new_user(api, bearer(own), "mallory") == 403
    assert api.get(f"{API}/incidents", headers=bearer(own)).status_code == 200


def test_a_disabled_user_can_be_enabled_again_without_their_old_tokens(
    api: TestClient, root: dict[str, str], ada: TestClient, tocsin: Tocsin
) -> None:
    tocsin.accounts.create_user("bob", PHRASE, "admin")  # so ada is not the last admin
    own = token_of(ada, "ada-laptop")
    assert api.patch(f"{API}/users/ada", json={"disabled": True}, headers=root).is_success
    with pytest.raises(Unauthenticated):
        tocsin.accounts.authenticate("ada", PHRASE)

    enabled = api.patch(f"{API}/users/ada", json={"disabled": False}, headers=root)
    assert (enabled.status_code, enabled.json()["disabled"]) == (200, False)
    assert tocsin.accounts.authenticate("ada", PHRASE).username == "ada"
    assert api.get(f"{API}/me", headers=bearer(own)).status_code == 401  # revoked stays revoked


# -- the last admin ----------------------------------------------------------------------


def test_the_last_enabled_admin_can_be_neither_disabled_nor_demoted(
    api: TestClient, root: dict[str, str], tocsin: Tocsin
) -> None:
    tocsin.accounts.create_user("ada", PHRASE, "admin")
    tocsin.accounts.create_user("bob", PHRASE, "admin")
    assert api.patch(f"{API}/users/bob", json={"disabled": True}, headers=root).is_success
    for change in ({"disabled": True}, {"role": "responder"}):
        problem = error(api.patch(f"{API}/users/ada", json=change, headers=root), 409)
        assert problem["message"] == (
            "ada is the last enabled admin; make another user admin first "
            "(tocsin user role NAME admin)"
        )
    users = {u["username"]: u for u in api.get(f"{API}/users", headers=root).json()}
    assert (users["ada"]["role"], users["ada"]["disabled"]) == ("admin", False)
    assert api.patch(f"{API}/users/bob", json={"disabled": False}, headers=root).is_success
    assert api.patch(f"{API}/users/ada", json={"role": "responder"}, headers=root).is_success


def test_two_admins_disabling_each_other_at_once_leave_one(tocsin: Tocsin) -> None:
    tocsin.accounts.create_user("ada", PHRASE, "admin")
    tocsin.accounts.create_user("bob", PHRASE, "admin")
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def disable(name: str) -> None:
        start.wait(TIMEOUT)
        try:
            tocsin.accounts.disable(name)
            outcomes[name] = "disabled"
        except DomainError as exc:
            outcomes[name] = str(exc)

    threads = [threading.Thread(target=disable, args=(n,)) for n in ("ada", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    won, lost = sorted(outcomes.values(), key=lambda outcome: outcome != "disabled")
    assert won == "disabled"
    assert "is the last enabled admin" in lost
    assert len([u for u in tocsin.accounts.users() if not u.disabled]) == 1


# -- passwords ---------------------------------------------------------------------------


def test_a_user_changes_their_own_password_and_their_sessions_end(
    api: TestClient, ada: TestClient, tocsin: Tocsin
) -> None:
    other_tab = TestClient(api.app, raise_server_exceptions=False)
    session_of(tocsin, other_tab, "ada")
    body = {"current_password": PHRASE, "new_password": NEW_PHRASE}

    changed = ada.post(f"{API}/me/password", json=body)

    assert (changed.status_code, changed.json()["username"]) == (200, "ada")
    assert tocsin.accounts.authenticate("ada", NEW_PHRASE).username == "ada"
    with pytest.raises(Unauthenticated):
        tocsin.accounts.authenticate("ada", PHRASE)
    assert other_tab.get(f"{API}/me").status_code == 401
    assert ada.get(f"{API}/me").status_code == 401  # this one too: log in with the new one


def test_changing_a_password_needs_the_current_one_and_is_throttled(
    ada: TestClient, tocsin: Tocsin
) -> None:
    weak = {"current_password": "not the password", "new_password": " " * 12}
    problem = error(ada.post(f"{API}/me/password", json=weak), 422)
    assert problem["message"].startswith("new_password is only spaces; use 12 or more")
    body = {"current_password": "not the password", "new_password": NEW_PHRASE}
    for _ in range(5):  # the weak one above was refused before any password check
        problem = error(ada.post(f"{API}/me/password", json=body), 422)
        assert problem["message"].startswith("current_password is wrong")
    problem = error(ada.post(f"{API}/me/password", json={**body, "current_password": PHRASE}), 429)
    assert "too many failed password checks" in problem["message"]
    assert tocsin.accounts.authenticate("ada", PHRASE).username == "ada"


def test_a_token_changes_its_owners_password_and_a_nobodys_token_is_told_why(
    api: TestClient, root: dict[str, str], ada: TestClient, tocsin: Tocsin
) -> None:
    own = token_of(ada, "ada-laptop", role="viewer")
    body = {"current_password": PHRASE, "new_password": NEW_PHRASE}
    changed = api.post(f"{API}/me/password", json={**body, "username": "ada"}, headers=bearer(own))
    assert changed.status_code == 200
    assert tocsin.accounts.authenticate("ada", NEW_PHRASE).username == "ada"

    not_hers = api.post(f"{API}/me/password", json={**body, "username": "bob"}, headers=bearer(own))
    assert error(not_hers, 403)["message"] == (
        "token:ada-laptop acts for ada, not bob; an admin resets another user's password "
        "with `tocsin user reset-password bob`"
    )
    nobodys = error(api.post(f"{API}/me/password", json=body, headers=root), 409)
    assert nobodys["message"] == (
        "token:admin-token belongs to no user, so it has no password to change; "
        "an admin resets one with `tocsin user reset-password NAME`"
    )


def test_an_admin_resets_a_password_and_the_users_sessions_end(
    api: TestClient, root: dict[str, str], ada: TestClient, tocsin: Tocsin
) -> None:
    reset = api.post(f"{API}/users/ada/password", json={"password": NEW_PHRASE}, headers=root)
    assert (reset.status_code, reset.json()["username"]) == (200, "ada")
    assert tocsin.accounts.authenticate("ada", NEW_PHRASE).username == "ada"
    assert ada.get(f"{API}/me").status_code == 401
    missing = api.post(f"{API}/users/nobody/password", json={"password": NEW_PHRASE}, headers=root)
    assert error(missing, 404)["message"].startswith("no user nobody")


@pytest.mark.parametrize(
    ("password", "says"),
    [
        (" " * 12, "password is only spaces"),
        ("\t \n" * 5, "password is only spaces"),
        ("short", "password is too short (5 characters); use 12 or more characters"),
        ("aaaaaaaaaaaa", "password is mostly repeats and runs"),
        ("abababababab", "password is mostly repeats and runs"),
        ("123456789012", "password is mostly repeats and runs"),
        ("qwertyuiop12", "password is mostly repeats and runs"),
        ("Password1234", "password is built on 'password', a common password"),
        ("P@ssw0rd2026!", "password is built on 'password', a common password"),
        ("letmeinletmein", "password is built on 'letmein', a common password"),
        ("ada's own secret", "password contains the username"),
        ("a long pass\x00phrase", "password contains U+0000, which a password cannot hold"),
    ],
)
def test_weak_passwords_are_refused_naming_the_rule(
    api: TestClient, root: dict[str, str], tocsin: Tocsin, password: str, says: str
) -> None:
    tocsin.accounts.create_user("ada", PHRASE, "viewer")
    body = {"username": "ada", "password": password, "role": "viewer"}  # the rule comes first
    created = error(
        api.post(f"{API}/users", content=json.dumps(body), headers={**root, **JSON}), 422
    )
    url = f"{API}/users/ada/password"
    reset = error(
        api.post(url, content=json.dumps({"password": password}), headers={**root, **JSON}), 422
    )
    for problem in (created, reset):
        assert says in problem["message"]
        assert "use 12 or more characters that are not a common password" in problem["message"]
    assert [u.username for u in tocsin.accounts.users()] == ["ada"]


# -- odd input ---------------------------------------------------------------------------


ODD: list[tuple[str, str, object]] = [
    ("PATCH", f"{API}/users/ada", {"disabled": "maybe"}),
    ("PATCH", f"{API}/users/ada", {"role": "root"}),
    ("POST", f"{API}/users/ada/password", {}),
    ("POST", f"{API}/users/ada/password", {"password": 12}),
    ("POST", f"{API}/users/ada/password", {"password": "x" * 2000}),
    ("POST", f"{API}/users/%00/password", {"password": NEW_PHRASE}),
    ("PATCH", f"{API}/users/ada%00", {"disabled": False}),
    ("POST", f"{API}/users/ada/password", {"password": "\ud800" * 12}),
    ("POST", f"{API}/users", {"username": "nina", "password": "\ud800" * 12, "role": "viewer"}),
    ("POST", f"{API}/me/password", {}),
    ("POST", f"{API}/me/password", {"current_password": "\ud800", "new_password": NEW_PHRASE}),
    ("POST", f"{API}/me/password", {"current_password": PHRASE, "new_password": "\x00" * 12}),
    ("POST", f"{API}/me/password", [1, 2]),
]


def test_odd_account_input_is_a_4xx_naming_the_field(
    api: TestClient, root: dict[str, str], ada: TestClient
) -> None:
    problems = []
    for method, url, body in ODD:
        client, headers = (ada, {}) if "/me/" in url else (api, root)
        sent = client.request(method, url, content=json.dumps(body), headers={**headers, **JSON})
        message = sent.json()["error"]["message"] if sent.status_code < 500 else ""
        if not 400 <= sent.status_code < 500 or not message:
            problems.append(f"{method} {url} {body!r}: {sent.status_code} {sent.text[:200]}")
    assert problems == []
