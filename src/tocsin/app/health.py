"""Health checks run by Tocsin, and SLA rules over their samples; trouble becomes alerts.

Each check is a recurring job (`health.check`, one chain per check): whichever worker claims
a slot's job probes once, stores the sample and decides from storage (the check's latest
samples, whether its alert is firing), so several processes run each check once per
interval and share one SLA window that survives restarts.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tocsin.app.alerts import AlertService
from tocsin.app.jobs import Recurring, job_slot
from tocsin.app.ports import Clock, UnitOfWork
from tocsin.core.alerts import AlertAction, AlertIn, AlertStatus, Parsed
from tocsin.core.health import (
    Check,
    Sample,
    SlaRule,
    check_action,
    evaluate,
    judge,
    shown_url,
)
from tocsin.core.jobs import Job

log = logging.getLogger(__name__)

INTEGRATION = "tocsin-health"
KEEP = timedelta(hours=25)  # longer than any SLA window we expect
CHECK_JOB = "health.check"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    status: int | None
    body: str
    latency_ms: float
    error: str | None = None


class Probe(Protocol):
    def get(self, url: str, timeout_s: float) -> ProbeResult: ...


def check_id(check: Check) -> str:
    """The check's name in storage and job keys: its key, or a digest of a long one."""
    if len(check.key) <= 200:
        return check.key
    digest = hashlib.sha256(check.key.encode()).hexdigest()[:32]
    return f"health:{check.service[:100]}:{digest}"


class HealthMonitor:
    """The `health.check` job handler, and the chains it runs in (`recurring()`)."""

    def __init__(
        self,
        checks: list[Check],
        rules: list[SlaRule],
        probe: Probe,
        clock: Clock,
        alerts: AlertService,
        uow: Callable[[], UnitOfWork],
    ) -> None:
        self.checks = checks
        self.rules = rules
        self._by_id = {check_id(c): c for c in checks}
        self._probe = probe
        self._clock = clock
        self._alerts = alerts
        self._uow = uow

    def recurring(self) -> list[Recurring]:
        return [_chain(check) for check in self.checks]

    def handle(self, job: Job, _uow: Callable[[], UnitOfWork]) -> None:
        """Schedule the next run first (so a failure here never ends the chain), then run."""
        check = self._by_id.get(str(job.payload.get("check")))
        if check is None:
            log.info("health check %s is no longer configured; its chain ends", job.payload)
            return
        with self._uow() as uow:
            uow.jobs.schedule(_chain(check).after(self._clock.now()))
            uow.commit()
        self.run(check, job_slot(job))

    def run(self, check: Check, at: datetime) -> list[AlertIn]:
        """Probe once for the slot `at` (a rerun reuses the stored sample), then raise or
        resolve the check's alert and its service's SLA alerts; return what was sent."""
        name = check_id(check)
        with self._uow() as uow:
            stored = uow.health.recent(name, 1)
        if not stored or stored[0].at != at:
            result = self._probe.get(check.url, check.timeout.total_seconds())
            sample = judge(check, at, result.status, result.body, result.latency_ms, result.error)
        else:
            sample = stored[0]
        with self._uow() as uow:
            uow.health.add(name, check.service, sample)
            uow.health.prune(name, at - KEEP)
            raised = self._judge_check(uow, check, name)
            raised += [
                a
                for r in self.rules
                if r.service == check.service
                if (a := self._judge_sla(uow, r, at))
            ]
            uow.commit()
        if raised:
            self._alerts.ingest(INTEGRATION, Parsed(alerts=raised))
        return raised

    def _judge_check(self, uow: UnitOfWork, check: Check, name: str) -> list[AlertIn]:
        recent = uow.health.recent(name, check.failures_before_alert)
        action = check_action(check, recent, _firing(uow, check.key))
        if action is None:
            return []
        shown = shown_url(check.url)  # never a password or token from tocsin.yaml
        detail = recent[0].detail.replace(check.url, shown)
        summary = f"{check.service} health check failing: {detail} from {shown}"
        return [_alert(check.key, action, summary, check.severity, check.service, "HealthCheck")]

    def _judge_sla(self, uow: UnitOfWork, rule: SlaRule, at: datetime) -> AlertIn | None:
        samples: list[Sample] = uow.health.window(rule.service, at - rule.window)
        verdict = evaluate(rule, samples, at)
        if verdict.breached == _firing(uow, rule.key):
            return None
        action = AlertAction.TRIGGER if verdict.breached else AlertAction.RESOLVE
        summary = f"{rule.service} SLA breached: {verdict.reason}"
        return _alert(rule.key, action, summary, rule.severity, rule.service, "SlaBreached")


def _chain(check: Check) -> Recurring:
    name = check_id(check)
    return Recurring(CHECK_JOB, name, check.interval, {"check": name})


def _firing(uow: UnitOfWork, key: str) -> bool:
    row = uow.alerts.by_keys(INTEGRATION, [key]).get(key)
    return row is not None and row.status == AlertStatus.FIRING


def _alert(
    key: str, action: AlertAction, summary: str, severity: str | None, service: str, name: str
) -> AlertIn:
    return AlertIn(
        source="tocsin",
        dedup_key=key,
        action=action,
        summary=summary,
        severity=severity or "critical",
        component=service,
        labels={"alertname": name, "service": service, "source": INTEGRATION},
    )
