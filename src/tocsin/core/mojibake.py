"""Text that was UTF-8 but was read as cp1252 (and saved again): `ðŸ”´` back to 🔴.

Each run of characters that cp1252 (or, for its five unassigned bytes, latin-1) turns into
bytes 0x80-0xFF is encoded back to those bytes; where they decode as UTF-8 the run is
replaced. Text that was right to begin with stays as it is: a lone `–` or `é` is not valid
UTF-8 on its own, so it is left alone.
"""

from __future__ import annotations

import re

_RUN = re.compile(r"[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
                  r"\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
                  r"\u20ac\u2122]{2,}")  # fmt: skip


def _byte(char: str) -> int:
    try:
        return char.encode("cp1252")[0]
    except UnicodeEncodeError:
        return ord(char)  # 0x81, 0x8d, 0x8f, 0x90, 0x9d: passed through as latin-1


def _fixed(run: str) -> str:
    try:
        return bytes(_byte(c) for c in run).decode("utf-8")
    except UnicodeDecodeError:
        return _piecewise(run)


def _piecewise(run: str) -> str:
    """A run that mixes mojibake with real accented letters: fix the longest prefixes that
    decode, keep the rest."""
    out, i = [], 0
    while i < len(run):
        for j in range(min(len(run), i + 4), i + 1, -1):
            try:
                out.append(bytes(_byte(c) for c in run[i:j]).decode("utf-8"))
                i = j
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append(run[i])
            i += 1
    return "".join(out)


def repair(text: str) -> tuple[str, int]:
    """The text with mojibake undone, and how many runs were repaired."""
    count = 0

    def fix(m: re.Match[str]) -> str:
        nonlocal count
        fixed = _fixed(m.group(0))
        if fixed != m.group(0):
            count += 1
        return fixed

    return _RUN.sub(fix, text), count
