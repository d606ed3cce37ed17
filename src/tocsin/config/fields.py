"""Small reusable field types and checks shared by the config models."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AnyHttpUrl, BeforeValidator, TypeAdapter, WithJsonSchema
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

T = TypeVar("T")

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
ENV_NAME_PATTERN = r"^[A-Z_][A-Z0-9_]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def matching(pattern: str, error_type: str, message: str) -> Callable[[str], str]:
    """An AfterValidator function raising a friendly error when `pattern` does not match."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise PydanticCustomError(error_type, message, {"value": repr(value)})
        return value

    return check


Slug = Annotated[
    str,
    AfterValidator(
        matching(
            SLUG_PATTERN,
            "slug",
            "invalid name {value}: use lowercase letters, digits, - or _ (e.g. payments-api)",
        )
    ),
    WithJsonSchema({"type": "string", "pattern": SLUG_PATTERN}),
]
"""A short name used in commands and URLs: 'payments-api'."""

Email = Annotated[
    str,
    AfterValidator(matching(EMAIL_PATTERN, "email", "invalid e-mail address {value}")),
    WithJsonSchema({"type": "string", "pattern": EMAIL_PATTERN}),
]

EnvName = Annotated[
    str,
    AfterValidator(
        matching(
            ENV_NAME_PATTERN,
            "env_name",
            "{value} is not an environment variable name: secrets stay out of tocsin.yaml, "
            "write the NAME of the variable that holds it, e.g. SLACK_BOT_TOKEN",
        )
    ),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": ENV_NAME_PATTERN,
            "description": "the name of an environment variable holding the secret",
        }
    ),
]
"""Secrets never live in tocsin.yaml: the file names the environment variable that holds them."""

_HTTP_URL: TypeAdapter[AnyHttpUrl] = TypeAdapter(AnyHttpUrl)


def _check_http_url(value: str) -> str:
    try:
        _HTTP_URL.validate_python(value)
    except PydanticValidationError:
        raise PydanticCustomError(
            "http_url",
            "invalid URL {value}: use a full http:// or https:// address",
            {"value": repr(value)},
        ) from None
    return value


HttpUrlStr = Annotated[
    str,
    AfterValidator(_check_http_url),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://"}),
]
"""An http(s) URL, checked like pydantic's AnyHttpUrl but kept as the text written."""


def _int_to_str(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


IntOrStr = Annotated[str, BeforeValidator(_int_to_str)]
"""Text that YAML may read as a number (a Telegram chat id like -1001234567890)."""


def _no_int(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise PydanticCustomError(
            "quote_me", 'write the phone number in quotes, e.g. "+49 170 1234567"'
        )
    return value


PhoneStr = Annotated[str, BeforeValidator(_no_int)]
"""YAML reads +491701234567 as a number and drops the '+': ask for quotes instead."""


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "timezone",
            "unknown time zone {value}: use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC",
            {"value": repr(value)},
        ) from None
    return value


TimeZoneName = Annotated[
    str,
    AfterValidator(_check_timezone),
    WithJsonSchema({"type": "string", "examples": ["Europe/Berlin", "America/New_York", "UTC"]}),
]
"""An IANA time zone name that this machine's zoneinfo knows."""


def check_unique(
    items: Sequence[T], name_of: Callable[[T], str], where: str, field: str, what: str
) -> None:
    """Raise a 'duplicate' error if two items share a name (case-insensitively).

    The error context carries `index` and `field` of the later item, so the loader can point
    at its line.
    """
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        name = name_of(item)
        first = seen.setdefault(name.casefold(), index)
        if first != index:
            raise PydanticCustomError(
                "duplicate",
                "duplicate {what} {name}: {where}[{first}] already uses it "
                "(compared case-insensitively)",
                {
                    "what": what,
                    "name": repr(name),
                    "where": where,
                    "first": first,
                    "index": index,
                    "field": field,
                },
            )
