"""Prometheus Alertmanager: the webhook (payload version 4) and `POST /api/v2/alerts`.

Mapping, per alert:
- dedup_key: `fingerprint`; without one, Alertmanager's own fingerprint of the labels
  (see `fields.fingerprint`), which is what Alertmanager would have sent.
- group: the notification's `groupKey`. WIRE.md deduplicates on groupKey + fingerprint: the
  pair is (group, dedup_key). The key alone stays the fingerprint so that an alert keeps its
  identity when it reaches us through two routes or after the routing tree changes, and a
  resolve always finds its trigger.
- action: resolve when the alert's `status` is "resolved" (the top-level `status` stands in
  when an alert has none), else trigger.
- summary: annotations `summary`, else `description`, else label `alertname`, else the label
  set written the way Alertmanager writes it (`{job="api"}`).
- severity: label `severity`, as written. component: label `service`, else `job`.
  alert_class: label `alertname`. source_url: `generatorURL`.
- starts_at / ends_at: `startsAt` / `endsAt`; "0001-01-01T00:00:00Z" means unset.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from tocsin.core.alert_rules import vet
from tocsin.core.alerts import AlertAction, AlertIn, FieldProblem, Parsed
from tocsin.integrations.sources.fields import Reader, as_object, at, decode, fingerprint, gather

SOURCE = "alertmanager"
Extra = Callable[[Mapping[str, object]], dict[str, str]]
_ACTIONS = {"firing": AlertAction.TRIGGER, "resolved": AlertAction.RESOLVE}


def parse(payload: object) -> Parsed:
    """A decoded webhook notification."""
    return parse_webhook(payload, source=SOURCE)


def parse_bytes(body: bytes) -> Parsed:
    payload = decode(body)
    return Parsed(problems=[payload]) if isinstance(payload, FieldProblem) else parse(payload)


def parse_webhook(payload: object, *, source: str, extra: Extra | None = None) -> Parsed:
    """Alertmanager's webhook shape; `extra` adds a sender's own annotations per alert
    (Grafana's panel and silence links)."""
    root = as_object(payload, "")
    if isinstance(root, FieldProblem):
        return Parsed(problems=[root])
    top = Reader(root)
    group = top.text("groupKey")
    fallback = top.text("status")
    items = root.get("alerts")
    if not isinstance(items, list):
        top.problem("alerts", "expected a list of alerts")
        return Parsed(problems=top.problems)
    results = (
        _webhook_alert(item, at("alerts", i), source, group, fallback, extra)
        for i, item in enumerate(items)
    )
    return gather(results, top.problems)


def parse_api_v2(payload: object, *, now: datetime) -> Parsed:
    """`POST /api/v2/alerts`: a list of {labels, annotations, startsAt, endsAt,
    generatorURL}. An alert whose endsAt is not after `now` is resolved; a missing startsAt
    stays None (the caller uses the receive time)."""
    if not isinstance(payload, list):
        return Parsed(problems=[FieldProblem("body", "expected a list of alerts")])
    return gather((_posted_alert(item, at("", i), now) for i, item in enumerate(payload)), [])


def _webhook_alert(
    item: object,
    path: str,
    source: str,
    group: str | None,
    fallback: str | None,
    extra: Extra | None,
) -> AlertIn | list[FieldProblem]:
    obj = as_object(item, path)
    if isinstance(obj, FieldProblem):
        return [obj]
    fields = Reader(obj, path)
    labels = fields.strings("labels")
    key = fields.text("fingerprint")
    if key is None and not labels and not fields.problems:
        fields.problem("labels", "is required when fingerprint is missing")
    action = _action(fields, fallback)
    draft = _draft(fields, source, labels, key or fingerprint(labels), group)
    if draft is None or action is None:
        return fields.problems
    annotations = {**(extra(obj) if extra else {}), **draft.annotations}
    return replace(draft, action=action, annotations=annotations)


def _posted_alert(item: object, path: str, now: datetime) -> AlertIn | list[FieldProblem]:
    obj = as_object(item, path)
    if isinstance(obj, FieldProblem):
        return [obj]
    fields = Reader(obj, path)
    labels = fields.strings("labels")
    if not labels and not fields.problems:
        fields.problem("labels", "is required")
    draft = _draft(fields, SOURCE, labels, fingerprint(labels), None)
    if draft is None:
        return fields.problems
    if draft.starts_at and draft.ends_at and draft.ends_at < draft.starts_at:
        fields.problem("endsAt", "must not be before startsAt")
        return fields.problems
    resolved = draft.ends_at is not None and draft.ends_at <= now
    return replace(draft, action=AlertAction.RESOLVE) if resolved else draft


def _action(fields: Reader, fallback: str | None) -> AlertAction | None:
    status = fields.text("status") or fallback
    if status is None:
        fields.problem("status", "is required")
    elif status not in _ACTIONS:
        fields.problem("status", 'expected "firing" or "resolved"')
    return _ACTIONS.get(status or "")


def _draft(
    fields: Reader, source: str, labels: dict[str, str], key: str, group: str | None
) -> AlertIn | None:
    """The alert as a trigger, with every field both shapes share; None if any was bad."""
    annotations = fields.strings("annotations")
    starts_at, ends_at = fields.time("startsAt"), fields.time("endsAt")
    url = fields.text("generatorURL")
    if fields.problems:
        return None
    vetted = vet(AlertIn(
        source=source,
        dedup_key=key,
        action=AlertAction.TRIGGER,
        summary=summary(labels, annotations, key),
        severity=labels.get("severity") or None,
        component=labels.get("service") or labels.get("job") or None,
        group=group,
        alert_class=labels.get("alertname") or None,
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        source_url=url,
    ), fields.path)  # fmt: skip
    if isinstance(vetted, list):
        fields.problems.extend(vetted)
        return None
    return vetted


def summary(labels: Mapping[str, str], annotations: Mapping[str, str], key: str) -> str:
    for text in (annotations.get("summary"), annotations.get("description")):
        if text and text.strip():
            return text.strip()
    if labels.get("alertname", "").strip():
        return labels["alertname"].strip()
    return label_set(labels) if labels else f"alert {key}"


def label_set(labels: Mapping[str, str]) -> str:
    """`{job="api", zone="eu"}`, the way Alertmanager writes a label set."""
    pairs = (
        f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in sorted(labels.items())
    )
    return "{" + ", ".join(pairs) + "}"
