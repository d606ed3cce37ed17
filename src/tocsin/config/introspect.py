"""Follow a pydantic error location through the model classes."""

from __future__ import annotations

import types
import typing
from collections.abc import Hashable, Sequence
from typing import Any

from pydantic import BaseModel


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and `| None`, so lists, models and unions show through."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _union_members(annotation: Any) -> list[type[BaseModel]]:
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return []
    args = typing.get_args(annotation)
    return [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]


def _tags(model: type[BaseModel]) -> set[Hashable]:
    """The class name and the values of its Literal fields: what pydantic puts in a loc."""
    tags: set[Hashable] = {model.__name__}
    for info in model.model_fields.values():
        if typing.get_origin(info.annotation) is typing.Literal:
            tags.update(typing.get_args(info.annotation))
    return tags


def model_field(model: type[BaseModel], key: Hashable) -> Any:
    """The annotation of the field named (or aliased) `key`, or None."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def allowed_keys(model: type[BaseModel]) -> list[str]:
    """The keys a YAML mapping for `model` may have (aliases where set)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def walk(root: type[BaseModel], loc: Sequence[Hashable]) -> tuple[tuple[Hashable, ...], Any]:
    """Drop union tags from `loc`; return the cleaned loc and the annotation it ends at."""
    clean: list[Hashable] = []
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        members = _union_members(current)
        tagged = [m for m in members if part in _tags(m)]
        if tagged:
            current = tagged[0]
            continue
        clean.append(part)
        if isinstance(current, type) and issubclass(current, BaseModel):
            current = model_field(current, part)
        elif typing.get_origin(current) is list and isinstance(part, int):
            current = typing.get_args(current)[0]
        else:
            current = None
    return tuple(clean), _unwrap(current)
