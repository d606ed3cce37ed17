"""Alerts declare incidents whatever their senders wrote: a summary on several lines, with
invisible characters, or a service label that is not a service name, is made to fit rather
than refused (an alert cannot be sent back to be fixed)."""

from __future__ import annotations

import pytest

from tocsin.bootstrap import Tocsin
from tocsin.config.routing import RouteConfig
from tocsin.core.alerts import AlertAction, AlertIn, Parsed


def ingest(tocsin: Tocsin, summary: str, service: str) -> list[str]:
    tocsin.config.routing.routes.append(RouteConfig(match=["alertname=DiskFull"]))
    tocsin.alert_admin.add_integration("am", "alertmanager")
    alert = AlertIn(
        "alertmanager",
        "fp-1",
        AlertAction.TRIGGER,
        summary,
        "critical",
        labels={"alertname": "DiskFull", "service": service},
    )
    return tocsin.alerts.ingest("am", Parsed(alerts=[alert])).declared


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_multi_line_summary_becomes_a_one_line_title(tocsin: Tocsin) -> None:
    summary = "Disk full on db-1\n\n  \u202eVolume\u200b /data\tis at 100%"
    assert ingest(tocsin, summary, "Orders DB") == ["INC-1"]
    incident = tocsin.incidents.get("INC-1")
    assert incident.title == "Disk full on db-1 Volume /data is at 100%"
    assert incident.scope.services == ("orders-db",)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_summary_with_nothing_visible_is_titled_by_its_service(tocsin: Tocsin) -> None:
    assert ingest(tocsin, "\u200b\n", "api") == ["INC-1"]
    assert tocsin.incidents.get("INC-1").title == "api"
