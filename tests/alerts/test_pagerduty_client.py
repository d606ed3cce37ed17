"""The real `pagerduty` client (EventsApiV2Client), base URL pointed at a running Tocsin."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from pagerduty import EventsApiV2Client

from tests.e2e.remote_server import serving
from tests.support.tls import Certificate, localhost_certificate
from tocsin.app.ports import AlertFilter
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import RouteConfig


@pytest.fixture
def tls(tmp_path: Path) -> Certificate:
    return localhost_certificate(tmp_path / "tls")


@pytest.fixture
def url(tocsin: Tocsin, tls: Certificate) -> Iterator[str]:
    tocsin.config.routing.routes.append(
        RouteConfig(match=["source=~.+"], service="checkout", severity_map={"critical": "P1"})
    )
    with serving(tocsin, tls=(tls.cert, tls.key)) as base:
        yield base


def pd_client(key: str, url: str, tls: Certificate) -> EventsApiV2Client:
    context = ssl.create_default_context(cafile=str(tls.cert))
    return EventsApiV2Client(key, base_url=url, verify=context)


@pytest.fixture
def client(tocsin: Tocsin, url: str, tls: Certificate) -> Iterator[EventsApiV2Client]:
    pd = pd_client(tocsin.alert_admin.add_integration("pd", "pagerduty").key, url, tls)
    yield pd
    pd.close()


def test_trigger_acknowledge_resolve(client: EventsApiV2Client, tocsin: Tocsin) -> None:
    dedup = client.trigger("Checkout failing for EU tenants", "web-1", severity="critical")
    assert dedup
    incident = tocsin.incidents.get("INC-1")
    assert (incident.severity, incident.scope.services) == ("P1", ("checkout",))
    assert client.trigger("Checkout failing", "web-1", dedup_key=dedup) == dedup
    client.acknowledge(dedup)
    assert tocsin.incidents.get("INC-1").acknowledged_by == "pd (alert acknowledged)"
    client.resolve(dedup)
    [row] = tocsin.alert_admin.alerts(AlertFilter(integration="pd")).items
    assert (row.status.value, row.count, row.acknowledged) == ("resolved", 4, True)


def test_resolve_of_an_unknown_key_is_accepted_and_dropped(
    client: EventsApiV2Client, tocsin: Tocsin
) -> None:
    client.resolve("never-seen")
    client.acknowledge("never-seen-either")
    assert tocsin.alert_admin.alerts(AlertFilter()).total == 0


def test_change_events_are_kept(client: EventsApiV2Client, tocsin: Tocsin) -> None:
    client.send_change_event(payload={"summary": "Deployed checkout v42", "source": "ci"})
    with tocsin.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT summary, source FROM change_events").all()
    assert [tuple(r) for r in rows] == [("Deployed checkout v42", "ci")]


def test_a_wrong_routing_key_is_refused(tocsin: Tocsin, url: str, tls: Certificate) -> None:
    wrong = pd_client("0" * 32, url, tls)
    with pytest.raises(Exception, match="401"):
        wrong.trigger("x", "y")
    wrong.close()
    assert tocsin.alert_admin.alerts(AlertFilter()).total == 0
