"""HTTP to a Tocsin server for the remote CLI.

One `httpx.Client` per command, JSON in and out. An error answer (`{"error": {"kind",
"message", "allowed"?}}`, see api/errors.py) is raised as the exception the local services
raise for the same kind (app/answers.py), carrying the server's message, so `handled` gives
the same exit code and text as on the local database. A server that cannot be reached, or
that does not answer as Tocsin does, is a StorageError naming the URL (exit 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tocsin import __version__
from tocsin.app.answers import answer_for
from tocsin.app.errors import StorageError
from tocsin.core.errors import ErrorKind, InvalidInput

API_PREFIX = "/api/v1"
ACTOR_HEADER = "X-Tocsin-Actor"
TIMEOUT_S = 10.0
CREATE_CREDENTIAL = "tocsin token create --name NAME --role responder"

Params = list[tuple[str, str | int]]


class ServerUnreachable(StorageError):
    """The server cannot be reached, or did not answer as a Tocsin server does."""


class Api:
    """The REST API of one server, called with one token."""

    def __init__(self, url: str, token: str, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url
        self._http = httpx.Client(
            base_url=url + API_PREFIX,
            headers={"Authorization": f"Bearer {token}", "User-Agent": f"tocsin/{__version__}"},
            timeout=TIMEOUT_S,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: Params | None = None, about: str | None = None) -> Any:
        return self._send("GET", path, about=about, params=params)

    def post(
        self,
        path: str,
        body: dict[str, Any],
        actor: str | None = None,
        about: str | None = None,
        timeout_s: float = TIMEOUT_S,
    ) -> Any:
        """`timeout_s`: longer for what the server does while we wait (a typed action)."""
        return self._send("POST", path, actor=actor, about=about, json=body, timeout=timeout_s)

    def put(
        self, path: str, body: dict[str, Any], actor: str | None = None, about: str | None = None
    ) -> Any:
        return self._send("PUT", path, actor=actor, about=about, json=body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self._send("PATCH", path, json=body)

    def delete(self, path: str, actor: str | None = None) -> Any:
        return self._send("DELETE", path, actor=actor)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Turns an answer of the wrong shape into a clear error instead of a traceback."""
        try:
            yield
        except (KeyError, TypeError, ValueError) as exc:
            raise ServerUnreachable(
                f"the server at {self.url} answered in a shape this tocsin does not know "
                f"({type(exc).__name__}: {exc}); is it a Tocsin server of the same version?"
            ) from None

    def _send(
        self, method: str, path: str, actor: str | None = None, about: str | None = None, **kw: Any
    ) -> Any:
        headers = {ACTOR_HEADER.encode(): actor_header(actor)} if actor else {}
        try:
            response = self._http.request(method, path, headers=headers, **kw)
        except httpx.TimeoutException:
            raise self._timed_out(method, kw.get("timeout", TIMEOUT_S)) from None
        except httpx.HTTPError as exc:
            raise ServerUnreachable(
                f"cannot reach the Tocsin server at {self.url} ({exc}); check TOCSIN_URL "
                "and that `tocsin serve` is running there"
            ) from None
        if response.is_success:
            return self._json(response)
        raise error_for(response, self.url, about)

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ServerUnreachable(
                f"the server at {self.url} answered {response.request.url.path} with something "
                "other than JSON; is TOCSIN_URL the address of a Tocsin server?"
            ) from None

    def _timed_out(self, method: str, timeout_s: float) -> ServerUnreachable:
        message = f"the Tocsin server at {self.url} did not answer within {timeout_s:g} s"
        if method != "GET":
            message += "; the change may have been made: check with `tocsin show`"
        return ServerUnreachable(message)


def actor_header(actor: str) -> bytes:
    """UTF-8, as HTTP allows; control characters cannot travel in a header."""
    cleaned = actor.strip()
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in cleaned):
        raise InvalidInput("actor contains a control character; pass a plain name with --as")
    return cleaned.encode()


def error_for(response: httpx.Response, url: str, about: str | None) -> Exception:
    """The local exception for an error answer; `about` is the incident the call was about."""
    error = _error_body(response)
    status = response.status_code
    if error is None or status >= 500:
        return _unavailable(status, url, error)
    kind, message = str(error["kind"]), str(error["message"])
    if kind == ErrorKind.NOT_FOUND and message == "Not Found":  # no such route: not Tocsin
        path = response.request.url.path
        return ServerUnreachable(
            f"the server at {url} has no {path}; is TOCSIN_URL the address of a Tocsin server?"
        )
    if kind == ErrorKind.UNAUTHENTICATED:
        message = (
            f"the Tocsin server at {url} refused TOCSIN_TOKEN ({message}); "
            f"an admin can create a new one with `{CREATE_CREDENTIAL}`"
        )
    allowed = [str(a) for a in error.get("allowed", [])]
    return answer_for(kind).raised_as.reported(message, about, allowed)


def _error_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(error, dict) and "kind" in error and "message" in error:
        return error
    return None


def _unavailable(status: int, url: str, error: dict[str, Any] | None) -> ServerUnreachable:
    if error is not None:
        return ServerUnreachable(f"the Tocsin server at {url} is unavailable: {error['message']}")
    return ServerUnreachable(
        f"the server at {url} answered HTTP {status}, not as Tocsin does; "
        "check TOCSIN_URL and that `tocsin serve` is running there"
    )
