"""Importing a team's existing runbook: repair its encoding, give it front matter, and find
what it says about severities, to offer as tocsin.yaml severities.

Two shapes are recognised, those of the seeds: a list (``- **🔴 P1 (Critical)**: Complete
outage, …``) and a table with a Severity column (``| **SEV-1** | Service down | Immediate
(< 15 min) | All APIs returning 500, … |``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tocsin.core.mojibake import repair
from tocsin.core.runbook import Runbook, parse

KEY = r"(?:P|SEV-?|S|SEV)\d"
LIST_ITEM = re.compile(
    rf"^\s*[-*+]\s+\*\*\s*(?P<emoji>[^\w\s*]+\s*)?(?P<key>{KEY})\s*(?:\((?P<label>[^)]+)\))?"
    r"\s*\*\*\s*[:–—-]?\s*(?P<desc>.*)$"
)
TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
RESPONSE = re.compile(r"(\d+)\s*(min|minute|minutes|m|hour|hours|h|hr|day|days|d)\b", re.I)
UNIT = {
    "min": "m",
    "minute": "m",
    "minutes": "m",
    "m": "m",
    "hour": "h",
    "hours": "h",
    "h": "h",
    "hr": "h",
    "day": "d",
    "days": "d",
    "d": "d",
}
SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class SeverityOffer:
    key: str
    label: str
    line: int
    emoji: str = ""
    description: str = ""
    response_target: str | None = None  # a duration as tocsin.yaml writes it: 15m
    examples: tuple[str, ...] = ()

    def to_config(self) -> dict[str, Any]:
        """As a `severities:` item of tocsin.yaml."""
        out: dict[str, Any] = {"key": self.key, "label": self.label}
        if self.emoji:
            out["emoji"] = self.emoji
        if self.description:
            out["description"] = self.description
        if self.examples:
            out["examples"] = list(self.examples)
        if self.response_target:
            out["response_target"] = self.response_target
        return out


@dataclass(frozen=True)
class Imported:
    name: str
    text: str  # the normalised runbook, as written to the directory
    runbook: Runbook
    repaired: int  # runs of mojibake undone
    severities: tuple[SeverityOffer, ...] = field(default=())


def slug(text: str) -> str:
    return SLUG.sub("-", text.casefold()).strip("-")[:60] or "runbook"


def normalise(raw: str, name: str | None = None) -> Imported:
    """The runbook as Tocsin keeps it: UTF-8 text repaired, LF line ends, no trailing blanks,
    and front matter with its title (kept if it had some)."""
    text, repaired = repair(raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n") + "\n"
    first = parse(text, name or "imported")
    chosen = name or slug(first.title)
    if not text.startswith("---\n"):
        title = first.title.replace('"', "'")
        text = f'---\ntitle: "{title}"\n---\n\n' + text
    runbook = parse(text, chosen)
    return Imported(chosen, text, runbook, repaired, tuple(find_severities(text)))


def find_severities(text: str) -> list[SeverityOffer]:
    """Severity definitions written as a list or a table, in the order written."""
    lines = text.split("\n")
    found = _from_list(lines) or _from_table(lines)
    first: dict[str, SeverityOffer] = {}
    for offer in found:
        first.setdefault(offer.key, offer)
    return list(first.values())


def _from_list(lines: list[str]) -> list[SeverityOffer]:
    out = []
    for number, line in enumerate(lines, 1):
        m = LIST_ITEM.match(line)
        if m:
            label = (m.group("label") or m.group("key")).strip()
            out.append(
                SeverityOffer(
                    m.group("key"),
                    label,
                    number,
                    (m.group("emoji") or "").strip(),
                    m.group("desc").strip(),
                )
            )
    return out


def _cells(line: str) -> list[str]:
    m = TABLE_ROW.match(line)
    return [c.strip().strip("*").strip() for c in m.group(1).split("|")] if m else []


def _from_table(lines: list[str]) -> list[SeverityOffer]:
    for i, line in enumerate(lines):
        header = [c.casefold() for c in _cells(line)]
        if not header or not any(c.startswith("severity") for c in header):
            continue
        col = {
            name: next((j for j, c in enumerate(header) if c.startswith(prefix)), None)
            for name, prefix in (
                ("key", "severity"),
                ("desc", "defin"),
                ("desc2", "descr"),
                ("response", "response"),
                ("examples", "example"),
            )
        }
        out = []
        for number in range(i + 2, len(lines)):
            cells = _cells(lines[number])
            if not cells:
                break
            key = cells[col["key"] or 0]
            if not re.fullmatch(KEY, key):
                continue
            desc_col = col["desc"] if col["desc"] is not None else col["desc2"]
            desc = _cell(cells, desc_col)
            out.append(
                SeverityOffer(
                    key,
                    desc or key,
                    number + 1,
                    description=desc,
                    response_target=_duration(_cell(cells, col["response"])),
                    examples=tuple(
                        e.strip() for e in _cell(cells, col["examples"]).split(",") if e.strip()
                    ),
                )
            )
        if out:
            return out
    return []


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _duration(text: str) -> str | None:
    m = RESPONSE.search(text)
    return f"{int(m.group(1))}{UNIT[m.group(2).lower()]}" if m else None
