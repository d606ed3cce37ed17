"""Searching incidents by text: what is searched, how it is folded, and LIKE's escaping.

An incident's search text is its title and the text of the timeline entries people wrote
(updates, notes, mitigations, reopen reasons, labels as "Labels: …"), case-folded and kept
in one row per incident (the `incident_search` table), appended to as entries are written.
A search is case-folded the same way, so it ignores case in any script on SQLite and
PostgreSQL alike, and matches as a substring (LIKE with its wildcards escaped)."""

from __future__ import annotations

from collections.abc import Iterable

from tocsin.core.errors import InvalidInput
from tocsin.core.timeline import EntryKind, TimelineEntry

MAX_SEARCH = 200  # characters of a search

SEARCHED_KINDS = frozenset(
    {
        EntryKind.STATUS_UPDATE,
        EntryKind.NOTE,
        EntryKind.MITIGATED,
        EntryKind.REOPENED,
        EntryKind.LABELS_CHANGED,
    }
)


def searchable(texts: Iterable[str]) -> str:
    """Texts as stored for searching: case-folded, one per line, each ending the line."""
    return "".join(text.casefold() + "\n" for text in texts)


def written(entries: Iterable[TimelineEntry]) -> list[str]:
    """The texts of the entries a search reads."""
    return [e.text for e in entries if e.kind in SEARCHED_KINDS]


def escape_like(text: str, escape: str = "\\") -> str:
    """`text` for a LIKE pattern, its wildcards (`%`, `_`) and the escape itself literal."""
    for char in (escape, "%", "_"):
        text = text.replace(char, escape + char)
    return text


def pattern(text: str, escape: str = "\\") -> str:
    """The LIKE pattern that finds `text` anywhere in a `searchable` text."""
    return "%" + escape_like(text.casefold(), escape) + "%"


def search_text(text: str | None) -> str | None:
    """A search as typed: trimmed, None when empty, refused when over MAX_SEARCH."""
    text = (text or "").strip()
    if len(text) > MAX_SEARCH:
        raise InvalidInput(f"search: at most {MAX_SEARCH} characters (this one has {len(text)})")
    return text or None
