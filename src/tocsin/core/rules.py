"""Input rules shared by the incident commands: each error names the field and the fix."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from tocsin.core.errors import InvalidInput

TITLE_MAX = 200
TEXT_MAX = 10_000
_HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_LABEL = re.compile(r"^[a-z0-9][a-z0-9._:/-]{0,62}$")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Characters that change the order in which text is shown (Trojan Source): embeddings,
# overrides and isolates. Refused in every text; the marks LRM, RLM and ALM stay allowed.
_REORDERING = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_JOINERS = "\u200c\u200d"  # ZWNJ, ZWJ: needed inside emoji sequences and some scripts
SERVICE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")  # the same as a service's name in tocsin.yaml


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
    bad = _REORDERING.search(cleaned)
    if bad:
        raise InvalidInput(
            f"{name} contains U+{ord(bad.group()):04X}, which changes the order text is shown "
            "in; remove it"
        )
    return cleaned


def line(value: str, name: str, limit: int = 200) -> str:
    """One visible line (titles, names, actors): `text`, and no line breaks, tabs or invisible
    characters (zero-width spaces, byte order marks, tag characters). Zero-width joiners stay
    allowed between two visible characters, as emoji sequences and some scripts need them."""
    cleaned = text(value, name, limit)
    for index, char in enumerate(cleaned):
        if char in _LINE_BREAKS:
            raise InvalidInput(
                f"{name} contains a line break (U+{ord(char):04X}); write it on one line"
            )
        if char == "\t":
            raise InvalidInput(f"{name} contains a tab (U+0009); use a space")
        if _invisible(char) and not _joining(cleaned, index):
            raise InvalidInput(
                f"{name} contains the invisible character U+{ord(char):04X}; remove it"
            )
    return cleaned


def one_line(value: str, limit: int = 200) -> str:
    """`value` made fit for `line`, for text from machines (alert summaries), which cannot
    be sent back: line breaks and tabs become spaces, invisible characters go, runs of
    spaces become one, and it is cut to `limit`. May be empty."""
    chars = [
        " " if char in _LINE_BREAKS or char == "\t" else char
        for index, char in enumerate(value)
        if not (_invisible(char) and not _joining(value, index))
        and not _CONTROL.match(char)
        and not _REORDERING.match(char)
    ]
    return " ".join("".join(chars).split())[:limit].strip()


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf"


def _joining(value: str, index: int) -> bool:
    """A joiner with a visible character on each side."""
    if value[index] not in _JOINERS or index == 0 or index == len(value) - 1:
        return False
    return all(_visible(value[i]) for i in (index - 1, index + 1))


def _visible(char: str) -> bool:
    return not (char.isspace() or _invisible(char) or _CONTROL.match(char))


def names(values: Iterable[str], name: str) -> tuple[str, ...]:
    """Tenant and endpoint names: each one visible line, at most 200 characters."""
    return tuple(dict.fromkeys(line(v, name, 200) for v in values))


def services(values: Iterable[str]) -> tuple[str, ...]:
    """Service names, lowercased: each a service's name as tocsin.yaml spells one."""
    out = []
    for raw in values:
        cleaned = raw.strip().lower()
        if not SERVICE.match(cleaned):
            raise InvalidInput(
                f"service {raw!r} is not a service name: use lowercase letters, digits, - or _ "
                "(up to 63 characters, e.g. payments-api)"
            )
        out.append(cleaned)
    return tuple(dict.fromkeys(out))


def slug(value: str, fallback: str = "unknown") -> str:
    """A service name made from any text (an alert's `service` label): 'Payments API' ->
    'payments-api'; `fallback` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    made = re.sub(r"[^a-z0-9_]+", "-", ascii_text.lower()).strip("-_")[:63].strip("-_")
    return made if SERVICE.match(made) else fallback


def optional_text(value: str | None, name: str, limit: int = TEXT_MAX) -> str | None:
    if value is None or not value.strip():
        return None
    return text(value, name, limit)


def actor(value: str) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > 200 or _CONTROL.search(cleaned):
        raise InvalidInput(
            "actor is empty, too long or has control characters; pass --as NAME or set TOCSIN_ACTOR"
        )
    return line(cleaned, "actor")


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
