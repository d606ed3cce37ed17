"""Recorded wire payloads, one folder per source (`tests/payloads/<source>/*.json`), and in
`stored/` rows as earlier Tocsins stored them (read by the upgrade-on-read tests).

Shaped after each sender's documented format and real examples; values are made up.
Edge cases live beside the plain ones: resolved alerts, missing and unknown fields, a
batch with bad items, non-ASCII text.
"""

from __future__ import annotations

import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def path(source: str, name: str) -> Path:
    return FOLDER / source / name


def raw(source: str, name: str) -> bytes:
    """The payload's bytes, as a sender would post them."""
    return path(source, name).read_bytes()


def load(source: str, name: str) -> object:
    """The payload decoded, as the HTTP layer hands it to a parser."""
    value: object = json.loads(raw(source, name))
    return value


def names(source: str) -> list[str]:
    return sorted(p.name for p in (FOLDER / source).glob("*.json"))
