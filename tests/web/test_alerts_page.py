"""/alerts lists what monitoring sent, with its state and whether it pages."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

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
