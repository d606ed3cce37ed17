"""Slack's Web API (chat.postMessage) and incoming webhooks, as Slack documents them.

chat.postMessage answers 200 with `{"ok": false, "error": …}` for its errors: `not_authed`
without a token, `invalid_auth` for a wrong one, `channel_not_found` for an unknown channel,
`no_text` without text or blocks, `invalid_blocks` for blocks it cannot read. Rate limiting is
429 with `Retry-After` and `{"ok": false, "error": "ratelimited"}`. Incoming webhooks answer
text: `ok`, or 404 `no_service` for an unknown URL, 400 `invalid_payload`, 429.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.support.fakes.base import Answer, FakeServer, Fault, Request

BLOCK_TYPES = {"header", "section", "context", "divider", "actions", "image", "rich_text"}
RETRY_AFTER = "7"


class FakeSlack(FakeServer):
    def __init__(self, token: str, channels: set[str], webhook_path: str) -> None:
        self.token = token
        self.channels = channels
        self.webhook_path = webhook_path
        self._ts = itertools.count(1)
        super().__init__(self._answer, self._fault)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def webhook_url(self) -> str:
        return self.url + self.webhook_path

    def posts(self) -> list[Request]:
        return [r for r in self.requests if r.path == "/api/chat.postMessage"]

    def _fault(self, fault: Fault) -> Answer:
        if fault is Fault.RATE_LIMIT:
            return Answer.json(
                429, {"ok": False, "error": "ratelimited"}, **{"Retry-After": RETRY_AFTER}
            )
        return Answer(500, b"Internal Server Error", {"Content-Type": "text/plain"})

    def _answer(self, request: Request) -> Answer:
        if request.path == "/api/chat.postMessage":
            return self._post_message(request)
        if request.path.startswith("/services/"):
            return self._webhook(request)
        return Answer.json(404, {"ok": False, "error": "unknown_method"})

    def _post_message(self, request: Request) -> Answer:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return _error("not_authed")
        if auth != f"Bearer {self.token}":
            return _error("invalid_auth")
        body = _body(request)
        if body is None:
            return _error("invalid_json")
        channel = body.get("channel")
        if channel not in self.channels:
            return _error("channel_not_found")
        if not body.get("text") and not body.get("blocks"):
            return _error("no_text")
        if not _blocks_valid(body.get("blocks", [])):
            return _error("invalid_blocks")
        ts = f"1700000000.{next(self._ts):06d}"
        return Answer.json(
            200, {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text")}}
        )

    def _webhook(self, request: Request) -> Answer:
        if request.path != self.webhook_path:
            return Answer(404, b"no_service", {"Content-Type": "text/html"})
        try:
            body = json.loads(request.body)
        except ValueError:
            return Answer(400, b"invalid_payload", {"Content-Type": "text/html"})
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return Answer(400, b"no_text", {"Content-Type": "text/html"})
        if not _blocks_valid(body.get("blocks", [])):
            return Answer(400, b"invalid_blocks", {"Content-Type": "text/html"})
        return Answer(200, b"ok", {"Content-Type": "text/html"})


def _body(request: Request) -> dict[str, Any] | None:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(request.body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    form = request.form()
    if "blocks" in form:
        form_blocks: Any = json.loads(form["blocks"])
        return {**form, "blocks": form_blocks}
    return dict(form)


def _blocks_valid(blocks: Any) -> bool:
    """Slack's checks that matter here: known types, non-empty texts within their limits,
    buttons with text, action_id and value."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return False
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in BLOCK_TYPES:
            return False
        if kind == "header" and not 0 < len(block["text"]["text"]) <= 150:
            return False
        if kind == "section" and not 0 < len(block["text"]["text"]) <= 3000:
            return False
        if kind == "actions":
            for button in block["elements"]:
                if not (button["text"]["text"] and button["action_id"] and button.get("value")):
                    return False
    return True


def _error(code: str) -> Answer:
    return Answer.json(200, {"ok": False, "error": code})
