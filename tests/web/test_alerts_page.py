"""/alerts lists what monitoring sent, with its state and whether it pages."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.web.conftest import session_csrf
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin
from tocsin.core.alerts import AlertAction, AlertIn, Parsed


def test_alerts_page_shows_state_and_suppression(
    tocsin: Tocsin, clock: ManualClock, responder: TestClient
) -> None:
    tocsin.alert_admin.add_integration("am", "alertmanager")
    tocsin.alert_admin.silence(
        ["alertname=Noisy"], None, clock.now() + timedelta(hours=1), "alice", "known issue"
    )
    alerts = [
        AlertIn("alertmanager", "a", AlertAction.TRIGGER, "Disk <full>", "warning",
                labels={"alertname": "DiskFull", "service": "db"}),
        AlertIn("alertmanager", "b", AlertAction.TRIGGER, "Noisy one", "info",
                labels={"alertname": "Noisy", "service": "web"}),
    ]  # fmt: skip
    tocsin.alerts.ingest("am", Parsed(alerts=alerts))
    html = responder.get("/alerts").text
    assert "Disk &lt;full&gt;" in html
    assert "suppressed (silence:1)" in html
    assert "known issue" in html
    assert "2 alerts" in html


def test_silences_and_maintenance_are_managed_from_the_page(
    tocsin: Tocsin, responder: TestClient
) -> None:
    csrf = session_csrf(responder)
    form = {"csrf": csrf, "matchers": "alertname=DiskFull\nenv=~prod.*", "duration": "2h"}
    made = responder.post(
        "/alerts/silences", data={**form, "comment": "resizing"}, follow_redirects=False
    )
    assert made.status_code == 303
    [silence] = tocsin.alert_admin.silences()
    assert ([str(m) for m in silence.matchers], silence.author) == (
        ["alertname=DiskFull", "env=~prod.*"],
        "ann",
    )
    bad = responder.post("/alerts/silences", data={**form, "duration": "soon", "comment": "x"})
    assert bad.status_code == 422
    assert "duration: write it like 30m" in bad.text
    expired = responder.post(
        f"/alerts/silences/{silence.id}/expire",
        data={"csrf": csrf, "confirmed": "yes"},
        follow_redirects=False,
    )
    assert (expired.status_code, tocsin.alert_admin.silences()) == (303, [])
    window = {"csrf": csrf, "service": "db", "duration": "30m", "comment": "migration"}
    assert (
        responder.post("/alerts/maintenance", data=window, follow_redirects=False).status_code
        == 303
    )
    assert [w.service for w in tocsin.alert_admin.windows()] == ["db"]


def test_viewers_and_forged_forms_cannot_silence(
    tocsin: Tocsin, responder: TestClient, viewer: TestClient
) -> None:
    form = {"matchers": "alertname=X", "duration": "1h", "comment": "x"}
    assert responder.post("/alerts/silences", data={**form, "csrf": "forged"}).status_code == 403
    viewer_form = {**form, "csrf": session_csrf(viewer)}
    assert viewer.post("/alerts/silences", data=viewer_form).status_code == 403
    assert "New silence" not in viewer.get("/alerts").text
    assert tocsin.alert_admin.silences() == []
