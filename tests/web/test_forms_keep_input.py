"""Every web form refused with an error comes back holding what was typed: the declare form,
each action on the incident page, silences, maintenance windows and the login name (the
schedule's override form: test_oncall_pages.py). Passwords are the exception, on purpose:
a page never writes a password back into its HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, csrf_in, session_csrf
from tocsin.bootstrap import Tocsin
from tocsin.core.incident import Incident
from tocsin.core.rules import TEXT_MAX


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tocsin.db'}"  # the pages, not the store: one database


TOO_LONG = "x" * TEXT_MAX + " kept"  # over the limit, so refused, with a recognisable end

# path, the fields posted, what the refused page must hold
CASES: list[tuple[str, dict[str, str], list[str]]] = [
    (
        "/incidents/new",
        {
            "title": "Checkout <down>",
            "severity": "P9",
            "services": "checkout, api",
            "impact": "all carts",
        },
        ['value="Checkout &lt;down&gt;"', 'value="checkout, api"', ">all carts</textarea>"],
    ),
    ("/incidents/INC-1/update", {"text": TOO_LONG}, [f">{TOO_LONG}</textarea>"]),
    ("/incidents/INC-1/note", {"text": TOO_LONG}, [f">{TOO_LONG}</textarea>"]),
    ("/incidents/INC-1/mitigate", {"action": TOO_LONG}, [f'value="{TOO_LONG}"']),
    (
        "/incidents/INC-1/severity",
        {"severity": "P1", "reason": TOO_LONG},
        ['<option value="P1" selected>', f'value="{TOO_LONG}"'],
    ),
    (
        "/incidents/INC-1/roles",
        {"role": "scribe", "person": "not a handle!"},
        ['<option value="scribe" selected>', 'value="not a handle!"'],
    ),
    (
        "/incidents/INC-1/resolve",
        {"root_cause": "", "fix": "restarted <it>"},
        [">restarted &lt;it&gt;</textarea>"],
    ),
    (
        "/alerts/silences",
        {"matchers": "alertname=Disk\nenv=prod", "duration": "soon", "comment": "resizing <disk>"},
        [">alertname=Disk\nenv=prod</textarea>", 'value="soon"', 'value="resizing &lt;disk&gt;"'],
    ),
    (
        "/alerts/maintenance",
        {"service": "db", "duration": "forever", "comment": "vacuum"},
        ['id="m-service" name="service" value="db"', 'value="forever"', 'value="vacuum"'],
    ),
]


def test_every_refused_form_keeps_what_was_typed(
    responder: TestClient, tocsin: Tocsin, incident: Incident
) -> None:
    for path, fields, kept in CASES:
        answer = responder.post(path, data={"csrf": session_csrf(responder), **fields})
        assert (path, answer.status_code) == (path, 422), answer.text[:2000]
        assert re.search(r'role="alert"', answer.text), path
        for html in kept:
            assert html in answer.text, (path, html)
    assert tocsin.incidents.get("INC-1").version == incident.version  # nothing was changed


def test_a_refused_filter_keeps_the_search_and_the_service(responder: TestClient) -> None:
    answer = responder.get(
        "/incidents", params={"status": "bogus", "q": "disk <full>", "service": "db"}
    )
    assert answer.status_code == 422
    assert 'name="q" type="search" value="disk &lt;full&gt;"' in answer.text
    assert 'id="f-service" name="service" value="db"' in answer.text


def test_a_failed_login_keeps_the_name_and_never_the_password(
    api: TestClient, tocsin: Tocsin, people: None
) -> None:
    form = api.get("/login").text
    data = {"username": "ann", "password": "wrong " + PASSWORD, "csrf": csrf_in(form), "next": "/"}
    answer = api.post("/login", data=data)
    assert answer.status_code in (401, 403, 422)
    assert 'name="username" value="ann"' in answer.text
    assert PASSWORD not in answer.text
