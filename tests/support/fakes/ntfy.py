"""An ntfy server's publish endpoint, as documented: `POST /<topic>` with the message as the
body and `Title`, `Priority`, `Tags`, `Click`, `Actions` headers (or their `X-` forms;
RFC 2047 encoded values are decoded). It answers the stored message as JSON; errors are
`{"code", "http", "error", "link"}`: 40101 unauthorized, 40301 forbidden, 40010 invalid
priority, 40018 invalid actions, 42901 too many requests.
"""

from __future__ import annotations

import email.header
import itertools
import json
import re
from typing import Any

from tests.support.fakes.base import Answer, FakeServer, Fault, Request

TOPIC = re.compile(r"^/([-_A-Za-z0-9]{1,64})$")
PRIORITIES = {"1": 1, "min": 1, "2": 2, "low": 2, "3": 3, "default": 3, "4": 4, "high": 4,
              "5": 5, "urgent": 5, "max": 5}  # fmt: skip


class FakeNtfy(FakeServer):
    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self._ids = itertools.count(1)
        self.messages: list[dict[str, Any]] = []  # as ntfy stored them
        super().__init__(self._answer, self._fault)

    def _fault(self, fault: Fault) -> Answer:
        if fault is Fault.RATE_LIMIT:
            return _error(429, 42901, "limit reached: too many requests")
        return _error(500, 50001, "internal server error")

    def _answer(self, request: Request) -> Answer:
        match = TOPIC.match(request.path)
        if not match or request.method not in ("POST", "PUT"):
            return _error(404, 40401, "page not found")
        if self.token is not None:
            auth = request.headers.get("authorization")
            if auth is None:
                return _error(401, 40101, "unauthorized")
            if auth != f"Bearer {self.token}":
                return _error(403, 40301, "forbidden")
        priority = PRIORITIES.get(_param(request, "priority") or "3")
        if priority is None:
            return _error(400, 40007, "invalid priority")
        try:
            actions = _actions(_param(request, "actions"))
        except ValueError as exc:
            return _error(400, 40018, f"invalid request: actions invalid, {exc}")
        message = {
            "id": f"msg{next(self._ids):09d}",
            "time": 1700000000,
            "expires": 1700043200,
            "event": "message",
            "topic": match.group(1),
            "title": _param(request, "title"),
            "message": request.body.decode("utf-8"),
            "priority": priority,
            "tags": [t for t in (_param(request, "tags") or "").split(",") if t],
            "click": _param(request, "click"),
            "actions": actions,
        }
        self.messages.append(message)
        return Answer.json(200, {k: v for k, v in message.items() if v not in (None, [], "")})


def _param(request: Request, name: str) -> str | None:
    for header in (f"x-{name}", name):
        if header in request.headers:
            decoded = email.header.decode_header(request.headers[header])
            return str(email.header.make_header(decoded))
    return None


def _actions(value: str | None) -> list[dict[str, Any]]:
    if not value:
        return []
    if not value.strip().startswith("["):
        raise ValueError("only the JSON form is understood by this fake")
    actions = json.loads(value)
    if len(actions) > 3:
        raise ValueError("only 3 actions allowed")
    for action in actions:
        if action.get("action") not in ("view", "http", "broadcast") or not action.get("label"):
            raise ValueError("action or label missing")
        if action["action"] in ("view", "http") and not action.get("url"):
            raise ValueError("url missing")
    return actions


def _error(status: int, code: int, error: str) -> Answer:
    return Answer.json(
        status,
        {"code": code, "http": status, "error": error, "link": "https://ntfy.sh/docs/publish/"},
    )
