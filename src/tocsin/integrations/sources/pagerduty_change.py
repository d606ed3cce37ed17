"""PagerDuty change events, `POST /v2/change/enqueue`: a deploy or config change to show
beside incidents, never an alert.

`{routing_key, payload: {summary (required, up to 1024), source, timestamp,
custom_details}, links: [{href, text}]}`. Problems read like PagerDuty's 400 `errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tocsin.core.alerts import FieldProblem
from tocsin.integrations.sources import pagerduty_fields as pd
from tocsin.integrations.sources.fields import decode


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """What changed. `details` is `custom_details` flattened as alert annotations are."""

    summary: str
    source: str | None = None
    timestamp: datetime | None = None
    details: dict[str, str] = field(default_factory=dict)
    links: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class ChangeResult:
    routing_key: str | None
    change: ChangeEvent | None
    problems: list[FieldProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return pd.errors(self.problems)


def parse_change_bytes(body: bytes) -> ChangeResult:
    payload = decode(body)
    if isinstance(payload, FieldProblem):
        return ChangeResult(None, None, [pd.JSON_PARSE_ERROR])
    return parse_change(payload)


def parse_change(payload: object) -> ChangeResult:
    if not isinstance(payload, dict):
        return ChangeResult(None, None, [pd.NOT_AN_OBJECT])
    fields = pd.Reader(payload)
    routing_key = fields.routing_key()
    change = _change(fields)
    if fields.problems or change is None:
        return ChangeResult(routing_key, None, fields.problems)
    return ChangeResult(routing_key, change)


def _change(fields: pd.Reader) -> ChangeEvent | None:
    body = fields.mapping("payload")
    if body is None:
        return None
    payload = fields.nested(body, "payload")
    summary = payload.text("summary", required=True)
    source = payload.text("source")
    timestamp = payload.time("timestamp")
    fields.problems.extend(payload.problems)
    if summary is None or payload.problems:
        return None
    return ChangeEvent(
        summary=summary[: pd.SUMMARY_LIMIT],
        source=source,
        timestamp=timestamp,
        details=pd.details_annotations(body.get("custom_details")),
        links=tuple(Link(href, text) for href, text in pd.links(fields.value)),
    )
