"""Web page fixtures: people with each role, logged-in clients, and an incident to act on."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx2
import pytest
from fastapi.testclient import TestClient

from tocsin.bootstrap import Tocsin
from tocsin.core.incident import Incident
from tocsin.core.scope import Scope

PASSWORD = "correct horse battery staple"  # noqa: S105 - a test account
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_in(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(
    client: TestClient, username: str, password: str = PASSWORD, next_: str = "/"
) -> httpx2.Response:
    """What a browser does: load the form (which sets its token cookie), then post it."""
    form = client.get("/login", params={"next": next_})
    data = {"username": username, "password": password, "csrf": csrf_in(form.text), "next": next_}
    return client.post("/login", data=data, follow_redirects=False)


def session_csrf(client: TestClient) -> str:
    """The session's CSRF token, from the log-out form every page carries."""
    return csrf_in(client.get("/").text)


@pytest.fixture
def people(tocsin: Tocsin) -> None:
    tocsin.accounts.create_user("ann", PASSWORD, "responder")
    tocsin.accounts.create_user("vic", PASSWORD, "viewer")


@pytest.fixture
def responder(api: TestClient, people: None) -> TestClient:
    assert login(api, "ann").status_code == 303
    return api


@pytest.fixture
def viewer(api: TestClient, people: None) -> Iterator[TestClient]:
    with TestClient(api.app, raise_server_exceptions=False) as client:
        assert login(client, "vic").status_code == 303
        yield client


@pytest.fixture
def incident(tocsin: Tocsin) -> Incident:
    scope = Scope(services=("checkout",))
    return tocsin.incidents.declare("ann", "Checkout is slow", "P2", scope).incident
