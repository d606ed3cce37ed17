"""Durations written the way people say them: 30s, 15m, 1h30m, 2d (a bare integer is seconds)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

_DURATION = re.compile(r"(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
DURATION_PATTERN = r"^(?=\d)(\d+d)?(\d+h)?(\d+m)?(\d+s)?$"
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def _invalid(value: object) -> PydanticCustomError:
    return PydanticCustomError(
        "duration",
        "invalid duration {value}: use a number followed by s, m, h or d, e.g. 15m or 1h30m",
        {"value": repr(value)},
    )


def _from_seconds(seconds: int, original: object) -> timedelta:
    if seconds <= 0:
        raise PydanticCustomError(
            "duration_not_positive",
            "duration must be more than zero, got {value}",
            {"value": repr(original)},
        )
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise PydanticCustomError(
            "duration_too_long", "duration {value} is too long", {"value": repr(original)}
        ) from None


def parse_duration(value: object) -> timedelta:
    """'1h30m' -> 90 minutes; an int counts seconds. Raises PydanticCustomError when invalid."""
    if isinstance(value, timedelta):
        if value % timedelta(seconds=1):
            raise _invalid(value)
        return _from_seconds(value // timedelta(seconds=1), value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _from_seconds(value, value)
    if not isinstance(value, str):
        raise _invalid(value)
    match = _DURATION.fullmatch(value.strip())
    if match is None:
        raise _invalid(value)
    parts = (
        int(group or 0) * size for group, (_, size) in zip(match.groups(), _UNITS, strict=True)
    )
    return _from_seconds(sum(parts), value)


def format_duration(value: timedelta) -> str:
    """The compact form parse_duration reads back: 90 minutes -> '1h30m', 0 -> '0s'."""
    remaining = int(value.total_seconds())
    text = ""
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            text += f"{count}{unit}"
    return text or "0s"


def _validate(value: Any) -> timedelta:
    return parse_duration(value)


Duration = Annotated[
    timedelta,
    BeforeValidator(_validate),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": DURATION_PATTERN, "examples": ["15m", "1h30m"]},
                {"type": "integer", "minimum": 1, "description": "seconds"},
            ]
        },
        mode="validation",
    ),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN}, mode="serialization"),
]
"""A positive whole number of seconds, read from '15m'-style text or an int of seconds."""


def _validate_offset(value: Any) -> timedelta:
    """Like a duration, but zero is fine: `after: 0m` is "at once"."""
    if value == 0 or (isinstance(value, str) and re.fullmatch(r"0+[smhd]?", value.strip())):
        return timedelta(0)
    return parse_duration(value)


Offset = Annotated[
    timedelta,
    BeforeValidator(_validate_offset),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": DURATION_PATTERN, "examples": ["0m", "15m"]},
                {"type": "integer", "minimum": 0, "description": "seconds"},
            ]
        },
        mode="validation",
    ),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN}, mode="serialization"),
]
"""A duration from a start, zero included: 0m, 15m, 1h."""
