"""The app's routes as one flat table. FastAPI nests included routers, so `app.routes` alone
does not list them; `iter_route_contexts` does, with each route's full path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.types import Scope


@dataclass(frozen=True, slots=True)
class Entry:
    regex: re.Pattern[str]
    template: str  # "/api/v1/incidents/{ref}"
    methods: frozenset[str]


def route_table(app: Any) -> list[Entry]:
    return [
        Entry(ctx.path_regex, ctx.path_format, frozenset(ctx.methods or ()))
        for ctx in iter_route_contexts(app.routes)
        if ctx.path_format and getattr(ctx, "path_regex", None) is not None
    ]


def route_path(scope: Scope) -> str:
    path: str = scope["path"]
    return path.removeprefix(scope.get("root_path", ""))


def allowed_methods(app: Any, scope: Scope) -> list[str]:
    """Every method some route takes at this path: what a 405's Allow header must list."""
    path = route_path(scope)
    found = {m for e in route_table(app) if e.regex.match(path) for m in e.methods}
    return sorted(found)
