"""Input rules shared by the incident commands: each error names the field and the fix."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tocsin.core.errors import InvalidInput

TITLE_MAX = 200
TEXT_MAX = 10_000
_HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_LABEL = re.compile(r"^[a-z0-9][a-z0-9._:/-]{0,62}$")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text(value: str, name: str, limit: int = TEXT_MAX) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(f"{name} is empty; give a short text")
    if len(cleaned) > limit:
        raise InvalidInput(f"{name} is {len(cleaned)} characters; the limit is {limit}")
    bad = _CONTROL.search(cleaned)
    if bad:
        raise InvalidInput(
            f"{name} contains the control character U+{ord(bad.group()):04X}; remove it "
            "(tabs and new lines are fine)"
        )
    return cleaned


def short_texts(values: Iterable[str], name: str) -> tuple[str, ...]:
    """Service, tenant and endpoint names: non-empty, short, no control characters."""
    return tuple(dict.fromkeys(text(v, name, 200) for v in values))


def optional_text(value: str | None, name: str, limit: int = TEXT_MAX) -> str | None:
    if value is None or not value.strip():
        return None
    return text(value, name, limit)


def actor(value: str) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > 200 or _CONTROL.search(cleaned) or "\n" in cleaned:
        raise InvalidInput(
            "actor is empty, too long or has control characters; pass --as NAME or set TOCSIN_ACTOR"
        )
    return cleaned


def handle_or_none(value: str | None) -> str | None:
    """The handle, or None when `value` cannot be one (so no such name can exist)."""
    cleaned = (value or "").strip().lstrip("@")
    return cleaned if _HANDLE.match(cleaned) else None


def handle(value: str | None, name: str) -> str:
    cleaned = (value or "").strip().lstrip("@")
    if not _HANDLE.match(cleaned):
        raise InvalidInput(
            f"{name} {value!r} is not a handle; use letters, digits and . _ @ + - (e.g. alice)"
        )
    return cleaned


def labels(values: Iterable[str]) -> list[str]:
    out = set()
    for raw in values:
        label = raw.strip().lower()
        if not _LABEL.match(label):
            raise InvalidInput(
                f"label {raw!r} is not valid; use lowercase letters, digits and . _ : / - "
                "(up to 63 characters, e.g. database)"
            )
        out.add(label)
    return sorted(out)
