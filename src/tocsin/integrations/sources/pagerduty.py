"""PagerDuty Events API v2: `POST /v2/enqueue` events and `POST /v2/change/enqueue` changes.

Mapping of an event to an alert:
- dedup_key: `dedup_key`; a trigger without one gets a new key from `new_key` (uuid4 hex by
  default) which the HTTP layer echoes back (`EventResult.dedup_key`).
- action: `event_action` (trigger, acknowledge, resolve). Acknowledge and resolve carry
  no payload: their summary is the dedup key.
- summary: `payload.summary`, cut to 1024 characters (cutting is kinder than refusing a
  page PagerDuty itself might take). severity: `payload.severity`. component, group,
  alert_class: `payload.component`, `.group`, `.class`. starts_at: `payload.timestamp`.
- labels: `source`, `severity`, `component`, `group` and `class` when set, so routing rules
  match them as they match Alertmanager labels.
- annotations: `custom_details` one level deep: string values as they are, others as JSON
  (a string or scalar `custom_details` becomes `details`), so `custom_details.runbook_url`
  is the runbook. Then, unless custom_details set them: `client`, `client_url`, `links` and
  `images` (as JSON), and `runbook_url` from the first link whose text mentions a runbook.
- source_url: the first link's href, else `client_url`.

Problems read like PagerDuty's 400 `errors` (`'payload.summary' is missing or blank`);
`error_response` builds the whole 400 body. `routing_key` picks the integration, so it is
returned beside the alert rather than inside it. Change events: `parse_change`
(see `pagerduty_change`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from tocsin.core.alert_rules import vet
from tocsin.core.alerts import AlertAction, AlertIn, FieldProblem, Parsed
from tocsin.integrations.sources import pagerduty_fields as pd
from tocsin.integrations.sources.fields import decode, to_text
from tocsin.integrations.sources.pagerduty_change import (
    ChangeEvent,
    ChangeResult,
    Link,
    parse_change,
    parse_change_bytes,
)

__all__ = [
    "SOURCE",
    "ChangeEvent",
    "ChangeResult",
    "EventResult",
    "Link",
    "error_response",
    "parse",
    "parse_bytes",
    "parse_change",
    "parse_change_bytes",
    "parse_event",
]

SOURCE = "pagerduty"
_ACTIONS = {
    "trigger": AlertAction.TRIGGER,
    "acknowledge": AlertAction.ACKNOWLEDGE,
    "resolve": AlertAction.RESOLVE,
}
_ACTION_CHOICES = "must be one of the following: 'trigger', 'acknowledge' or 'resolve'"


def _uuid_key() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class EventResult:
    """One enqueued event: the routing key (None when missing or malformed) and the alert."""

    routing_key: str | None
    parsed: Parsed

    @property
    def dedup_key(self) -> str | None:
        """The key to echo in the 202 answer."""
        return self.parsed.alerts[0].dedup_key if self.parsed.alerts else None

    @property
    def errors(self) -> list[str]:
        return pd.errors(self.parsed.problems)


def parse(payload: object) -> Parsed:
    return parse_event(payload).parsed


def parse_bytes(body: bytes, *, new_key: Callable[[], str] = _uuid_key) -> EventResult:
    payload = decode(body)
    if isinstance(payload, FieldProblem):
        return EventResult(None, Parsed(problems=[pd.JSON_PARSE_ERROR]))
    return parse_event(payload, new_key=new_key)


def parse_event(payload: object, *, new_key: Callable[[], str] = _uuid_key) -> EventResult:
    """One decoded event; `new_key` names a trigger that came without a dedup_key."""
    if not isinstance(payload, dict):
        return EventResult(None, Parsed(problems=[pd.NOT_AN_OBJECT]))
    fields = pd.Reader(payload)
    routing_key = fields.routing_key()
    action = _action(fields)
    dedup_key = fields.text("dedup_key", limit=255, required=action not in (None, "trigger"))
    alert = None
    if action == "trigger":
        alert = _trigger(fields, dedup_key or new_key())
    elif action is not None and dedup_key is not None:
        alert = AlertIn(SOURCE, dedup_key, _ACTIONS[action], summary=dedup_key)
    vetted = vet(alert, "payload") if alert is not None else None
    if isinstance(vetted, list):
        fields.problems.extend(vetted)
    if fields.problems or vetted is None or isinstance(vetted, list):
        return EventResult(routing_key, Parsed(problems=fields.problems))
    return EventResult(routing_key, Parsed(alerts=[vetted]))


def error_response(problems: Sequence[FieldProblem]) -> dict[str, object]:
    """PagerDuty's 400 body for these problems."""
    return pd.error_response(problems)


def _action(fields: pd.Reader) -> str | None:
    action = fields.text("event_action", required=True)
    if action is not None and action not in _ACTIONS:
        fields.invalid("event_action", _ACTION_CHOICES)
        return None
    return action


def _trigger(fields: pd.Reader, dedup_key: str) -> AlertIn | None:
    body = fields.mapping("payload")
    if body is None:
        return None
    payload = fields.nested(body, "payload")
    summary = payload.text("summary", required=True)
    source = payload.text("source", required=True)
    severity = payload.severity()
    timestamp = payload.time("timestamp")
    extras = {key: payload.text(key) for key in ("component", "group", "class")}
    fields.problems.extend(payload.problems)
    if fields.problems or summary is None or source is None:
        return None
    labels = {"source": source, "severity": severity, **extras}
    return AlertIn(
        source=SOURCE,
        dedup_key=dedup_key,
        action=AlertAction.TRIGGER,
        summary=summary[: pd.SUMMARY_LIMIT],
        severity=severity,
        component=extras["component"],
        group=extras["group"],
        alert_class=extras["class"],
        labels={key: value for key, value in labels.items() if value},
        annotations=_annotations(body.get("custom_details"), fields.value),
        starts_at=timestamp,
        source_url=_source_url(fields.value),
    )


def _annotations(details: object, event: Mapping[str, object]) -> dict[str, str]:
    found = pd.details_annotations(details)
    for key in ("client", "client_url"):
        value = event.get(key)
        if isinstance(value, str) and value:
            found.setdefault(key, value)
    for key in ("links", "images"):
        value = event.get(key)
        if isinstance(value, list) and value:
            found.setdefault(key, to_text(value))
    runbook = next((href for href, text in pd.links(event) if "runbook" in text.lower()), None)
    if runbook:
        found.setdefault("runbook_url", runbook)
    return found


def _source_url(event: Mapping[str, object]) -> str | None:
    links = pd.links(event)
    if links:
        return links[0][0]
    client_url = event.get("client_url")
    return client_url if isinstance(client_url, str) and client_url else None
