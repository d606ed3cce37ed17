"""Any JSON sender, through a declared field mapping (`GenericMapping`).

A payload is one alert object or a list of them (or, with `items`, such a list found at a
path). Each mapping entry is a dotted path into an alert (`details.host`, `tags.0`); None
leaves that field out. By default the paths are AlertIn's own field names.
- dedup_key: the value at `dedup_key` (a string or an integer); without one, the
  Alertmanager fingerprint of the labels, or of {"summary": summary} when there are none.
- action: resolve when the value at `status` is one of `resolve_values` (resolved, ok,
  resolve: any case), acknowledge for `acknowledge_values`, else trigger.
- summary: required. severity, component, group: strings (numbers are written out).
- labels, annotations: objects; values become text (strings as they are, others as JSON,
  nulls dropped). starts_at, ends_at: ISO 8601 (no offset means UTC) or Unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.core.alert_rules import vet
from tocsin.core.alerts import AlertAction, AlertIn, FieldProblem, Parsed
from tocsin.integrations.sources.fields import at, decode, fingerprint, gather
from tocsin.integrations.sources.generic_values import ItemReader, lookup

SOURCE = "generic"


@dataclass(frozen=True, slots=True)
class GenericMapping:
    items: str | None = None
    summary: str = "summary"
    dedup_key: str | None = "dedup_key"
    status: str | None = "status"
    severity: str | None = "severity"
    component: str | None = "component"
    group: str | None = "group"
    labels: str | None = "labels"
    annotations: str | None = "annotations"
    starts_at: str | None = "starts_at"
    ends_at: str | None = "ends_at"
    source_url: str | None = "source_url"
    resolve_values: frozenset[str] = frozenset({"resolved", "ok", "resolve"})
    acknowledge_values: frozenset[str] = frozenset({"acknowledge", "acknowledged"})
    source: str = SOURCE


DEFAULT_MAPPING = GenericMapping()


def parse(payload: object, mapping: GenericMapping = DEFAULT_MAPPING) -> Parsed:
    items, path = payload, ""
    if mapping.items is not None:
        items, path = lookup(payload, mapping.items), mapping.items
    if isinstance(items, dict):
        return gather([_alert(items, path, mapping)], [])
    if isinstance(items, list):
        return gather((_alert(item, at(path, i), mapping) for i, item in enumerate(items)), [])
    return Parsed(problems=[FieldProblem(path or "body", "expected an alert object or a list")])


def parse_bytes(body: bytes, mapping: GenericMapping = DEFAULT_MAPPING) -> Parsed:
    payload = decode(body)
    return (
        Parsed(problems=[payload]) if isinstance(payload, FieldProblem) else parse(payload, mapping)
    )


def _alert(item: object, path: str, mapping: GenericMapping) -> AlertIn | list[FieldProblem]:
    if not isinstance(item, dict):
        return [FieldProblem(path or "body", "expected an object")]
    fields = ItemReader(item, path)
    summary = fields.text(mapping.summary, required=True)
    labels = fields.strings(mapping.labels)
    key = fields.key(mapping.dedup_key)
    action = _action(fields.text(mapping.status), mapping)
    starts_at, ends_at = fields.time(mapping.starts_at), fields.time(mapping.ends_at)
    texts = {name: fields.text(getattr(mapping, name)) for name in ("severity", "component")}
    group, url = fields.text(mapping.group), fields.text(mapping.source_url)
    annotations = fields.strings(mapping.annotations)
    if fields.problems or summary is None:
        return fields.problems
    alert = AlertIn(
        source=mapping.source,
        dedup_key=key or fingerprint(labels or {"summary": summary}),
        action=action,
        summary=summary,
        severity=texts["severity"],
        component=texts["component"],
        group=group,
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        source_url=url,
    )
    return vet(alert, path)


def _action(status: str | None, mapping: GenericMapping) -> AlertAction:
    word = (status or "").strip().lower()
    if word in {value.lower() for value in mapping.resolve_values}:
        return AlertAction.RESOLVE
    if word in {value.lower() for value in mapping.acknowledge_values}:
        return AlertAction.ACKNOWLEDGE
    return AlertAction.TRIGGER
