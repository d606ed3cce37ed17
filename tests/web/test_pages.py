"""The pages and their forms: each form changes the incident through the same use case as
the API, refuses without the session's CSRF token or the responder role, and shows domain
errors on the page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.support.postmortems import publish
from tests.web.conftest import session_csrf
from tocsin.app.clock import ManualClock
from tocsin.app.ports import IncidentFilter
from tocsin.bootstrap import Tocsin
from tocsin.core.incident import Incident
from tocsin.core.lifecycle import Status
from tocsin.core.scope import Scope
from tocsin.core.timeline import TimelineEntry

Check = Callable[[Incident, list[TimelineEntry]], bool]


def alert_text(html: str) -> str:
    found = re.search(r'role="alert"[^>]*>([^<]*)<', html)
    assert found, "no alert on the page"
    return found.group(1)


def pasted_message(html: str) -> str:
    found = re.search(r'<pre id="message-text">([^<]*)</pre>', html)
    assert found, "no message ready to paste"
    return found.group(1)


def post(client: TestClient, path: str, **fields: str) -> tuple[int, str]:
    answer = client.post(path, data={"csrf": session_csrf(client), **fields})
    return answer.status_code, answer.text


# -- pages ---------------------------------------------------------------------------------


def test_the_incident_page_shows_the_header_and_the_timeline(
    responder: TestClient, incident: Incident, clock: ManualClock
) -> None:
    clock.advance(timedelta(minutes=20))
    html = responder.get("/incidents/INC-1").text
    assert "Checkout is slow" in html
    assert "🟡 P2 (High)" in html
    assert "Investigating" in html
    assert "20m" in html
    assert "5m over the 15m target" in html
    assert "checkout" in html
    assert 'aria-live="polite"' in html
    assert 'data-events="/incidents/INC-1/events?after=2"' in html
    assert html.count('class="entry ') == 2  # declared, and the announcement


def test_pages_carry_a_content_security_policy(responder: TestClient, incident: Incident) -> None:
    answer = responder.get("/incidents/INC-1")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"
    assert "<script>" not in answer.text  # every script is a file under /static
    assert responder.get("/static/tocsin.js").status_code == 200
    assert responder.get("/static/tocsin.css").status_code == 200


def test_an_unknown_incident_is_a_404_page(responder: TestClient) -> None:
    answer = responder.get("/incidents/INC-99")
    assert answer.status_code == 404
    assert "No incident INC-99." in answer.text


def test_the_dashboard_shows_time_against_the_response_target(
    responder: TestClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    tocsin.incidents.declare("ann", "Payments down", "P1")
    tocsin.incidents.declare("ann", "Slow search", "P3")
    clock.advance(timedelta(minutes=6))
    html = responder.get("/").text
    assert "2 open, 2 not acknowledged" in html
    assert "1 past the response target" in html
    assert re.search(r'class="card sev-0 is-overdue">\s*<a [^>]*>.*Payments down', html)
    assert "1m over the 5m target" in html
    assert "54m left of 1h" in html  # P3 is still within its target
    tocsin.incidents.acknowledge("INC-1", "ann")
    html = responder.get("/").text
    assert "Acknowledged by ann after 6m" in html
    assert "past the response target" not in html


def test_the_list_filters_and_pages(responder: TestClient, tocsin: Tocsin) -> None:
    for n in range(27):
        scope = Scope(services=("search" if n % 2 else "checkout",))
        tocsin.incidents.declare("ann", f"Incident number {n + 1}", "P3", scope)
    tocsin.incidents.declare("ann", "Payments down", "P1")
    tocsin.incidents.resolve("INC-28", "ann")
    first = responder.get("/incidents").text
    assert "27 incidents, page 1 of 2" in first
    assert "Payments down" not in first
    assert first.count("<tr class=") == 25
    assert 'rel="next"' in first
    second = responder.get("/incidents", params={"page": "2"}).text
    assert second.count("<tr class=") == 2
    everything = responder.get("/incidents", params={"status": "all", "severity": "P1"}).text
    assert "1 incident." in everything
    assert "Payments down" in everything
    search = responder.get("/incidents", params={"service": "search"}).text
    assert "13 incidents." in search


def test_an_unknown_filter_is_explained_not_a_500(responder: TestClient) -> None:
    answer = responder.get("/incidents", params={"severity": "P9"})
    assert answer.status_code == 422  # invalid input, as the API answers it
    assert "unknown severity 'P9'" in alert_text(answer.text).replace("&#39;", "'")


def test_user_text_is_escaped_everywhere(responder: TestClient, tocsin: Tocsin) -> None:
    title = "<script>alert(1)</script>"
    status, _ = post(responder, "/incidents/new", title=title, severity="P1")
    assert status == 200
    post(responder, "/incidents/INC-1/note", text='<img src=x onerror="alert(2)">')
    for path in ("/", "/incidents", "/incidents/INC-1"):
        html = responder.get(path).text
        assert title not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in responder.get("/incidents/INC-1").text


# -- forms ---------------------------------------------------------------------------------


def test_declaring_shows_the_announcement_ready_to_paste(
    responder: TestClient, tocsin: Tocsin
) -> None:
    answer = responder.post(
        "/incidents/new",
        data={
            "csrf": session_csrf(responder),
            "title": "API returning 500s",
            "severity": "P1",
            "services": "api, web",
            "all_tenants": "yes",
            "impact": "Checkout fails for everyone",
            "customer_impact": "yes",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/incidents/INC-1?message=2#message"
    incident = tocsin.incidents.get("INC-1")
    assert (incident.severity, incident.scope.services, incident.scope.all_tenants) == (
        "P1",
        ("api", "web"),
        True,
    )
    assert incident.impact.customer_impact is True
    message = pasted_message(responder.get(answer.headers["location"]).text)
    assert message.startswith("🚨 INCIDENT: API returning 500s")
    assert "Impact: Checkout fails for everyone" in message


STEPS: list[tuple[str, dict[str, str], Check, str | None]] = [
    ("ack", {}, lambda i, t: i.acknowledged_by == "ann", None),
    ("update", {"text": "Rolling back"}, lambda i, t: t[-2].text == "Rolling back", "🔄 UPDATE"),
    ("severity", {"severity": "P1", "reason": "spreading"}, lambda i, t: i.severity == "P1", None),
    (
        "roles",
        {"role": "commander", "person": "bob"},
        lambda i, t: i.roles["commander"] == "bob",
        None,
    ),
    ("roles", {"role": "commander", "person": ""}, lambda i, t: i.roles == {}, None),
    ("mitigate", {"action": "rollback"}, lambda i, t: i.mitigation == "rollback", "🛠️ MITIGATED"),
    (
        "resolve",
        {"root_cause": "bad deploy", "fix": "reverted"},
        lambda i, t: (i.status, i.root_cause, i.fix) == (Status.RESOLVED, "bad deploy", "reverted"),
        "✅ RESOLVED",
    ),
    ("close", {}, lambda i, t: i.status is Status.CLOSED, None),
    ("reopen", {"reason": "back again"}, lambda i, t: i.status is Status.INVESTIGATING, None),
    (
        "note",
        {"text": "watching the graphs"},
        lambda i, t: t[-1].text == "watching the graphs",
        None,
    ),
]


def test_each_form_changes_the_incident(
    responder: TestClient, tocsin: Tocsin, incident: Incident
) -> None:
    for action, fields, check, message in STEPS:
        if action == "close":  # P1 requires a published post-mortem first
            publish(tocsin, "INC-1")
        before = tocsin.incidents.get("INC-1").version
        data = {"csrf": session_csrf(responder), **fields}
        answer = responder.post(f"/incidents/INC-1/{action}", data=data, follow_redirects=False)
        assert answer.status_code == 303, (action, answer.text)
        after = tocsin.incidents.get("INC-1")
        assert after.version > before, action
        assert check(after, tocsin.incidents.timeline("INC-1")), (action, after)
        page = responder.get(answer.headers["location"]).text
        if message:
            assert pasted_message(page).startswith(message), action
        else:
            assert "Message ready to paste" not in page
    kinds = [e.kind.value for e in tocsin.incidents.timeline("INC-1")]
    assert kinds.count("message") == 4  # announcement, update, mitigated, resolved


@pytest.mark.parametrize(
    ("action", "fields", "status", "says"),
    [
        ("close", {}, 409, "cannot close INC-1: it is investigating; allowed now:"),
        ("note", {"text": "   "}, 422, "note is empty"),
        ("severity", {"severity": "P9"}, 422, "unknown severity"),
        ("roles", {"role": "janitor", "person": "bob"}, 422, "unknown role"),
        ("frobnicate", {}, 404, "There is no such action on an incident."),
    ],
)
def test_a_refused_action_is_shown_on_the_page(
    responder: TestClient,
    tocsin: Tocsin,
    incident: Incident,
    action: str,
    fields: dict[str, str],
    status: int,
    says: str,
) -> None:
    code, html = post(responder, f"/incidents/INC-1/{action}", **fields)
    assert code == status
    assert says in alert_text(html).replace("&#39;", "'")
    assert tocsin.incidents.get("INC-1").version == incident.version


def test_a_refused_form_keeps_what_was_typed(responder: TestClient, incident: Incident) -> None:
    responder.post("/incidents/INC-1/ack", data={"csrf": session_csrf(responder)})
    _, html = post(responder, "/incidents/INC-1/roles", role="scribe", person="not a handle!")
    assert 'value="not a handle!"' in html
    assert '<option value="scribe" selected>' in html


def test_a_refused_declaration_keeps_the_form(responder: TestClient, tocsin: Tocsin) -> None:
    code, html = post(responder, "/incidents/new", title="", severity="P1", services="api")
    assert code == 422
    assert "title is empty" in alert_text(html)
    assert 'value="api"' in html
    assert tocsin.incidents.find(IncidentFilter()).total == 0


@pytest.mark.parametrize("csrf", [None, "", "wrong-token"])
def test_a_form_without_the_session_csrf_token_writes_nothing(
    responder: TestClient, tocsin: Tocsin, incident: Incident, csrf: str | None
) -> None:
    data = {"text": "forged"} if csrf is None else {"text": "forged", "csrf": csrf}
    answer = responder.post("/incidents/INC-1/note", data=data)
    assert answer.status_code == 403
    assert "expired or came from another site" in answer.text
    assert tocsin.incidents.get("INC-1").version == incident.version
    declared = responder.post("/incidents/new", data={"title": "forged", "severity": "P1"})
    assert declared.status_code == 403
    assert tocsin.incidents.find(IncidentFilter()).total == 1


def test_a_viewer_sees_the_page_but_cannot_post(
    viewer: TestClient, tocsin: Tocsin, incident: Incident
) -> None:
    page = viewer.get("/incidents/INC-1")
    assert page.status_code == 200
    assert "Checkout is slow" in page.text
    assert "/incidents/INC-1/ack" not in page.text
    assert 'href="/incidents/new"' not in page.text
    for action in ("ack", "note"):
        code, html = post(viewer, f"/incidents/INC-1/{action}", text="hi")
        assert code == 403
        assert "vic is viewer; changing incidents needs responder or admin." in html
    assert viewer.get("/incidents/new").status_code == 403
    assert tocsin.incidents.get("INC-1").version == incident.version


def test_a_form_posted_after_the_session_ended_goes_to_login(
    api: TestClient, incident: Incident
) -> None:
    answer = api.post(
        "/incidents/INC-1/ack",
        data={"csrf": "x"},
        headers={"referer": "http://testserver/incidents/INC-1"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/login?next=%2Fincidents%2FINC-1"
