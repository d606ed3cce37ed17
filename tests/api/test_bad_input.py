"""Bad input gets a 4xx that names the problem, never a 500, and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer
from tocsin.api.limits import MAX_BODY
from tocsin.bootstrap import Tocsin
from tocsin.core.access import Unauthenticated

API = "/api/v1"
JSON = {"content-type": "application/json"}


@pytest.fixture
def auth(role_tokens: dict[str, str]) -> dict[str, str]:
    return bearer(role_tokens["admin"])


@pytest.fixture
def incident(api: TestClient, auth: dict[str, str]) -> dict[str, Any]:
    created = api.post(
        f"{API}/incidents", json={"title": "Slow API", "severity": "P2"}, headers=auth
    )
    assert created.status_code == 201
    return dict(created.json())


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()["error"]
    return found


def total(api: TestClient, auth: dict[str, str]) -> int:
    return int(api.get(f"{API}/incidents", headers=auth).json()["total"])


def test_malformed_json_says_where_it_broke(api: TestClient, auth: dict[str, str]) -> None:
    sent = api.post(f"{API}/incidents", content=b'{"title": "x",', headers={**auth, **JSON})
    problem = error(sent, 422)
    assert problem["kind"] == "invalid_input"
    assert problem["message"].startswith("body: invalid JSON at character 14")
    assert problem["fields"][0]["field"] == "body"


WRONG_TYPES: list[tuple[dict[str, Any], str]] = [
    ({"title": "x", "scope": {"services": "api"}}, "scope.services"),
    ({"title": "x", "labels": ["db", 3]}, "labels.1"),
    ({"title": ["x"]}, "title"),
    ({"title": "x", "impact": {"customer_impact": "maybe"}}, "impact.customer_impact"),
    ({"severity": "P1"}, "title"),
]


def test_a_wrong_type_names_the_field_path(api: TestClient, auth: dict[str, str]) -> None:
    for body, field in WRONG_TYPES:
        problem = error(api.post(f"{API}/incidents", json=body, headers=auth), 422)
        assert field in [f["field"] for f in problem["fields"]], body
        assert problem["message"].startswith(f"{field}: "), body
    assert total(api, auth) == 0


def test_unknown_fields_are_named(api: TestClient, auth: dict[str, str]) -> None:
    body = {"title": "x", "colour": "red", "scope": {"services": ["api"], "region": "eu"}}
    problem = error(api.post(f"{API}/incidents", json=body, headers=auth), 422)
    assert {f["field"] for f in problem["fields"]} == {"colour", "scope.region"}
    assert "colour" in problem["message"]
    assert "scope.region" in problem["message"]


def test_a_body_over_1_mib_with_content_length_is_413(
    api: TestClient, auth: dict[str, str]
) -> None:
    sent = api.post(f"{API}/incidents", content=b" " * (MAX_BODY + 1), headers={**auth, **JSON})
    assert error(sent, 413)["kind"] == "too_large"
    assert total(api, auth) == 0


def chunks(size: int) -> Iterator[bytes]:
    yield b'{"title": "'
    for _ in range(size // 65536 + 1):
        yield b"x" * 65536
    yield b'"}'


def test_a_chunked_body_over_1_mib_is_413(api: TestClient, auth: dict[str, str]) -> None:
    sent = api.post(f"{API}/incidents", content=chunks(MAX_BODY), headers={**auth, **JSON})
    assert "content-length" not in sent.request.headers
    assert sent.request.headers["transfer-encoding"] == "chunked"
    problem = error(sent, 413)
    assert (problem["kind"], problem["message"]) == ("too_large", f"body over {MAX_BODY} bytes")
    assert total(api, auth) == 0


def test_a_chunked_body_under_the_limit_is_read(api: TestClient, auth: dict[str, str]) -> None:
    sent = api.post(f"{API}/incidents", content=chunks(1000), headers={**auth, **JSON})
    assert error(sent, 422)["fields"][0]["field"] == "title"  # too long a title, not too large


def test_a_stale_version_is_409(
    api: TestClient, auth: dict[str, str], incident: dict[str, Any]
) -> None:
    url = f"{API}/incidents/{incident['id']}/notes"
    first = api.post(url, json={"text": "one", "version": incident["version"]}, headers=auth)
    assert first.status_code == 200
    stale = api.post(url, json={"text": "two", "version": incident["version"]}, headers=auth)
    problem = error(stale, 409)
    assert problem["kind"] == "conflict"
    assert f"changed since version {incident['version']}" in problem["message"]


def test_wrong_password_and_unknown_user_fail_alike(tocsin: Tocsin) -> None:
    tocsin.accounts.create_user("alice", "a long passphrase", "viewer")
    with pytest.raises(Unauthenticated) as wrong:
        tocsin.accounts.authenticate("alice", "not her passphrase")
    with pytest.raises(Unauthenticated) as unknown:
        tocsin.accounts.authenticate("nobody", "not her passphrase")
    assert str(wrong.value) == str(unknown.value)


def log_in(api: TestClient, username: str, password: str) -> Any:
    api.get("/login")
    form = {"username": username, "password": password, "csrf": api.cookies["tocsin_login"]}
    return api.post("/login", data=form, follow_redirects=False)


def test_the_login_page_answers_a_wrong_password_and_an_unknown_user_alike(
    api: TestClient, tocsin: Tocsin
) -> None:
    tocsin.accounts.create_user("alice", "a long passphrase", "viewer")
    wrong = log_in(api, "alice", "not her passphrase")
    unknown = log_in(api, "mallory", "not her passphrase")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.text.replace("alice", "NAME") == unknown.text.replace("mallory", "NAME")
    assert "tocsin_session" not in api.cookies
    assert log_in(api, "alice", "a long passphrase").status_code == 303


def test_a_revoked_token_is_401(api: TestClient, auth: dict[str, str], tocsin: Tocsin) -> None:
    token, secret = tocsin.accounts.create_token("short-lived", "responder", "tests")
    assert api.get(f"{API}/me", headers=bearer(secret)).status_code == 200
    assert api.delete(f"{API}/tokens/{token.id}", headers=auth).status_code == 200
    problem = error(api.get(f"{API}/me", headers=bearer(secret)), 401)
    assert problem["message"] == "invalid or revoked token"


def test_pagination_limits_are_422(api: TestClient, auth: dict[str, str]) -> None:
    cases = [("limit=0", "limit"), ("limit=100000", "limit"), ("offset=-1", "offset")]
    for query, field in [*cases, ("limit=x", "limit")]:
        problem = error(api.get(f"{API}/incidents?{query}", headers=auth), 422)
        assert [f["field"] for f in problem["fields"]] == [field], query


def test_since_needs_a_timezone(api: TestClient, auth: dict[str, str]) -> None:
    naive = error(api.get(f"{API}/incidents?since=2026-11-22T03:00:00", headers=auth), 422)
    assert "since: give a timezone" in naive["message"]
    aware = api.get(f"{API}/incidents", params={"since": "2026-11-22T03:00:00+01:00"}, headers=auth)
    assert aware.status_code == 200


def test_an_unknown_incident_is_404(api: TestClient, auth: dict[str, str]) -> None:
    problem = error(api.get(f"{API}/incidents/INC-99", headers=auth), 404)
    assert problem["kind"] == "not_found"
    assert problem["message"].startswith("no incident INC-99")


SURROGATE_USER = b'{"username": "\\ud800", "password": "0123456789ab", "role": "viewer"}'
ODD: list[tuple[str, str, bytes | None]] = [
    ("GET", f"{API}/incidents/INC-999999999999", None),
    ("GET", f"{API}/incidents/%00", None),
    ("GET", f"{API}/incidents/{'9' * 5000}", None),
    ("GET", f"{API}/incidents?since=0001-01-01T00:00:00%2B01:00", None),
    ("GET", f"{API}/incidents?since=9999-12-31T23:59:59-01:00", None),
    ("GET", f"{API}/incidents?severity={'x' * 21}", None),
    ("DELETE", f"{API}/tokens/99999999999999999999", None),
    ("DELETE", f"{API}/tokens/-1", None),
    ("PATCH", f"{API}/users/nobody", b"{}"),
    ("PATCH", f"{API}/users/%20nobody", b'{"role": "admin"}'),
    ("POST", f"{API}/incidents/INC-1/notes", b'{"text": "x", "version": 99999999999999999999}'),
    ("POST", f"{API}/incidents/INC-1/scope", b'{"version": 99999999999999999999}'),
    ("POST", f"{API}/incidents", b"null"),
    ("POST", f"{API}/incidents", b"[]"),
    ("POST", f"{API}/incidents", b"\xff\xfe"),
    ("POST", f"{API}/incidents", b'{"title": "\\u0000"}'),
    ("POST", f"{API}/incidents", b'{"title": "x", "commander": "not a handle!"}'),
    ("POST", f"{API}/users", SURROGATE_USER),
    ("POST", f"{API}/incidents", b'{"title": "API down\\n## Root Cause"}'),
    ("POST", f"{API}/incidents", b'{"title": "\\u202eAPI down"}'),
    ("POST", f"{API}/incidents", b'{"title": "x", "scope": {"services": ["Payments API"]}}'),
    ("POST", f"{API}/tokens", b'{"name": "ci\\nbot", "role": "viewer"}'),
]  # fmt: skip


def test_odd_input_is_a_4xx_never_a_server_error(
    api: TestClient, auth: dict[str, str], incident: dict[str, Any]
) -> None:
    problems = []
    for method, url, body in ODD:
        sent = api.request(method, url, content=body, headers={**auth, **JSON})
        if not 400 <= sent.status_code < 500 or not sent.json()["error"]["message"]:
            problems.append(f"{method} {url[:80]} {body!r}: {sent.status_code} {sent.text[:200]}")
    assert problems == []


def test_a_user_is_found_however_the_name_is_written(
    api: TestClient, auth: dict[str, str], tocsin: Tocsin
) -> None:
    tocsin.accounts.create_user("spare", "a long passphrase", "viewer")
    for written in ("spare", "@spare", "%20spare"):
        changed = api.patch(f"{API}/users/{written}", json={"role": "responder"}, headers=auth)
        assert (changed.status_code, changed.json()["username"]) == (200, "spare"), written


def test_a_body_that_is_not_utf8_is_422(api: TestClient, auth: dict[str, str]) -> None:
    sent = api.post(f"{API}/incidents", content=b'{"title": "\xff"}', headers={**auth, **JSON})
    problem = error(sent, 422)
    assert problem["message"] == "body: invalid JSON: not UTF-8 at byte 11"


def test_since_must_be_an_iso_time_not_a_number(api: TestClient, auth: dict[str, str]) -> None:
    problem = error(api.get(f"{API}/incidents?since=0.5", headers=auth), 422)
    assert problem["fields"][0]["field"] == "since"
    assert "ISO 8601" in problem["message"]


def test_a_wrong_method_lists_every_method_the_path_takes(
    api: TestClient, auth: dict[str, str]
) -> None:
    refused = api.request("OPTIONS", f"{API}/users", headers=auth)
    assert error(refused, 405)["kind"] == "method_not_allowed"
    assert refused.headers["Allow"] == "GET, POST"
