"""Tocsin's own detection: HTTP checks against a real local server, and the seed's SLA."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tocsin.app.clock import ManualClock
from tocsin.app.health import HealthMonitor, ProbeResult
from tocsin.app.ports import AlertFilter
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import RouteConfig
from tocsin.core.health import Check, SlaRule
from tocsin.integrations.probes import HttpProbe


class Service(ThreadingHTTPServer):
    status = 200
    body = b'{"status":"ok"}'


class Handler(BaseHTTPRequestHandler):
    server: Service

    def do_GET(self) -> None:
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[Service]:
    server = Service(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def routed(tocsin: Tocsin) -> Tocsin:
    tocsin.config.routing.routes.append(RouteConfig(match=["source=tocsin-health"]))
    return tocsin


def test_a_failing_health_check_declares_and_its_recovery_resolves(
    routed: Tocsin, service: Service, clock: ManualClock
) -> None:
    url = f"http://127.0.0.1:{service.server_address[1]}/health"
    check = Check("api", url, expect_body='"ok"', severity="P2")
    probe = HttpProbe()
    monitor = HealthMonitor([check], [], probe, clock, routed.alerts)
    assert monitor.tick() == []
    service.status = 503
    fired = []
    for _ in range(3):
        clock.advance(check.interval)
        fired += monitor.tick()
    assert [a.action.value for a in fired] == ["trigger"]
    incident = routed.incidents.get("INC-1")
    assert (incident.severity, incident.scope.services) == ("P2", ("api",))
    assert incident.title.startswith("api health check failing: status 503")
    service.status = 200
    clock.advance(check.interval)
    assert [a.action.value for a in monitor.tick()] == ["resolve"]
    [row] = routed.alert_admin.alerts(AlertFilter(integration="tocsin-health")).items
    assert row.status.value == "resolved"
    probe.close()


def test_checks_run_only_when_due(routed: Tocsin, clock: ManualClock) -> None:
    calls: list[str] = []

    class Counting:
        def get(self, url: str, timeout_s: float) -> ProbeResult:
            calls.append(url)
            return ProbeResult(200, "", 5.0)

    check = Check("api", "http://api/health", interval=timedelta(seconds=30))
    monitor = HealthMonitor([check], [], Counting(), clock, routed.alerts)
    monitor.tick()
    clock.advance(timedelta(seconds=29))
    monitor.tick()
    clock.advance(timedelta(seconds=1))
    monitor.tick()
    assert len(calls) == 2


def test_the_seed_sla_raises_and_clears_an_alert(routed: Tocsin, clock: ManualClock) -> None:
    latency = {"ms": 120.0}

    class Timed:
        def get(self, url: str, timeout_s: float) -> ProbeResult:
            return ProbeResult(200, "", latency["ms"])

    check = Check("api", "http://api/health", interval=timedelta(seconds=10))
    rule = SlaRule("api", p95_ms=500, availability=99.5, window=timedelta(minutes=5))
    monitor = HealthMonitor([check], [rule], Timed(), clock, routed.alerts)
    actions = []
    for step in range(80):  # the 5-minute window (30 samples) clears of slow ones by step 70
        latency["ms"] = 900.0 if 20 <= step < 40 else 120.0
        actions += [(step, a.labels["alertname"], a.action.value) for a in monitor.tick()]
        clock.advance(check.interval)
    assert [(n, act) for _, n, act in actions] == [
        ("SlaBreached", "trigger"),
        ("SlaBreached", "resolve"),
    ]
    assert routed.incidents.get("INC-1").title == "api SLA breached: P95 900 ms > 500 ms"


def test_credentials_in_a_check_url_stay_out_of_the_alert(
    routed: Tocsin, clock: ManualClock
) -> None:
    """The URL lives in tocsin.yaml; the alert goes to the timeline, chat and pagers."""
    url = "https://probe:s3cr3t-pw@status.example.com/health?token=abc123tok&region=eu"

    class Refused:
        def get(self, url: str, timeout_s: float) -> ProbeResult:
            return ProbeResult(None, "", 5.0, f"ConnectError: cannot reach {url}")

    check = Check("api", url, failures_before_alert=1, severity="P2")
    [fired] = HealthMonitor([check], [], Refused(), clock, routed.alerts).tick()
    shown = "https://probe:…@status.example.com/health?token=…&region=…"
    assert (
        fired.summary
        == f"api health check failing: ConnectError: cannot reach {shown} from {shown}"
    )
    title = routed.incidents.get("INC-1").title
    assert "s3cr3t" not in title
    assert "abc123tok" not in title
