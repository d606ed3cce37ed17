"""Domain and environment errors as HTTP answers: one JSON shape, never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tocsin.api.logs import SCOPE_KEY, redact_path
from tocsin.api.routing import allowed_methods
from tocsin.app.errors import StorageError
from tocsin.app.throttle import Throttled
from tocsin.core.access import Forbidden, Unauthenticated
from tocsin.core.errors import (
    ConcurrentChange,
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotFound,
)

log = logging.getLogger(__name__)

UNEXPECTED_STATUS = 503  # a bug answers "try again", never a bare 500 with a traceback

# Most specific first: the first match decides the status and the kind.
MAPPING: list[tuple[type[Exception], int, str]] = [
    (Unauthenticated, 401, "unauthenticated"),
    (Throttled, 429, "rate_limited"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (InvalidInput, 422, "invalid_input"),
    (ConcurrentChange, 409, "conflict"),
    (IllegalTransition, 409, "illegal_transition"),
    (DomainError, 409, "refused"),
    (StorageError, 503, "unavailable"),
]


def error_body(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"kind": kind, "message": message, **extra}}


def answer(exc: Exception) -> JSONResponse:
    for cls, status, kind in MAPPING:
        if isinstance(exc, cls):
            extra: dict[str, Any] = {}
            if isinstance(exc, IllegalTransition):
                extra["allowed"] = exc.allowed
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            if isinstance(exc, Throttled):
                headers = {"Retry-After": str(exc.retry_after)}
            return JSONResponse(error_body(kind, str(exc), **extra), status, headers=headers)
    raise exc


def field_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def problem(error: Any) -> dict[str, str]:
    """One pydantic error as {field, message, type}; broken JSON names where it broke."""
    if error["type"] == "json_invalid":
        where = error["loc"][-1]
        reason = error.get("ctx", {}).get("error", "not JSON")
        message = f"invalid JSON at character {where}: {reason}"
        return {"field": "body", "message": message, "type": "json_invalid"}
    return {
        "field": field_path(tuple(error["loc"])),
        "message": error["msg"],
        "type": error["type"],
    }


def install(app: FastAPI) -> None:
    for cls, _status, _kind in MAPPING:
        app.add_exception_handler(cls, _domain_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


async def _domain_handler(request: Request, exc: Exception) -> JSONResponse:
    return answer(exc)


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it
    fields = [problem(e) for e in exc.errors()]
    message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return JSONResponse(error_body("invalid_input", message, fields=fields), 422)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it
    if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI: "error parsing the body"
        return _not_utf8(exc.__cause__)
    kinds = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 429: "rate_limited"}
    kind = kinds.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # the route tried lists its own methods, not the path's
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
    return JSONResponse(error_body(kind, str(exc.detail)), exc.status_code, headers=headers)


def _not_utf8(cause: UnicodeDecodeError) -> JSONResponse:
    message = f"invalid JSON: not UTF-8 at byte {cause.start}"
    found = {"field": "body", "message": message, "type": "json_invalid"}
    body = error_body("invalid_input", f"body: {message}", fields=[found])
    return JSONResponse(body, 422)


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    rid = request.scope.get(SCOPE_KEY)
    extra = {"request_id": rid} if rid else None
    path = redact_path(request.url.path)
    log.exception("unexpected error on %s %s", request.method, path, extra=extra)
    body = error_body("unavailable", "the server hit an unexpected error; try again")
    headers = {"X-Request-ID": rid} if rid else None
    return JSONResponse(body, UNEXPECTED_STATUS, headers=headers)
