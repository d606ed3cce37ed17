"""Domain and environment errors as HTTP answers: one JSON shape, never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tocsin.app.errors import StorageError
from tocsin.core.access import Forbidden, Unauthenticated
from tocsin.core.errors import (
    ConcurrentChange,
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotFound,
)

log = logging.getLogger(__name__)

# Most specific first: the first match decides the status and the kind.
MAPPING: list[tuple[type[Exception], int, str]] = [
    (Unauthenticated, 401, "unauthenticated"),
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
            return JSONResponse(error_body(kind, str(exc), **extra), status, headers=headers)
    raise exc


def field_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


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
    fields = [
        {"field": field_path(tuple(e["loc"])), "message": e["msg"], "type": e["type"]}
        for e in exc.errors()
    ]
    message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return JSONResponse(error_body("invalid_input", message, fields=fields), 422)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it
    kinds = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 429: "rate_limited"}
    kind = kinds.get(exc.status_code, "http_error")
    return JSONResponse(
        error_body(kind, str(exc.detail)), exc.status_code, headers=getattr(exc, "headers", None)
    )


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        error_body("unavailable", "the server hit an unexpected error; try again"), 503
    )
