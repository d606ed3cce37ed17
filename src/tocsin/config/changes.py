"""The edits Tocsin's commands make to tocsin.yaml, each a `Change` for `edit_config`."""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

from tocsin.config.editing import Change
from tocsin.config.roundtrip import add_item, scalar
from tocsin.core.errors import InvalidInput


def add_integration(name: str, source: str) -> Change:
    """Append `{name, source}` to `integrations` (made when absent)."""

    def change(document: CommentedMap) -> None:
        entries = document.get("integrations") or []
        if any(isinstance(e, dict) and e.get("name") == name for e in entries):
            raise InvalidInput(f"integration {name} is already in tocsin.yaml")
        entry = CommentedMap([("name", scalar(name)), ("source", scalar(source))])
        add_item(document, "integrations", entry)

    return change
