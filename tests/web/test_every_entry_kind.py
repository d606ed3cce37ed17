"""Every kind of timeline entry renders, on the incident page and in the live stream, and an
incident declared from alerts shows them and says when they all resolved."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support.postmortems import publish
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import RouteConfig
from tocsin.core.alerts import AlertAction, AlertIn, Parsed
from tocsin.core.escalation import first_seed_policy
from tocsin.core.scope import Impact, Scope
from tocsin.core.timeline import EntryKind
from tocsin.store.uow import SqlUnitOfWork
from tocsin.web.events import TimelinePoller
from tocsin.web.views import ENTRY_LABELS, entry_label


def alert(pod: str, action: AlertAction = AlertAction.TRIGGER) -> AlertIn:
    return AlertIn(
        "alertmanager",
        f"key-{pod}",
        action,
        "API 5xx above 5%",
        severity="critical",
        labels={"alertname": "HighErrorRate", "service": "api", "pod": pod},
        annotations={"runbook_url": "https://runbooks.example/api"},
        source_url="javascript:alert(1)" if pod == "p2" else "http://prometheus/graph?g0=1",
    )


def every_kind(tocsin: Tocsin) -> str:
    """One incident with at least one entry of every kind; returns its id."""
    tocsin.config.routing.routes.append(RouteConfig(match=["service=~.+"]))
    declared = tocsin.alerts.ingest("prod-am", Parsed(alerts=[alert("p1"), alert("p2")]))
    ref = declared.declared[0]
    s = tocsin.incidents
    s.acknowledge(ref, "ann")
    s.post_update(ref, "ann", "Rolling back")
    s.change_severity(ref, "ann", "P2", "fewer tenants than feared")
    s.assign(ref, "ann", "commander", "ann")
    s.change_scope(ref, "ann", Scope(services=("api", "db")))
    s.change_impact(ref, "ann", Impact(customer_impact=True))
    s.relabel(ref, "ann", add=["db"])
    s.note(ref, "ann", "the <b>pool</b> is full")
    with SqlUnitOfWork(tocsin.engine) as uow:  # what paging records
        incident = uow.incidents.get(int(ref.removeprefix("INC-")))
        now = tocsin.clock.now()
        incident.start_escalation(now, first_seed_policy("P1").to_dict(), "declared")
        incident.record_page(now, "paged ann by sms: sent", {"person": "ann", "status": "sent"})
        incident.record_command(  # what a runbook step records
            now, "ann", "Health (api step 1, diagnostic): exit 0 in 0.1 s",
            {"command": "curl -s <health>", "output": "<ok/>", "exit_code": 0},
        )  # fmt: skip
        uow.incidents.save(incident)
        uow.commit()
    s.mitigate(ref, "ann", "rolled back")
    resolved = [alert("p1", AlertAction.RESOLVE), alert("p2", AlertAction.RESOLVE)]
    tocsin.alerts.ingest("prod-am", Parsed(alerts=resolved))
    s.resolve(ref, "ann", "bad deploy", "reverted")
    s.reopen(ref, "ann", "it came back")
    s.resolve(ref, "ann", "bad deploy", "reverted")
    publish(tocsin, ref)
    s.close(ref, "ann")
    kinds = {e.kind for e in s.timeline(ref)}
    assert kinds == set(EntryKind), f"missing: {set(EntryKind) - kinds}"
    return ref


def test_every_kind_has_a_label_and_an_unknown_one_still_renders() -> None:
    assert set(ENTRY_LABELS) == set(EntryKind)
    assert entry_label(EntryKind.ALERTS) == "Alerts"


def test_the_page_renders_every_kind_and_the_linked_alerts(
    tocsin: Tocsin, responder: TestClient
) -> None:
    ref = every_kind(tocsin)
    page = responder.get(f"/incidents/{ref}")
    assert page.status_code == 200, page.text[-500:]
    html = page.text
    for kind in EntryKind:
        assert f"kind-{kind.value}" in html, kind
    assert "all 2 alerts resolved at" in html
    # The linked alerts: state, count, labels, runbook and source links, first and last seen.
    section = html[html.index('id="alerts-h"') : html.index('id="timeline-h"')]
    assert "(2)" in section
    assert "resolved · 2×" in section
    assert "<code>pod=p1</code>" in section
    assert 'href="https://runbooks.example/api"' in section
    assert 'href="http://prometheus/graph?g0=1"' in section
    assert 'href="javascript' not in section  # a sender's script URL is shown, never linked
    assert len(re.findall(r"<time datetime=", section)) == 4
    assert "&lt;b&gt;pool&lt;/b&gt;" in html  # what people typed is escaped
    assert "$ curl -s &lt;health&gt;" in html  # a step's command and output, escaped
    assert "&lt;ok/&gt;" in html


def test_the_stream_renders_every_kind(tocsin: Tocsin, responder: TestClient) -> None:
    ref = every_kind(tocsin)
    number = int(ref.removeprefix("INC-"))
    web, session = responder.app.state.web, responder.cookies["tocsin_session"]  # type: ignore[attr-defined]
    poller = TimelinePoller(tocsin, web, number, session)
    last, chunks = poller(0)
    stream = "".join(chunks)
    assert last == len(tocsin.incidents.timeline(ref))
    for kind in EntryKind:
        assert f"kind-{kind.value}" in stream, kind
