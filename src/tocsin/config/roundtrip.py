"""tocsin.yaml through ruamel.yaml's round trip, written back the way it was written.

Comments, key order, quotes and flow style come back as they were read; the indentation is
the file's own (read from its first nested mapping and list). ruamel hangs the blank lines
and comments that follow a value on that value: `add_item` moves them past what it adds,
so a comment heading the next section still heads it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

_DOCUMENT_START = re.compile(r"^---(?:[ \t]|$)", re.MULTILINE)
# How the loader (PyYAML, YAML 1.1) tags a bare word: (node kind, text, implicit) -> tag.
_loader_tag: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = (
    yaml.resolver.Resolver().resolve
)
_STR = "tag:yaml.org,2002:str"
_PRESET_INDENT = (2, 4, 2)  # mapping, sequence, dash offset: `key:\n  - a: 1\n    b: 2`


class RoundTrip:
    """One document: `document` to change in place, `text()` to write it back."""

    def __init__(self, text: str) -> None:
        self._yaml = YAML(typ="rt")
        self._yaml.preserve_quotes = True
        self._yaml.width = 1 << 30  # never fold a long line
        self._prelude = _prelude(text)
        self._yaml.explicit_start = self._prelude is not None
        self.document: Any = self._yaml.load(text)
        mapping, sequence, offset = _indents(self.document)
        self._yaml.indent(mapping=mapping, sequence=sequence, offset=offset)

    def text(self) -> str:
        out = io.StringIO()
        self._yaml.dump(self.document, out)
        text = out.getvalue()
        start = _DOCUMENT_START.search(text) if self._prelude is not None else None
        return text if start is None else f"{self._prelude}{text[start.start() :]}"


def _prelude(text: str) -> str | None:
    """The comments and directives above a leading `---` (ruamel drops the comments), or None
    when the document has no `---` of its own."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if _DOCUMENT_START.match(line):
            return "".join(lines[:index])
        if line.strip() and not line.lstrip().startswith(("#", "%")):
            return None
    return None


def scalar(value: str) -> str:
    """`value` as a string both YAML readers agree on: quoted when the loader would read the
    bare word as something else (on, no, null, 1:30, 2026-01-01), else bare."""
    tag = _loader_tag(yaml.ScalarNode, value, (True, False))
    return value if tag == _STR else SingleQuotedScalarString(value)


def add_item(mapping: CommentedMap, key: str, item: Any) -> None:
    """Append `item` to the list under `mapping[key]`, made when absent or null (an empty `[]`
    turns into block style). The comments and blank lines that followed the list, or the key
    before it, stay below the new item: they belong to what comes next. A new top-level key
    starts a section: a blank line goes before it, as between the sections `tocsin init`
    writes."""
    items = mapping.get(key)
    if items is None:
        gap = key not in mapping and _is_top(mapping)
        before = (mapping, key) if key in mapping else _last_leaf(mapping)
        mapping[key] = items = CommentedSeq([item])
    elif isinstance(items, CommentedSeq):
        gap = False
        before = _leaf(items, len(items) - 1) if items else (mapping, key)
        if not items:
            items.fa.set_block_style()
        items.append(item)
    else:
        raise TypeError(f"{key} is not a list")
    if before is not None:
        _carry(before, _leaf(items, len(items) - 1))
        if gap:
            _blank_line_after(before)


# -- comment bookkeeping: ruamel keeps a trailing comment in `node.ca.items[key][index]` ----

_Node = CommentedMap | CommentedSeq
_Slot = tuple[_Node, Any]


def _index(node: _Node) -> int:
    return 2 if isinstance(node, CommentedMap) else 0


def _leaf(node: _Node, key: Any) -> _Slot:
    """The slot of the last scalar (or flow or empty collection) inside `node[key]`: where ruamel
    keeps the end-of-line comment and the lines after it."""
    value = node[key]
    while isinstance(value, CommentedMap | CommentedSeq) and value and not value.fa.flow_style():
        node, key = value, (list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1)
        value = node[key]
    return node, key


def _token(slot: _Slot) -> CommentToken | None:
    node, key = slot
    entry = node.ca.items.get(key)
    token = entry[_index(node)] if entry else None
    return token if isinstance(token, CommentToken) else None


def _set_token(slot: _Slot, token: CommentToken | None) -> None:
    node, key = slot
    entry = node.ca.items.setdefault(key, [None] * (4 if isinstance(node, CommentedMap) else 2))
    entry[_index(node)] = token


def _last_leaf(mapping: CommentedMap) -> _Slot | None:
    return _leaf(mapping, list(mapping)[-1]) if mapping else None


def _is_top(mapping: CommentedMap) -> bool:
    """Whether `mapping` is the document's top level: the one mapping read at column 0."""
    return bool(mapping.lc.col == 0)


def _carry(source: _Slot, target: _Slot) -> None:
    """Move the lines after `source`'s own line (comments, blank lines) to after `target`,
    keeping `source`'s end-of-line comment where it is."""
    token = _token(source)
    if token is None:
        return
    line_end, _, rest = str(token.value).partition("\n")
    if not rest:
        return
    _set_token(
        source, CommentToken(line_end + "\n", CommentMark(token.column)) if line_end else None
    )
    _set_token(target, CommentToken("\n" + rest, CommentMark(0)))


def _blank_line_after(slot: _Slot) -> None:
    token = _token(slot)
    if token is None:
        _set_token(slot, CommentToken("\n\n", CommentMark(0)))
    elif not str(token.value).endswith("\n\n"):
        token.value = str(token.value) + "\n"


def _indents(document: Any) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the file indents its first nested mapping and list."""
    mapping: int | None = None
    sequence: tuple[int, int] | None = None
    for parent, key in _block_children(document):
        key_line, key_column = parent.lc.key(key)
        line, column = parent.lc.value(key)
        child = parent[key]
        if isinstance(child, CommentedMap) and mapping is None and line > key_line:
            mapping = column - key_column
        elif isinstance(child, CommentedSeq) and sequence is None:
            sequence = (child.lc.item(0)[1] - key_column, column - key_column)
        if mapping is not None and sequence is not None:
            break
    default = _PRESET_INDENT
    mapping = default[0] if mapping is None else mapping
    sequence = default[1:] if sequence is None else sequence
    return mapping, max(sequence[0], sequence[1] + 2), sequence[1]


def _block_children(node: Any) -> Iterator[tuple[CommentedMap, Any]]:
    """(mapping, key) for every non-empty block collection under a mapping key, depth first."""
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            if isinstance(value, CommentedMap | CommentedSeq) and value:
                if not value.fa.flow_style():
                    yield node, key
                yield from _block_children(value)
    elif isinstance(node, CommentedSeq):
        for item in node:
            yield from _block_children(item)
