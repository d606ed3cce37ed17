"""What the ingestion routes declare in OpenAPI: the key in their path and, for the
Alertmanager shapes and PagerDuty's Events API v2, the request body.

The routes read the key and the raw body from the request themselves and hand the body to the
ingestion writer, which parses it (`integrations/sources/alertmanager.py`): nothing here
validates a request. These schemas say what a sender should post, as Alertmanager's own
documents do."""

from __future__ import annotations

from typing import Any

_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_TIME = {"type": "string", "format": "date-time"}
_COMMON = {
    "labels": _STRINGS,
    "annotations": _STRINGS,
    "startsAt": _TIME,
    "endsAt": _TIME,
    "generatorURL": {"type": "string"},
}
_STATUS = {"type": "string", "enum": ["firing", "resolved"]}

POSTABLE_ALERTS: dict[str, Any] = {
    "type": "array",
    "items": {"type": "object", "required": ["labels"], "properties": _COMMON},
}
WEBHOOK: dict[str, Any] = {
    "type": "object",
    "required": ["alerts"],
    "properties": {
        "version": {"type": "string"},
        "groupKey": {"type": "string"},
        "status": _STATUS,
        "receiver": {"type": "string"},
        "alerts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {**_COMMON, "status": _STATUS, "fingerprint": {"type": "string"}},
            },
        },
    },
}


_LINKS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["href"],
        "properties": {"href": {"type": "string"}, "text": {"type": "string"}},
    },
}
# PagerDuty's Events API v2 (the routing key in the body is the integration's key).
PAGERDUTY_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["routing_key", "event_action"],
    "properties": {
        "routing_key": {"type": "string"},
        "event_action": {"type": "string", "enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string"},
        "payload": {
            "type": "object",
            "required": ["summary", "source", "severity"],
            "properties": {
                "summary": {"type": "string"},
                "source": {"type": "string"},
                "severity": {"type": "string", "enum": ["critical", "error", "warning", "info"]},
                "timestamp": _TIME,
                "component": {"type": "string"},
                "group": {"type": "string"},
                "class": {"type": "string"},
                "custom_details": {"type": "object"},
            },
        },
        "client": {"type": "string"},
        "client_url": {"type": "string"},
        "links": _LINKS,
    },
}
PAGERDUTY_CHANGE: dict[str, Any] = {
    "type": "object",
    "required": ["routing_key", "payload"],
    "properties": {
        "routing_key": {"type": "string"},
        "payload": {
            "type": "object",
            "required": ["summary"],
            "properties": {
                "summary": {"type": "string"},
                "source": {"type": "string"},
                "timestamp": _TIME,
                "custom_details": {"type": "object"},
            },
        },
        "links": _LINKS,
    },
}


KEY: dict[str, Any] = {
    "name": "key",
    "in": "path",
    "required": True,
    "description": "The integration's key (`tocsin integration add`)",
    "schema": {"type": "string"},
}


def declared(
    body: dict[str, Any] | None = None, description: str = "", key_in_path: bool = True
) -> dict[str, Any]:
    """`openapi_extra` for an ingestion route that reads its key and body itself."""
    extra: dict[str, Any] = {"parameters": [KEY]} if key_in_path else {}
    if body is not None:
        content = {"application/json": {"schema": body}}
        extra["requestBody"] = {"required": True, "description": description, "content": content}
    return extra
