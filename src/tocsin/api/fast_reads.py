"""The two pages every client polls, the incident list and one incident, served without FastAPI.

A pure ASGI layer in front of the routers. It answers only the plain, valid case: a GET with a
bearer token and query parameters it fully understands. Everything else (a session cookie,
`since`, a bad or repeated parameter, an unknown token, an incident that does not exist, a
database error) falls through, untouched, to the FastAPI route, which gives the documented
answer. So the two paths cannot disagree about errors, and the OpenAPI document, the role
checks and the schemathesis run still describe what is served.

The body is the stored JSON spliced as text (`IncidentService.find_json` / `detail_json`): no
aggregate is built, nothing is validated twice. With 32 clients polling, that is the difference
between queueing behind ~5 ms of CPU per request and well under one (bench/api_latency).
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from tocsin.api.routers.incidents import (
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_SERVICE,
    MAX_SEVERITY,
    REF_PATTERN,
    StatusFilter,
    statuses,
)
from tocsin.api.routers.ingest import bearer
from tocsin.api.routing import header, route_path
from tocsin.app.ports import IncidentFilter
from tocsin.bootstrap import Tocsin
from tocsin.core.access import AccessRole

LIST_PATH = "/api/v1/incidents"
_ONE = re.compile(f"{LIST_PATH}/({REF_PATTERN})")
_DIGITS = re.compile(r"[0-9]{1,8}")
_STATUS_WORDS = frozenset(s.value for s in StatusFilter)
_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]


class FastReads:
    def __init__(self, app: ASGIApp, tocsin: Tocsin) -> None:
        self.app = app
        self.tocsin = tocsin
        # SQLite reads are a few hundred microseconds of local work: a hop to a thread and
        # back costs more than it saves. A server database answers over the network: there
        # the loop must not wait, so each request goes to a thread once: to the event loop's
        # own executor (a handful of threads, ended with the loop), not anyio's 40. So only
        # as many connections are busy as the database can serve from this process, none is
        # opened and closed per burst, and fewer threads fight for the GIL.
        self.inline = tocsin.engine.dialect.name == "sqlite"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            if self.inline:
                body = self._answer(scope)
            else:
                loop = asyncio.get_running_loop()
                body = await loop.run_in_executor(None, self._answer, scope)
            if body is not None:
                headers = [*_HEADERS, (b"content-length", b"%d" % len(body))]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope) -> bytes | None:
        """The body, or None to let the FastAPI route answer."""
        path = route_path(scope)
        if path == LIST_PATH:
            query = self._filter(scope["query_string"])
            if query is None or not self._allowed(scope):
                return None
            try:
                items, total = self.tocsin.incidents.find_json(query)
            except Exception:
                return None
            return b'{"items": [%s], "total": %d, "limit": %d, "offset": %d}' % (
                ",".join(items).encode(),
                total,
                query.limit,
                query.offset,
            )
        match = _ONE.fullmatch(path)
        if match is None or scope["query_string"] or not self._allowed(scope):
            return None
        try:
            return self.tocsin.incidents.detail_json(match.group(1)).encode()
        except Exception:
            return None

    def _allowed(self, scope: Scope) -> bool:
        """A bearer token that is valid and may read; anything else is the route's to refuse."""
        secret = bearer(header(scope, b"authorization"))
        if not secret:
            return False
        try:
            principal = self.tocsin.accounts.principal_for_token(secret)
            principal.require(AccessRole.VIEWER)
        except Exception:
            return False
        return True

    def _filter(self, query_string: bytes) -> IncidentFilter | None:
        """The list's filters, or None for anything the route must judge (since, bad values)."""
        chosen: list[StatusFilter] = []
        severities: list[str] = []
        scalars: dict[str, str] = {}
        try:
            pairs = parse_qsl(query_string.decode("ascii"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            return None
        for name, value in pairs:
            if name == "status":
                if value not in _STATUS_WORDS:
                    return None
                chosen.append(StatusFilter(value))
            elif name == "severity":
                severity = self._severity(value)
                if severity is None:
                    return None
                severities.append(severity)
            elif name in ("limit", "offset", "service", "since"):
                if name in scalars or name == "since":
                    return None
                scalars[name] = value
        limit = _number(scalars.get("limit", "50"), 1, MAX_LIMIT)
        offset = _number(scalars.get("offset", "0"), 0, MAX_OFFSET)
        service = scalars.get("service")
        if limit is None or offset is None or (service and len(service) > MAX_SERVICE):
            return None
        return IncidentFilter(statuses(chosen), tuple(severities), service, None, limit, offset)

    def _severity(self, value: str) -> str | None:
        if len(value) > MAX_SEVERITY:
            return None
        try:
            return self.tocsin.incidents.severities.get(value).key
        except Exception:
            return None


def _number(text: str, low: int, high: int) -> int | None:
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None
