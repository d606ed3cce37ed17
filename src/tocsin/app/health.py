"""Health checks run by Tocsin, and SLA rules over their samples; trouble becomes alerts."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from tocsin.app.alerts import AlertService
from tocsin.app.ports import Clock
from tocsin.core.alerts import AlertAction, AlertIn, Parsed
from tocsin.core.health import Check, CheckState, Sample, SlaRule, evaluate, judge, shown_url

INTEGRATION = "tocsin-health"
KEEP = timedelta(hours=25)  # longer than any SLA window we expect


@dataclass(frozen=True, slots=True)
class ProbeResult:
    status: int | None
    body: str
    latency_ms: float
    error: str | None = None


class Probe(Protocol):
    def get(self, url: str, timeout_s: float) -> ProbeResult: ...


class HealthMonitor:
    """`tick()` runs the checks that are due and evaluates the SLA rules. Samples are kept in
    memory, per process: the window starts again when the server restarts."""

    def __init__(
        self,
        checks: list[Check],
        rules: list[SlaRule],
        probe: Probe,
        clock: Clock,
        alerts: AlertService,
    ) -> None:
        self.checks = checks
        self.rules = rules
        self._probe = probe
        self._clock = clock
        self._alerts = alerts
        self._states = {c.key: CheckState() for c in checks}
        self._samples: dict[str, deque[Sample]] = {}
        self._sla_breached: dict[str, bool] = {}

    def samples(self, service: str) -> list[Sample]:
        return list(self._samples.get(service, ()))

    def tick(self) -> list[AlertIn]:
        """Run what is due; send the alerts it raises or resolves; return them."""
        raised = [alert for check in self._due() if (alert := self._run(check))]
        raised += [alert for rule in self.rules if (alert := self._judge_sla(rule))]
        if raised:
            self._alerts.ingest(INTEGRATION, Parsed(alerts=raised))
        return raised

    def _due(self) -> list[Check]:
        now = self._clock.now()
        due = []
        for check in self.checks:
            state = self._states[check.key]
            if state.next_due is None or state.next_due <= now:
                state.next_due = now + check.interval
                due.append(check)
        return due

    def _run(self, check: Check) -> AlertIn | None:
        result = self._probe.get(check.url, check.timeout.total_seconds())
        now = self._clock.now()
        sample = judge(check, now, result.status, result.body, result.latency_ms, result.error)
        self._keep(check.service, sample)
        action = self._states[check.key].observe(check, sample)
        if action is None:
            return None
        shown = shown_url(check.url)  # never a password or token from tocsin.yaml
        detail = sample.detail.replace(check.url, shown)
        summary = f"{check.service} health check failing: {detail} from {shown}"
        return _alert(check.key, action, summary, check.severity, check.service, "HealthCheck")

    def _keep(self, service: str, sample: Sample) -> None:
        kept = self._samples.setdefault(service, deque())
        kept.append(sample)
        while kept and sample.at - kept[0].at > KEEP:
            kept.popleft()

    def _judge_sla(self, rule: SlaRule) -> AlertIn | None:
        verdict = evaluate(rule, self.samples(rule.service), self._clock.now())
        was = self._sla_breached.get(rule.key, False)
        if verdict.breached == was:
            return None
        self._sla_breached[rule.key] = verdict.breached
        action = AlertAction.TRIGGER if verdict.breached else AlertAction.RESOLVE
        summary = f"{rule.service} SLA breached: {verdict.reason}"
        return _alert(rule.key, action, summary, rule.severity, rule.service, "SlaBreached")


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
