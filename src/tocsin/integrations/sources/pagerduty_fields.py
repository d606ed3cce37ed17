"""Reading PagerDuty event fields, with problems worded like PagerDuty's 400 `errors`.

Each FieldProblem names the field (`payload.summary`) and its message is the whole error
string PagerDuty would put in `errors` (`'payload.summary' is missing or blank`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from tocsin.core.alerts import FieldProblem
from tocsin.integrations.sources.fields import at, parse_time, to_text

ROUTING_KEY_LENGTH = 32
SUMMARY_LIMIT = 1024
SEVERITIES = ("critical", "error", "warning", "info")
JSON_PARSE_ERROR = FieldProblem("body", "JSON parse error")
NOT_AN_OBJECT = FieldProblem("body", "Event object must be a JSON object")
_SEVERITY_CHOICES = "must be one of the following: 'critical', 'warning', 'error' or 'info'"


class Reader:
    """One event object (or its `payload`) at `path`."""

    def __init__(self, value: Mapping[str, object], path: str = "") -> None:
        self.value = value
        self.path = path
        self.problems: list[FieldProblem] = []

    def _add(self, key: str, message: str) -> None:
        self.problems.append(FieldProblem(at(self.path, key), message.format(at(self.path, key))))

    def invalid(self, key: str, why: str) -> None:
        self._add(key, "'{}' is invalid (" + why + ")")

    def text(self, key: str, *, required: bool = False, limit: int | None = None) -> str | None:
        value = self.value.get(key)
        if value is not None and not isinstance(value, str):
            self.invalid(key, "must be a string")
            return None
        if value is None or not value.strip():
            if required:
                self._add(key, "'{}' is missing or blank")
            return None
        if limit is not None and len(value) > limit:
            self._add(key, "Length of '{}' is too long (must be " + f"{limit} characters or less)")
            return None
        return value

    def mapping(self, key: str) -> Mapping[str, object] | None:
        value = self.value.get(key)
        if isinstance(value, dict):
            return value
        if value is None:
            self._add(key, "'{}' is missing or blank")
        else:
            self.invalid(key, "must be an object")
        return None

    def nested(self, value: Mapping[str, object], key: str) -> Reader:
        return Reader(value, at(self.path, key))

    def routing_key(self) -> str | None:
        key = self.text("routing_key", required=True)
        if key is None:
            return None
        if len(key) != ROUTING_KEY_LENGTH:
            self._add("routing_key", "Length of '{}' is incorrect (should be 32 characters)")
        if not (key.isascii() and key.isalnum()):
            self._add("routing_key", "'{}' cannot contain non-alphanumeric characters.")
        ok = len(key) == ROUTING_KEY_LENGTH and key.isascii() and key.isalnum()
        return key if ok else None

    def severity(self) -> str | None:
        severity = self.text("severity", required=True)
        if severity is not None and severity not in SEVERITIES:
            self.invalid("severity", _SEVERITY_CHOICES)
            return None
        return severity

    def time(self, key: str) -> datetime | None:
        text = self.text(key)
        value = parse_time(text) if text is not None else None
        if text is not None and value is None:
            self.invalid(key, "must be an ISO 8601 timestamp")
        return value


def details_annotations(details: object) -> dict[str, str]:
    """`custom_details` as annotations: an object one level deep, anything else as `details`."""
    if isinstance(details, dict):
        return {str(key): to_text(value) for key, value in details.items()}
    return {} if details is None else {"details": to_text(details)}


def links(event: Mapping[str, object]) -> list[tuple[str, str]]:
    """(href, text) of each well-formed link; links are informational, so others are skipped."""
    links = event.get("links")
    found: list[tuple[str, str]] = []
    for link in links if isinstance(links, list) else []:
        href = link.get("href") if isinstance(link, dict) else None
        text = link.get("text") if isinstance(link, dict) else None
        if isinstance(href, str) and href:
            found.append((href, text if isinstance(text, str) else ""))
    return found


def errors(problems: Sequence[FieldProblem]) -> list[str]:
    """The `errors` list of PagerDuty's 400 answer."""
    return [problem.message for problem in problems]


def error_response(problems: Sequence[FieldProblem]) -> dict[str, object]:
    """PagerDuty's whole 400 body: an unreadable body is an "Unrecognized object", anything
    else an "invalid event"."""
    if any(problem.field == "body" for problem in problems):
        status, message = "Unrecognized object", "Event object format is unrecognized"
    else:
        status, message = "invalid event", "Event object is invalid"
    return {"status": status, "message": message, "errors": errors(problems)}
