"""Small, comment-preserving edits to tocsin.yaml: text in, text out, checked by the loader."""

from __future__ import annotations

import re

_TOP = re.compile(r"^integrations:\s*(\[\s*\])?\s*(#.*)?$", re.MULTILINE)


def add_integration(text: str, name: str, source: str) -> str:
    """`text` with an integration appended to the top-level `integrations:` list (created
    if absent). Comments and everything else stay as they are."""
    entry = f"  - name: {name}\n    source: {source}\n"
    match = _TOP.search(text)
    if match is None:
        return text.rstrip("\n") + f"\n\nintegrations:\n{entry}"
    head = text[: match.start()] + "integrations:\n"
    rest = text[match.end() :].lstrip("\n")
    if match.group(1):  # `integrations: []`
        return head + entry + rest
    return head + entry + rest
