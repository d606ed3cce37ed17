"""A runbook's front matter: the small part of YAML that front matter uses.

`key: value`, quoted or plain scalars, flow lists (`[a, b]`), block lists (`- a`) and nested
mappings by indentation, comments after `#`. Enough for `title`, `services`, `severities`,
`triggers` and `variables`; anything else is reported with its line rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tocsin.core.errors import InvalidInput

KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)\s*:(?:\s+(.*))?$")


class FrontMatterError(InvalidInput):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}")


@dataclass(frozen=True, slots=True)
class _Line:
    number: int  # in the file, 1-based
    indent: int
    text: str


def parse(lines: list[str], first_line: int = 2) -> dict[str, Any]:
    """The mapping the lines describe; FrontMatterError names the line it cannot read."""
    rows = []
    for offset, raw in enumerate(lines):
        text = _strip_comment(raw).rstrip()
        if text.strip():
            if "\t" in raw[: len(raw) - len(raw.lstrip())]:
                raise FrontMatterError(first_line + offset, "indent with spaces, not tabs")
            rows.append(_Line(first_line + offset, len(text) - len(text.lstrip()), text.strip()))
    value, rest = _block(rows, 0)
    if rest:
        raise FrontMatterError(rest[0].number, f"unexpected indentation: {rest[0].text!r}")
    if not isinstance(value, dict):
        raise FrontMatterError(first_line, "front matter is a mapping of `key: value` lines")
    return value


def _block(rows: list[_Line], indent: int) -> tuple[Any, list[_Line]]:
    if not rows or rows[0].indent < indent:
        return None, rows
    indent = rows[0].indent
    if rows[0].text.startswith("- ") or rows[0].text == "-":
        items: list[Any] = []
        while rows and rows[0].indent == indent and rows[0].text.startswith("-"):
            row, rows = rows[0], rows[1:]
            item = row.text[1:].strip()
            if item:
                items.append(_scalar_or_flow(item, row.number))
            else:
                value, rows = _block(rows, indent + 1)
                items.append(value)
        return items, rows
    mapping: dict[str, Any] = {}
    while rows and rows[0].indent == indent:
        row, rows = rows[0], rows[1:]
        m = KEY.match(row.text)
        if m is None:
            raise FrontMatterError(row.number, f"expected `key: value`, got {row.text!r}")
        key, text = m.group(1), (m.group(2) or "").strip()
        if key in mapping:
            raise FrontMatterError(row.number, f"{key} is given twice")
        if text:
            mapping[key] = _scalar_or_flow(text, row.number)
        else:
            mapping[key], rows = _block(rows, indent + 1)
    return mapping, rows


def _scalar_or_flow(text: str, line: int) -> Any:
    if text.startswith("["):
        if not text.endswith("]"):
            raise FrontMatterError(line, f"a list opened with [ is not closed: {text!r}")
        inner = text[1:-1].strip()
        return [_scalar(part.strip(), line) for part in _split(inner, line)] if inner else []
    if text.startswith("{"):
        if not text.endswith("}"):
            raise FrontMatterError(line, f"a mapping opened with {{ is not closed: {text!r}")
        out: dict[str, Any] = {}
        for part in _split(text[1:-1].strip(), line):
            key, sep, value = part.partition(":")
            if not sep or not key.strip():
                raise FrontMatterError(line, f"expected `key: value` in {text!r}")
            out[key.strip()] = _scalar_or_flow(value.strip(), line) if value.strip() else None
        return out
    return _scalar(text, line)


def _split(text: str, line: int) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for c in text:
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(c)
    if quote or depth:
        raise FrontMatterError(line, f"unbalanced quotes or brackets in {text!r}")
    parts.append("".join(current))
    return [p for p in (p.strip() for p in parts) if p]


def _scalar(text: str, line: int) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text[:1] in "'\"":
        raise FrontMatterError(line, f"a quote is not closed: {text}")
    lowered = text.lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    if lowered in ("null", "~"):
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _strip_comment(raw: str) -> str:
    quote = ""
    for i, c in enumerate(raw):
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or raw[i - 1] in " \t"):
            return raw[:i]
    return raw
