"""`services[].health_urls`, `checks` and `sla` in tocsin.yaml become checks and rules."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tocsin.config import ConfigError, load_config, render_preset

SERVICES = """
services:
  - name: api
    health_urls: [https://api.example.com/api/v1/health]
    checks:
      - url: https://api.example.com/ready
        interval: 10s
        expect_body: ok
        failures_before_alert: 2
        severity: P2
    sla: {p95_ms: 500, availability: 99.5, window: 1h}
"""


def write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "tocsin.yaml"
    path.write_text(render_preset("sev1-sev3") + extra, encoding="utf-8")
    return path


def test_health_urls_and_checks_become_checks_with_defaults(tmp_path: Path) -> None:
    [service] = load_config(write(tmp_path, SERVICES)).services
    plain, tuned = service.health_checks()
    assert (plain.url, plain.interval, plain.failures_before_alert) == (
        "https://api.example.com/api/v1/health",
        timedelta(seconds=30),
        3,
    )
    assert (tuned.interval, tuned.expect_body, tuned.severity) == (
        timedelta(seconds=10),
        "ok",
        "P2",
    )
    rule = service.sla_rule()
    assert rule is not None
    assert (rule.p95_ms, rule.availability, rule.window) == (500, 99.5, timedelta(hours=1))


def test_a_bad_availability_names_its_line_and_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, SERVICES.replace("99.5", "150")))
    assert "services[0].sla.availability" in str(caught.value)
