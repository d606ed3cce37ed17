"""Suggested incidents on the dashboard (declare or dismiss in one click) and the Alerts page's
order: firing before resolved, most severe first, then most recent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import session_csrf
from tocsin.app.clock import ManualClock
from tocsin.app.ports import AlertFilter, IncidentFilter, UnitOfWork
from tocsin.bootstrap import Tocsin
from tocsin.core.alerts import AlertAction, AlertIn, Parsed
from tocsin.core.incident import Incident
from tocsin.core.timeline import EntryKind, TimelineEntry


def ingest(tocsin: Tocsin, *alerts: AlertIn) -> None:
    tocsin.alerts.ingest("am", Parsed(alerts=list(alerts)))


def fire(
    key: str, severity: str, name: str = "DiskFull", summary: str = "Disk 91% full"
) -> AlertIn:
    labels = {"alertname": name, "service": "db", "instance": key}
    return AlertIn("alertmanager", key, AlertAction.TRIGGER, summary, severity, labels=labels)


def resolve(key: str, name: str = "DiskFull") -> AlertIn:
    labels = {"alertname": name, "service": "db", "instance": key}
    return AlertIn("alertmanager", key, AlertAction.RESOLVE, "", None, labels=labels)


@pytest.fixture
def suggested(tocsin: Tocsin, clock: ManualClock) -> str:
    """Two warnings of one group, 25 minutes old: its group key."""
    tocsin.alert_admin.add_integration("am", "alertmanager")
    ingest(tocsin, fire("a", "warning"), fire("b", "warning"))
    clock.advance(timedelta(minutes=25))
    return tocsin.alert_admin.alerts(AlertFilter()).items[0].group_key


def section(html: str) -> str:
    found = re.search(r'<section id="suggestions".*?</section>', html, re.S)
    assert found, "no suggestions on the dashboard"
    return found.group(0)


def test_the_dashboard_shows_suggestions_first_with_their_alerts_count_and_age(
    responder: TestClient, suggested: str
) -> None:
    html = responder.get("/").text
    shown = section(html)
    assert html.index('id="suggestions"') < html.index("Open incidents")
    assert "Disk 91% full" in shown
    assert "P3" in shown
    assert "2 alerts, 2 firing" in shown
    assert re.search(r"firing for <time [^>]*>25m</time>", shown)
    assert f'href="/alerts?group={suggested}"' in shown
    assert f'action="/alerts/{suggested}/declare"' in shown
    assert f'action="/alerts/{suggested}/dismiss"' in shown
    assert 'name="csrf"' in shown


def test_a_viewer_sees_suggestions_without_the_buttons(viewer: TestClient, suggested: str) -> None:
    shown = section(viewer.get("/").text)
    assert "Disk 91% full" in shown
    assert "/declare" not in shown
    assert "/dismiss" not in shown


def test_one_click_declares_the_suggestion_with_its_alerts(
    responder: TestClient, tocsin: Tocsin, suggested: str
) -> None:
    seen: list[str] = []

    def on_declared(uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        seen.append(incident.id)

    tocsin.handlers.on(EntryKind.DECLARED, on_declared)
    csrf = session_csrf(responder)

    made = responder.post(
        f"/alerts/{suggested}/declare", data={"csrf": csrf}, follow_redirects=False
    )

    assert (made.status_code, made.headers["location"]) == (303, "/incidents/INC-1")
    assert seen == ["INC-1"]
    incident = tocsin.incidents.get("INC-1")
    assert (incident.title, incident.severity, incident.declared_by) == (
        "Disk 91% full",
        "P3",
        "ann",
    )
    assert {r.incident for r in tocsin.alert_admin.alerts(AlertFilter()).items} == {1}
    assert 'id="suggestions"' not in responder.get("/").text
    again = responder.post(f"/alerts/{suggested}/declare", data={"csrf": csrf})
    assert again.status_code == 409
    assert "INC-1" in again.text
    assert "Open incidents" in again.text  # the dashboard, with the refusal on it


def test_the_alerts_page_declares_from_one_alert(
    responder: TestClient, tocsin: Tocsin, suggested: str
) -> None:
    row = tocsin.alert_admin.alerts(AlertFilter()).items[0]
    ingest(tocsin, fire("other", "warning", "Other", "another group"))
    grouped = responder.get("/alerts", params={"group": suggested}).text
    assert "2 alerts of one group" in grouped
    assert "another group" not in grouped
    html = responder.get("/alerts").text
    assert f'action="/alerts/{row.id}/declare"' in html
    made = responder.post(
        f"/alerts/{row.id}/declare",
        data={"csrf": session_csrf(responder)},
        follow_redirects=False,
    )
    assert (made.status_code, made.headers["location"]) == (303, "/incidents/INC-1")
    assert f'action="/alerts/{row.id}/declare"' not in responder.get("/alerts").text


def test_dismissing_hides_the_suggestion_and_records_who(
    responder: TestClient, tocsin: Tocsin, suggested: str
) -> None:
    done = responder.post(
        f"/alerts/{suggested}/dismiss",
        data={"csrf": session_csrf(responder)},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/")
    assert 'id="suggestions"' not in responder.get("/").text
    [kept] = tocsin.suggestions.list(dismissed=True).items
    assert (kept.group.group_key, kept.group.dismissed_by) == (suggested, "ann")
    assert tocsin.incidents.find(IncidentFilter()).total == 0


def test_forged_forms_viewers_and_bad_references_are_refused(
    responder: TestClient, viewer: TestClient, tocsin: Tocsin, suggested: str
) -> None:
    forged = responder.post(f"/alerts/{suggested}/declare", data={"csrf": "forged"})
    assert forged.status_code == 403
    looked = viewer.post(f"/alerts/{suggested}/dismiss", data={"csrf": session_csrf(viewer)})
    assert looked.status_code == 403
    csrf = session_csrf(responder)
    bad = responder.post("/alerts/nonsense/declare", data={"csrf": csrf})
    assert bad.status_code == 422
    assert "ref &#39;nonsense&#39;" in bad.text
    missing = responder.post("/alerts/777/dismiss", data={"csrf": csrf})
    assert missing.status_code == 404
    assert "no alert 777" in missing.text
    assert tocsin.suggestions.list().total == 1


def test_the_alerts_page_sorts_firing_first_then_by_severity_then_recency(
    responder: TestClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    tocsin.alert_admin.add_integration("am", "alertmanager")
    ingest(tocsin, fire("old-p1", "critical", "Down", "old critical"))
    clock.advance(timedelta(minutes=1))
    ingest(tocsin, fire("p4", "info", "Info", "newest info"))
    clock.advance(timedelta(minutes=1))
    ingest(tocsin, fire("p3", "warning", "Warn", "a warning"))
    clock.advance(timedelta(minutes=1))
    ingest(tocsin, fire("new-p1", "critical", "Down", "new critical"))
    clock.advance(timedelta(minutes=1))
    ingest(tocsin, fire("gone", "critical", "Gone", "resolved critical"))
    ingest(tocsin, resolve("gone", "Gone"))
    clock.advance(timedelta(minutes=1))
    ingest(tocsin, fire("p4", "info", "Info", "newest info"))
    html = responder.get("/alerts", params={"status": "all"}).text
    order = re.findall(r'<td data-label="Alert">([^<]+?) <span', html)
    assert order == [
        "new critical",
        "old critical",
        "a warning",
        "newest info",
        "resolved critical",
    ]


def test_the_alerts_page_says_nothing_pages_yet(responder: TestClient, suggested: str) -> None:
    html = responder.get("/alerts").text
    assert "paging: no" in html
    assert re.search(r'data-label="Paging">\s*yes', html) is None
    assert 'data-label="Paging">no<' in html
    assert "later version" in html
