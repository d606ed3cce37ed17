"""The request bodies the Alertmanager-shaped ingestion routes document in OpenAPI.

The routes read the raw body and hand it to the ingestion writer, which parses it
(`integrations/sources/alertmanager.py`): nothing here validates a request. These schemas
say what a sender should post, as Alertmanager's own documents do."""

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


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """`openapi_extra` for a route that reads its body itself."""
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": True, "description": description, "content": content}}
