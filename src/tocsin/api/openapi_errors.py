"""Each operation's error answers, derived from the route instead of one blanket list.

Routers declare the shared errors (`responses.ERRORS`); when the OpenAPI document is built,
each operation keeps only those its route can give:

- 400 (the body could not be read), 413 (over 1 MiB): it takes a request body;
- 401: it declares the bearer scheme (`Credentials`), or says itself how it authenticates;
- 403: its `Credentials` ask for more than the viewer role, the least any principal holds;
- 404: a path parameter names something (an incident, a user, a schedule…);
- 409: it changes something (not GET): a stale version, a state that refuses it, a refusal;
- 422: it takes a parameter or a body, which can be invalid;
- 503: always: every operation reads or writes the database.

A route may document more (`responses={404: …}` with its own description): an answer
described in the route's own words is never removed. tests/api/test_openapi_errors.py checks
the whole document, and schemathesis (test_schemathesis.py) that no operation answers with a
status it does not list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from tocsin.api.deps import Credentials
from tocsin.api.responses import ERRORS
from tocsin.core.access import AccessRole

Rule = Callable[[dict[str, Any], str, AccessRole | None], bool]


def _has_body(op: dict[str, Any], method: str, role: AccessRole | None) -> bool:
    return "requestBody" in op


def _params(op: dict[str, Any], where: str) -> list[dict[str, Any]]:
    return [p for p in op.get("parameters", []) if p.get("in") == where]


RULES: dict[int, Rule] = {
    400: _has_body,
    401: lambda op, method, role: role is not None,
    403: lambda op, method, role: role is not None and role is not AccessRole.VIEWER,
    404: lambda op, method, role: bool(_params(op, "path")),
    409: lambda op, method, role: method != "get",
    413: _has_body,
    422: lambda op, method, role: bool(op.get("parameters")) or "requestBody" in op,
    503: lambda op, method, role: True,
}


def _credentials(dependant: Dependant) -> Iterator[Credentials]:
    for dep in dependant.dependencies:
        if isinstance(dep.call, Credentials):
            yield dep.call
        yield from _credentials(dep)


def roles(app: FastAPI) -> dict[tuple[str, str], AccessRole | None]:
    """(path, method) -> the role its Credentials ask for; None: no Credentials."""
    found: dict[tuple[str, str], AccessRole | None] = {}
    for ctx in iter_route_contexts(app.routes):
        dependant = getattr(ctx, "dependant", None)
        if dependant is None or not ctx.path_format:
            continue
        asked = [c.role for c in _credentials(dependant)]
        for method in ctx.methods or ():
            found[(ctx.path_format, method.lower())] = asked[0] if asked else None
    return found


def prune(document: dict[str, Any], role_of: dict[tuple[str, str], AccessRole | None]) -> None:
    """Drop from each operation the shared errors its route cannot give."""
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            responses = op.get("responses", {})
            role = role_of.get((path, method))
            for status, rule in RULES.items():
                shared = ERRORS[status]["description"]
                answer = responses.get(str(status))
                if answer and answer.get("description") == shared and not rule(op, method, role):
                    del responses[str(status)]


def install(app: FastAPI) -> None:
    """Build the document as FastAPI does, then prune it (once: FastAPI caches it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = build()
        prune(document, roles(app))
        return document

    app.openapi = openapi  # type: ignore[method-assign]
