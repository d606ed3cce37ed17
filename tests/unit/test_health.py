"""Health checks and SLA rules: judging probes, counting failures, evaluating windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.core.alerts import AlertAction
from tocsin.core.health import (
    Check,
    Sample,
    SlaRule,
    check_action,
    evaluate,
    judge,
    percentile,
)

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
CHECK = Check("api", "https://api.example.com/health", expect_body='"ok"')


def test_judge_needs_the_status_and_the_body_text() -> None:
    assert judge(CHECK, T0, 200, '{"status":"ok"}', 12.0, None).ok
    assert judge(CHECK, T0, 503, "", 12.0, None).detail == "status 503, expected 200"
    assert judge(CHECK, T0, 200, "degraded", 12.0, None).detail == "body lacks '\"ok\"'"
    assert judge(CHECK, T0, None, "", 5000.0, "timed out after 5 s").detail == "timed out after 5 s"


def test_an_alert_fires_after_n_failures_in_a_row_and_resolves_on_success() -> None:
    bad, good = Sample(T0, False, 1, "503"), Sample(T0, True, 1, "200")
    seen: list[Sample] = []
    alerting = False

    def observe(sample: Sample) -> AlertAction | None:
        nonlocal alerting
        seen.insert(0, sample)
        action = check_action(CHECK, seen, alerting)
        alerting = {AlertAction.TRIGGER: True, AlertAction.RESOLVE: False}.get(action, alerting)
        return action

    assert [observe(s) for s in (bad, bad, good, bad, bad)] == [None] * 5
    assert observe(bad) is AlertAction.TRIGGER
    assert observe(bad) is None
    assert observe(good) is AlertAction.RESOLVE
    assert observe(good) is None


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))
    assert (percentile(values, 95), percentile(values, 50), percentile([7.0], 95)) == (95, 50, 7.0)


def samples(latencies: list[float], failures: int = 0) -> list[Sample]:
    good = [Sample(T0 - timedelta(seconds=i), True, ms, "") for i, ms in enumerate(latencies)]
    bad = [Sample(T0 - timedelta(seconds=i), False, 0, "503") for i in range(failures)]
    return good + bad


SEED_SLA = SlaRule("api", p95_ms=500, availability=99.5)  # the second seed's SLA


def test_p95_above_500_ms_breaches() -> None:
    verdict = evaluate(SEED_SLA, samples([100.0] * 90 + [900.0] * 10), T0)
    assert verdict.breached
    assert verdict.reason == "P95 900 ms > 500 ms"


def test_availability_under_99_5_breaches() -> None:
    verdict = evaluate(SEED_SLA, samples([100.0] * 199, failures=2), T0)
    assert verdict.availability == pytest.approx(99.004, abs=0.01)
    assert verdict.reason == "availability 99.00 % < 99.5 %"


def test_within_sla_and_too_few_samples_do_not_breach() -> None:
    assert not evaluate(SEED_SLA, samples([100.0] * 300), T0).breached
    assert evaluate(SEED_SLA, samples([900.0] * 5), T0).reason == "too few samples"


def test_samples_outside_the_window_do_not_count() -> None:
    old = [Sample(T0 - timedelta(hours=2), True, 900.0, "") for _ in range(50)]
    assert evaluate(SEED_SLA, old + samples([100.0] * 20), T0).p95_ms == 100.0
