"""Domain and environment errors as HTTP answers: one JSON shape, never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from tocsin.api.logs import SCOPE_KEY, redact_path
from tocsin.api.routing import allowed_methods
from tocsin.app.answers import ANSWERS, kind_for_status
from tocsin.core.errors import ErrorKind, TocsinError

log = logging.getLogger(__name__)

# A bug answers "try again", never a bare 500 with a traceback.
UNEXPECTED_STATUS = ANSWERS[ErrorKind.UNAVAILABLE].status
INVALID_STATUS = ANSWERS[ErrorKind.INVALID_INPUT].status
# The client hung up before its request was read: nginx's "client closed request". Nobody
# reads the answer; the status is for the access log and the metrics, where it is not a 5xx.
CLIENT_CLOSED = 499


def error_body(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"kind": kind, "message": message, **extra}}


def unexpected_body() -> dict[str, Any]:
    return error_body(ErrorKind.UNAVAILABLE.value, "the server hit an unexpected error; try again")


def answer(exc: Exception) -> JSONResponse:
    """A TocsinError as its kind says (app/answers.py); anything else is raised again."""
    if not isinstance(exc, TocsinError):
        raise exc
    kind = exc.kind
    headers = {"WWW-Authenticate": "Bearer"} if kind is ErrorKind.UNAUTHENTICATED else None
    details = exc.details()
    if kind is ErrorKind.RATE_LIMITED and "retry_after" in details:
        headers = {"Retry-After": str(details["retry_after"])}
    body = error_body(kind.value, str(exc), **details)
    return JSONResponse(body, ANSWERS[kind].status, headers=headers)


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
    app.add_exception_handler(TocsinError, _domain_handler)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


async def _domain_handler(request: Request, exc: Exception) -> JSONResponse:
    return answer(exc)


async def _client_gone(request: Request, exc: Exception) -> Response:
    return Response(status_code=CLIENT_CLOSED)


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it
    fields = [problem(e) for e in exc.errors()]
    message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    body = error_body(ErrorKind.INVALID_INPUT.value, message, fields=fields)
    return JSONResponse(body, INVALID_STATUS)


async def _http_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it
    if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI: "error parsing the body"
        return _not_utf8(exc.__cause__)
    if isinstance(exc.__cause__, ClientDisconnect):  # the same, when the client hung up
        return Response(status_code=CLIENT_CLOSED)
    kind = _http_kind(exc.status_code)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # the route tried lists its own methods, not the path's
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
    return JSONResponse(error_body(kind, str(exc.detail)), exc.status_code, headers=headers)


def _http_kind(status: int) -> str:
    """The kind a framework HTTPException's status stands for; besides the vocabulary, a 405
    (no such method on the route) and any other HTTP error the framework raises."""
    kind = kind_for_status(status)
    if kind is not None:
        return kind.value
    return "method_not_allowed" if status == 405 else "http_error"


def _not_utf8(cause: UnicodeDecodeError) -> JSONResponse:
    message = f"invalid JSON: not UTF-8 at byte {cause.start}"
    found = {"field": "body", "message": message, "type": "json_invalid"}
    body = error_body(ErrorKind.INVALID_INPUT.value, f"body: {message}", fields=[found])
    return JSONResponse(body, INVALID_STATUS)


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    rid = request.scope.get(SCOPE_KEY)
    extra = {"request_id": rid} if rid else None
    path = redact_path(request.url.path)  # never an integration key
    log.exception("unexpected error on %s %s", request.method, path, extra=extra)
    body = unexpected_body()
    headers = {"X-Request-ID": rid} if rid else None
    return JSONResponse(body, UNEXPECTED_STATUS, headers=headers)
