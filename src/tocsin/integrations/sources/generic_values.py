"""Reading an alert of any shape by dotted paths, leniently: numbers are fine as text."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from tocsin.core.alerts import FieldProblem
from tocsin.integrations.sources.fields import at, parse_time, to_text

MISSING = object()


def lookup(value: object, path: str) -> object:
    """The value at a dotted path (`details.host`, `tags.0`), or MISSING."""
    for step in path.split("."):
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif (
            isinstance(value, list) and step.isascii() and step.isdigit() and int(step) < len(value)
        ):
            value = value[int(step)]
        else:
            return MISSING
    return value


def epoch(seconds: float) -> datetime | None:
    """Unix seconds as aware UTC, None if out of range."""
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class ItemReader:
    """One alert object at `path`; each read takes a mapping path (None: not mapped)."""

    def __init__(self, item: Mapping[str, object], path: str) -> None:
        self.item = item
        self.path = path
        self.problems: list[FieldProblem] = []

    def _get(self, name: str | None) -> object:
        return MISSING if name is None else lookup(self.item, name)

    def _problem(self, name: str | None, message: str) -> None:
        self.problems.append(FieldProblem(at(self.path, name or "") or "body", message))

    def text(self, name: str | None, *, required: bool = False) -> str | None:
        value = self._get(name)
        if _is_number(value):
            return to_text(value)
        if isinstance(value, str) and value.strip():
            return value
        if value not in (MISSING, None) and not isinstance(value, str):
            self._problem(name, "expected a string")
        elif required:
            self._problem(name, "is required")
        return None

    def key(self, name: str | None) -> str | None:
        """A dedup key: a string or an integer."""
        value = self._get(name)
        if isinstance(value, float):
            self._problem(name, "expected a string or an integer")
            return None
        return self.text(name)

    def strings(self, name: str | None) -> dict[str, str]:
        value = self._get(name)
        if isinstance(value, dict):
            return {str(k): to_text(v) for k, v in value.items() if v is not None}
        if value not in (MISSING, None):
            self._problem(name, "expected an object")
        return {}

    def time(self, name: str | None) -> datetime | None:
        value = self._get(name)
        if value in (MISSING, None, ""):
            return None
        found = None
        if isinstance(value, str):
            found = parse_time(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            found = epoch(value)
        if found is None:
            self._problem(name, "expected an ISO 8601 time or Unix seconds")
        return found
