"""Incident references as people type them: INC-42, inc-42 or 42."""

from __future__ import annotations

import re

from tocsin.core.errors import InvalidInput

_REF = re.compile(r"^(?:inc-?)?(\d{1,9})$", re.IGNORECASE)  # fits a 32-bit integer column


def parse_ref(ref: str | int) -> int:
    if isinstance(ref, int):
        return ref
    match = _REF.match(ref.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"{ref!r} is not an incident id; ids look like INC-42")
    return int(match.group(1))
