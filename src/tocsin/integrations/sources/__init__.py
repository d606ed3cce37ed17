"""Alert sources: each turns what a sender posts into `AlertIn`s, and nothing else.

Every parser is pure (no I/O, no clock unless passed in) and never raises on bad input: it
returns `Parsed`, the good alerts plus a `FieldProblem` per bad item, naming the field
(`alerts[2].labels: expected an object of strings`). Unknown fields are ignored. Times are
aware UTC. Each module's docstring gives its whole mapping; in short:

- alertmanager: dedup_key = fingerprint (else Alertmanager's fingerprint of the labels);
  resolves on alert status "resolved"; summary = annotation summary, else description,
  else label alertname; group = groupKey. `parse_api_v2` for Alertmanager's own API.
- grafana: as alertmanager, plus Grafana's links and values as annotations.
- pagerduty: dedup_key = dedup_key (a trigger without one gets a new key); action =
  event_action (acknowledge too); summary = payload.summary.
- cloudwatch: dedup_key = AlarmArn (else account:region:name); OK resolves, ALARM and
  INSUFFICIENT_DATA ("warning") trigger; summary = AlarmName.
- generic: a declared mapping of dotted paths; status resolved/ok/resolve resolves.

Severity is the sender's own word (label `severity`, PagerDuty's `payload.severity`,
CloudWatch INSUFFICIENT_DATA as "warning"); routing maps it.

`SOURCES` holds the parsers that take one decoded JSON payload. The others need more:
`alertmanager.parse_api_v2(payload, now=...)`, `pagerduty.parse_event` (returns the
routing key beside the alert) and `parse_change`, `cloudwatch.parse_sns(headers, body)`
(confirmations and notifications; `sns_signature` checks them), `grafana.verify_hmac`, and
`generic.parse(payload, mapping)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from tocsin.core.alerts import Parsed
from tocsin.integrations.sources import alertmanager, cloudwatch, generic, grafana, pagerduty

Parser = Callable[[object], Parsed]

SOURCES: Mapping[str, Parser] = MappingProxyType(
    {
        "alertmanager": alertmanager.parse,
        "pagerduty": pagerduty.parse,
        "cloudwatch": cloudwatch.parse,
        "grafana": grafana.parse,
        "generic": generic.parse,
    }
)

__all__ = ["SOURCES", "Parser"]
