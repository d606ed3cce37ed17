"""Health checks and SLA rules, as in the seeds' `curl …/health` and "P95 > 500 ms or uptime <
99.5 %": judging one probe, counting consecutive failures, and evaluating a window."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from tocsin.core.alerts import AlertAction


def shown_url(url: str) -> str:
    """The URL as alerts and messages may show it: a password in it and the query's values
    (often tokens) become …; the host and path stay, so people can tell the checks apart."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username}:…@{netloc.rpartition('@')[2]}"
    query = "&".join(f"{k}=…" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


@dataclass(frozen=True, slots=True)
class Check:
    service: str
    url: str
    interval: timedelta = timedelta(seconds=30)
    timeout: timedelta = timedelta(seconds=5)
    expect_status: int = 200
    expect_body: str | None = None
    failures_before_alert: int = 3
    severity: str | None = None

    @property
    def key(self) -> str:
        return f"health:{self.service}:{self.url}"


@dataclass(frozen=True, slots=True)
class Sample:
    at: datetime
    ok: bool
    latency_ms: float
    detail: str


def judge(
    check: Check, at: datetime, status: int | None, body: str, latency_ms: float, error: str | None
) -> Sample:
    """One probe's verdict: the expected status, and the expected text in the body."""
    if error is not None:
        return Sample(at, False, latency_ms, error)
    if status != check.expect_status:
        return Sample(at, False, latency_ms, f"status {status}, expected {check.expect_status}")
    if check.expect_body is not None and check.expect_body not in body:
        return Sample(at, False, latency_ms, f"body lacks {check.expect_body!r}")
    return Sample(at, True, latency_ms, f"status {status}")


def check_action(check: Check, recent: Sequence[Sample], alerting: bool) -> AlertAction | None:
    """Fire after N failures in a row, resolve at the first success after that. `recent` is
    the check's latest samples, newest (the one just taken) first; `alerting` says whether
    its alert is firing now. Both come from storage, so any worker can take the next run."""
    if not recent:
        return None
    if recent[0].ok:
        return AlertAction.RESOLVE if alerting else None
    failures = 0
    for sample in recent[: check.failures_before_alert]:
        if sample.ok:
            break
        failures += 1
    if not alerting and failures >= check.failures_before_alert:
        return AlertAction.TRIGGER
    return None


@dataclass(frozen=True, slots=True)
class SlaRule:
    service: str
    p95_ms: float | None = None
    availability: float | None = None  # percent, e.g. 99.5
    window: timedelta = timedelta(hours=1)
    min_samples: int = 10
    severity: str | None = None

    @property
    def key(self) -> str:
        return f"sla:{self.service}"


@dataclass(frozen=True, slots=True)
class SlaVerdict:
    breached: bool
    samples: int
    p95_ms: float | None
    availability: float | None
    reason: str


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct % of values at or below."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def evaluate(rule: SlaRule, samples: Sequence[Sample], now: datetime) -> SlaVerdict:
    """The rule over the samples of its window; too few samples never breach."""
    recent = [s for s in samples if now - rule.window <= s.at <= now]
    if len(recent) < rule.min_samples:
        return SlaVerdict(False, len(recent), None, None, "too few samples")
    p95 = percentile([s.latency_ms for s in recent if s.ok] or [math.inf], 95)
    availability = 100 * sum(s.ok for s in recent) / len(recent)
    reasons = []
    if rule.p95_ms is not None and p95 > rule.p95_ms:
        reasons.append(f"P95 {p95:.0f} ms > {rule.p95_ms:.0f} ms")
    if rule.availability is not None and availability < rule.availability:
        reasons.append(f"availability {availability:.2f} % < {rule.availability} %")
    reason = "; ".join(reasons) or "within SLA"
    return SlaVerdict(bool(reasons), len(recent), p95, availability, reason)
