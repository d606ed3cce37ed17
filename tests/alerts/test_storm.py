"""An alert storm: 100,000 alerts for one failing service, distinct fingerprints, one group."""

from __future__ import annotations

import pytest

from tocsin.app.ports import AlertFilter, IncidentFilter
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import RouteConfig
from tocsin.core.alerts import AlertAction, AlertIn, Parsed
from tocsin.core.timeline import EntryKind

STORM = 100_000
BATCH = 2_000


def batch(start: int) -> Parsed:
    return Parsed(
        alerts=[
            AlertIn(
                "alertmanager",
                f"fp-{n}",
                AlertAction.TRIGGER,
                "Checkout API down",
                "critical",
                labels={
                    "alertname": "TargetDown",
                    "service": "checkout",
                    "instance": f"10.0.{n % 7}.{n % 250}",
                },
            )
            for n in range(start, start + BATCH)
        ]
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_storm_gives_one_incident_and_a_short_timeline(tocsin: Tocsin) -> None:
    tocsin.config.routing.routes.append(RouteConfig(match=["service=checkout"]))
    tocsin.alert_admin.add_integration("am", "alertmanager")
    declared: list[str] = []
    for start in range(0, STORM, BATCH):
        declared += tocsin.alerts.ingest("am", batch(start)).declared
    assert declared == ["INC-1"]
    assert tocsin.incidents.find(IncidentFilter()).total == 1
    assert tocsin.alert_admin.alerts(AlertFilter(incident=1)).total == STORM
    timeline = tocsin.incidents.timeline("INC-1")
    summaries = [e for e in timeline if e.kind is EntryKind.ALERTS]
    assert len(timeline) < 25
    last = summaries[-1].data
    assert (last["alerts"], last["firing"], last["events"]) == (STORM, STORM, STORM)
    assert last["top"][0] == f"alertname=TargetDown ({STORM})"
    assert summaries[-1].text.startswith(f"{STORM} alert(s) for checkout, {STORM} firing")
