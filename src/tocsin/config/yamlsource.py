"""Read YAML keeping the line of every key and list item, so errors can point at the file."""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from tocsin.config.problems import ConfigProblem, format_field
from tocsin.core.errors import ErrorKind, TocsinError

YamlPath = tuple[Hashable, ...]
_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader without YAML 1.1's base-60 numbers: `to: 17:00` is the text
    "17:00", as in YAML 1.2 (editors, ruamel.yaml), not the number 1020."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _INT_TAG,
    re.compile(
        r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0[0-7_]+
        |[-+]?(?:0|[1-9][0-9_]*)
        |[-+]?0x[0-9a-fA-F_]+)$""",
        re.X,
    ),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
        |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """The data, the 1-based line of each path, and the line of each literal block's `|`."""

    data: Any
    lines: dict[YamlPath, int] = field(default_factory=dict)
    block_lines: dict[YamlPath, int] = field(default_factory=dict)


class YamlProblems(TocsinError):
    """The loader turns it into a ConfigError naming the file."""

    kind = ErrorKind.UNAVAILABLE

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document (safe types only).

    Raises YamlProblems for a syntax error or for duplicate keys.
    """
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or b"?")
        message = f"invalid YAML: control character U+{code:04X} is not allowed; delete it"
        raise YamlProblems([ConfigProblem(line, "", message)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None)
        # Index first: constructing merges `<<` keys into the nodes in place.
        document = YamlDocument(None)
        duplicates: list[ConfigProblem] = []
        _Indexer(loader, document, duplicates).visit(node, ())
        document = replace(document, data=loader.construct_document(node))
    except yaml.MarkedYAMLError as exc:
        raise YamlProblems([_syntax_problem(exc)]) from None
    except yaml.YAMLError as exc:
        raise YamlProblems([ConfigProblem(None, "", f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if duplicates:
        raise YamlProblems(duplicates)
    return document


def _syntax_problem(exc: yaml.MarkedYAMLError) -> ConfigProblem:
    mark = exc.problem_mark or exc.context_mark
    message = f"invalid YAML: {exc.problem or exc.context}"
    if exc.context and exc.problem and exc.context_mark is not None:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    if "'\\t'" in message:
        message += "; indent with spaces, not tabs"
    return ConfigProblem(None if mark is None else mark.line + 1, "", message)


@dataclass
class _Indexer:
    loader: yaml.SafeLoader
    document: YamlDocument
    duplicates: list[ConfigProblem]
    _active: set[int] = field(default_factory=set)

    def visit(self, node: yaml.Node, path: YamlPath) -> None:
        self.document.lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in self._active:  # an alias of an ancestor: recursive data
            return
        self._active.add(id(node))
        if isinstance(node, yaml.MappingNode):
            self._visit_mapping(node, path)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.visit(item, (*path, index))
        self._active.discard(id(node))

    def _visit_mapping(self, node: yaml.MappingNode, path: YamlPath) -> None:
        seen: dict[Hashable, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.loader.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                self.duplicates.append(
                    ConfigProblem(
                        line,
                        format_field(path),
                        f"duplicate key {key!r}: first on line {seen[key]}, again on line {line}",
                    )
                )
                continue
            seen[key] = line
            self.document.lines[(*path, key)] = line
            if isinstance(value_node, yaml.ScalarNode) and value_node.style == "|":
                self.document.block_lines[(*path, key)] = value_node.start_mark.line + 1
            self.visit(value_node, (*path, key))
