"""Debian's real prometheus-alertmanager, its webhook receiver pointed at a running Tocsin:
an alert posted to Alertmanager arrives as an incident, and its resolution follows."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.remote_server import serving
from tocsin.app.ports import AlertFilter, IncidentFilter
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import RouteConfig

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
DEADLINE_S = 20.0
CONFIG = """\
route:
  receiver: tocsin
  group_by: [alertname, service]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: tocsin
    webhook_configs:
      - url: {url}
        send_resolved: true
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def eventually(check: Callable[[], bool], what: str) -> None:
    """Poll until `check` holds; Alertmanager delivers on its own schedule (bounded wait)."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {DEADLINE_S} s")


@pytest.fixture
def alertmanager(tocsin: Tocsin, tmp_path: Path) -> Iterator[str]:
    if BINARY is None:
        if os.environ.get("CI"):
            pytest.fail("prometheus-alertmanager is missing: scripts/install-system-deps.sh")
        pytest.skip("prometheus-alertmanager is not installed")
    tocsin.config.routing.routes.append(RouteConfig(match=["service=~.+"]))
    key = tocsin.alert_admin.add_integration("am", "alertmanager").key
    with serving(tocsin) as url:
        config = tmp_path / "alertmanager.yml"
        config.write_text(CONFIG.format(url=f"{url}/ingest/alertmanager/{key}"), encoding="utf-8")
        port = free_port()
        log = (tmp_path / "alertmanager.log").open("wb")
        process = subprocess.Popen(
            [
                BINARY,
                f"--config.file={config}",
                f"--storage.path={tmp_path / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            eventually(lambda: _ready(base), "alertmanager readiness")
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)
            log.close()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_an_alert_sent_to_alertmanager_becomes_an_incident_and_resolves(
    alertmanager: str, tocsin: Tocsin
) -> None:
    labels = {"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"}
    alert = {"labels": labels, "annotations": {"summary": "Checkout 5xx above 5%"}}
    assert httpx.post(f"{alertmanager}/api/v2/alerts", json=[alert]).status_code == 200
    eventually(lambda: tocsin.incidents.find(IncidentFilter()).total == 1, "the incident")
    incident = tocsin.incidents.get("INC-1")
    assert (incident.title, incident.severity, incident.scope.services) == (
        "Checkout 5xx above 5%",
        "P1",
        ("checkout",),
    )
    ended = {**alert, "endsAt": "2020-01-01T00:00:00Z"}
    assert httpx.post(f"{alertmanager}/api/v2/alerts", json=[ended]).status_code == 200
    eventually(
        lambda: (
            tocsin.alert_admin.alerts(AlertFilter(integration="am")).items[0].status.value
            == "resolved"
        ),
        "the resolution",
    )
