"""What the API answers besides success: one error shape, and the errors routers share;
`api/openapi_errors.py` keeps on each operation only those its route can give, so clients
and schemathesis know every status code a route can return."""

from __future__ import annotations

from typing import Any

from tocsin.api.models import Out


class FieldProblem(Out):
    field: str
    message: str
    type: str


class ErrorDetail(Out):
    kind: str
    message: str
    allowed: list[str] | None = None
    fields: list[FieldProblem] | None = None


class Error(Out):
    error: ErrorDetail


def plain_text(description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 that is plain text (Markdown, Prometheus), not JSON."""
    content = {"text/plain": {"schema": {"type": "string"}}}
    return {200: {"description": description, "content": content}}


def own(**described: str) -> dict[int | str, dict[str, Any]]:
    """Errors a route gives beyond what its shape shows (api/openapi_errors.py), in its own
    words: `own(e404="No such schedule")`."""
    return {int(code.removeprefix("e")): _error(text) for code, text in described.items()}


def _error(description: str) -> dict[str, Any]:
    return {"model": Error, "description": description}


# The errors API routes share; each router declares them once, and each operation keeps those
# its route can give (api/openapi_errors.py).
ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("The body could not be read"),
    401: _error("No valid credentials"),
    403: _error("The role is not enough"),
    404: _error("Not found"),
    409: _error("Stale version or refused by the incident's state"),
    413: _error("Body over 1 MiB"),
    422: _error("Invalid input; `fields` names each problem"),
    503: _error("Storage unavailable; try again"),
}
