"""Tocsin's own detection: HTTP checks against a real local server, and the seed's SLA."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tocsin.app.clock import ManualClock
from tocsin.app.health import CHECK_JOB, INTEGRATION, HealthMonitor, Probe, ProbeResult
from tocsin.app.jobs import JobAdmin, JobHandlers, JobRunner
from tocsin.app.ports import AlertFilter
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import RouteConfig
from tocsin.core.health import Check, SlaRule
from tocsin.integrations.probes import HttpProbe
from tocsin.store.uow import SqlUnitOfWork


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


class Chains:
    """A HealthMonitor as a worker process runs it: its checks seeded as job chains, and
    `tick()` running what is due (one JobRunner.run_due)."""

    def __init__(
        self,
        tocsin: Tocsin,
        checks: list[Check],
        rules: list[SlaRule],
        probe: Probe,
        clock: ManualClock,
        owner: str = "w",
    ) -> None:
        def uow() -> SqlUnitOfWork:
            return SqlUnitOfWork(tocsin.engine)

        self.monitor = HealthMonitor(checks, rules, probe, clock, tocsin.alerts, uow)
        handlers = JobHandlers()
        handlers.register(CHECK_JOB, self.monitor.handle)
        self.runner = JobRunner(uow, handlers, clock, random.Random(0))  # noqa: S311
        self.owner = owner
        JobAdmin(uow, clock).seed(self.monitor.recurring())

    def tick(self) -> int:
        return self.runner.run_due(self.owner)


def health_alerts(tocsin: Tocsin) -> dict[str, str]:
    page = tocsin.alert_admin.alerts(AlertFilter(integration=INTEGRATION))
    return {a.dedup_key: a.status.value for a in page.items}


def test_a_failing_health_check_declares_and_its_recovery_resolves(
    routed: Tocsin, service: Service, clock: ManualClock
) -> None:
    url = f"http://127.0.0.1:{service.server_address[1]}/health"
    check = Check("api", url, expect_body='"ok"', severity="P2")
    probe = HttpProbe()
    chains = Chains(routed, [check], [], probe, clock)
    assert chains.tick() == 1
    assert health_alerts(routed) == {}
    service.status = 503
    seen = []
    for _ in range(3):
        clock.advance(check.interval)
        assert chains.tick() == 1
        seen.append(health_alerts(routed).get(check.key))
    assert seen == [None, None, "firing"]  # after failures_before_alert in a row
    incident = routed.incidents.get("INC-1")
    assert (incident.severity, incident.scope.services) == ("P2", ("api",))
    assert incident.title.startswith("api health check failing: status 503")
    clock.advance(check.interval)
    chains.tick()
    assert health_alerts(routed) == {check.key: "firing"}  # still failing: no new alert
    service.status = 200
    clock.advance(check.interval)
    chains.tick()
    assert health_alerts(routed) == {check.key: "resolved"}
    probe.close()


class Counting:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def get(self, url: str, timeout_s: float) -> ProbeResult:
        with self.lock:
            self.calls.append(url)
        return ProbeResult(200, "", 5.0)


def test_checks_run_only_when_due(routed: Tocsin, clock: ManualClock) -> None:
    probe = Counting()
    check = Check("api", "http://api/health", interval=timedelta(seconds=30))
    chains = Chains(routed, [check], [], probe, clock)
    chains.tick()
    clock.advance(timedelta(seconds=29))
    assert chains.tick() == 0
    clock.advance(timedelta(seconds=1))
    chains.tick()
    assert len(probe.calls) == 2


def test_a_rerun_of_a_slot_does_not_probe_again(routed: Tocsin, clock: ManualClock) -> None:
    probe = Counting()
    check = Check("api", "http://api/health")
    chains = Chains(routed, [check], [], probe, clock)
    chains.monitor.run(check, clock.now())
    chains.monitor.run(check, clock.now())  # a worker died before marking the job done
    assert len(probe.calls) == 1


def test_two_workers_run_each_check_once_per_slot(routed: Tocsin, clock: ManualClock) -> None:
    probes = [Counting(), Counting()]
    checks = [Check("api", "http://api/health"), Check("db", "http://db/health")]
    workers = [Chains(routed, checks, [], p, clock, f"w{i}") for i, p in enumerate(probes)]
    slots = 5
    for _ in range(slots):
        barrier = threading.Barrier(2)

        def run(chains: Chains, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            while chains.tick():
                pass

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        clock.advance(timedelta(seconds=30))
    calls = probes[0].calls + probes[1].calls
    assert sorted(calls) == sorted([c.url for c in checks] * slots)


def test_the_seed_sla_raises_and_clears_an_alert(routed: Tocsin, clock: ManualClock) -> None:
    latency = {"ms": 120.0}

    class Timed:
        def get(self, url: str, timeout_s: float) -> ProbeResult:
            return ProbeResult(200, "", latency["ms"])

    check = Check("api", "http://api/health", interval=timedelta(seconds=10))
    rule = SlaRule("api", p95_ms=500, availability=99.5, window=timedelta(minutes=5))
    chains = Chains(routed, [check], [rule], Timed(), clock)
    changes = []
    for step in range(80):  # the 5-minute window (30 samples) clears of slow ones by step 70
        latency["ms"] = 900.0 if 20 <= step < 40 else 120.0
        assert chains.tick() == 1
        state = health_alerts(routed).get(rule.key)
        if not changes or changes[-1][1] != state:
            changes.append((step, state))
        clock.advance(check.interval)
    assert [state for _, state in changes] == [None, "firing", "resolved"]
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
    assert Chains(routed, [check], [], Refused(), clock).tick() == 1
    assert health_alerts(routed) == {check.key: "firing"}
    shown = "https://probe:…@status.example.com/health?token=…&region=…"
    title = routed.incidents.get("INC-1").title
    assert title == f"api health check failing: ConnectError: cannot reach {shown} from {shown}"
    assert "s3cr3t" not in title
    assert "abc123tok" not in title
