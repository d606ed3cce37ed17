"""Read YAML keeping the line of every key and list item, so errors can point at the file."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from tocsin.config.problems import ConfigProblem, format_field
from tocsin.core.errors import ErrorKind, TocsinError

YamlPath = tuple[Hashable, ...]
_MERGE_TAG = "tag:yaml.org,2002:merge"


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
        loader = yaml.SafeLoader(text)
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
