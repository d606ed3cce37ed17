"""Turn pydantic's validation errors into ConfigProblems that name a line and a fix."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Hashable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tocsin.config.introspect import allowed_keys, walk
from tocsin.config.problems import ConfigProblem, format_field
from tocsin.config.yamlsource import YamlDocument, YamlPath

_PREFIXES = ("Value error, ", "Assertion failed, ")


def problems_from(
    exc: ValidationError, model: type[BaseModel], doc: YamlDocument
) -> list[ConfigProblem]:
    """One problem per pydantic error, in file order."""
    problems = [_problem(error, model, doc) for error in exc.errors()]
    return sorted(problems, key=lambda p: p.line or 0)


def _problem(error: ErrorDetails, model: type[BaseModel], doc: YamlDocument) -> ConfigProblem:
    loc, annotation = walk(model, error["loc"])
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "extra_forbidden":
        parent, parent_type = walk(model, error["loc"][:-1])
        return _at(doc, loc, parent, _unknown_key(loc[-1], parent_type))
    if kind == "invalid_key":
        message = f"key {error['input']!r} is not text; put it in quotes"
        return _at(doc, loc, loc[:-1], message)
    if kind == "missing":
        return _at(doc, loc[:-1], loc[:-1], f"missing required key {loc[-1]!r}")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _tag_problem(doc, loc, ctx, annotation)
    if kind == "duplicate":
        loc = (*loc, ctx["index"], ctx["field"])
    elif isinstance(ctx.get("at"), tuple):  # a check over a list names the item at fault
        loc = (*loc, *ctx["at"])
    line = _line(doc, loc)
    if kind == "template_syntax" and loc in doc.block_lines:
        line = doc.block_lines[loc] + ctx["template_line"]
    return ConfigProblem(line, format_field(loc), _message(error))


def _at(doc: YamlDocument, line_loc: YamlPath, field_loc: YamlPath, msg: str) -> ConfigProblem:
    return ConfigProblem(_line(doc, line_loc), format_field(field_loc), msg)


def _line(doc: YamlDocument, loc: YamlPath) -> int | None:
    """The line of `loc`, or of its nearest ancestor the file has."""
    for end in range(len(loc), -1, -1):
        line = doc.lines.get(loc[:end])
        if line is not None:
            return line
    return None


def _unknown_key(key: Hashable, parent_type: Any) -> str:
    if not (isinstance(parent_type, type) and issubclass(parent_type, BaseModel)):
        return f"unknown key {key!r}"
    allowed = allowed_keys(parent_type)
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {key!r}{hint}; allowed: {', '.join(allowed)}"


def _tag_problem(
    doc: YamlDocument, loc: YamlPath, ctx: dict[str, Any], annotation: Any
) -> ConfigProblem:
    key = str(ctx.get("discriminator", "type")).strip("'")
    expected = ", ".join(_member_tags(annotation, key)) or str(ctx.get("expected_tags", ""))
    tag = ctx.get("tag")
    what = f"unknown {key} {tag!r}" if tag is not None else f"missing key {key!r}"
    return _at(doc, (*loc, key), (*loc, key), f"{what}; allowed {key}s: {expected}")


def _member_tags(annotation: Any, key: str) -> list[str]:
    tags: list[str] = []
    for member in typing.get_args(annotation):
        info = getattr(member, "model_fields", {}).get(key)
        if info is not None:
            tags.extend(str(a) for a in typing.get_args(info.annotation))
    return tags


def _message(error: ErrorDetails) -> str:
    message = error["msg"]
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    value = error.get("input")
    builtin = "url" in error  # pydantic's own errors; ours already quote the value
    if builtin and isinstance(value, str | int | float | bool) and repr(value) not in message:
        shown = repr(value)
        message += f" (got {shown[:57] + '...' if len(shown) > 60 else shown})"
    elif builtin and value is None:
        message += " (got an empty value)"
    return message
