"""The Telegram Bot API's sendMessage, as documented: `POST /bot<token>/sendMessage`.

Every answer is `{"ok": true, "result": Message}` or `{"ok": false, "error_code", "description",
"parameters"?}`: 401 `Unauthorized` for a wrong token (Telegram answers 404 `Not Found` for a
malformed one), 400 `Bad Request: chat not found`, 400 `Bad Request: can't parse entities: …`
for HTML it cannot read, 400 `Bad Request: message is too long`, 403 `Forbidden: bot was
blocked by the user`, and 429 `Too Many Requests: retry after N` with `parameters.retry_after`.
"""

from __future__ import annotations

import html
import itertools
import re
from html.parser import HTMLParser
from typing import Any

from tests.support.fakes.base import Answer, FakeServer, Fault, Request

RETRY_AFTER = 11
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                "tg-spoiler", "span", "blockquote", "tg-emoji"}  # fmt: skip


class FakeTelegram(FakeServer):
    def __init__(self, token: str, chats: set[str], blocked: frozenset[str] = frozenset()) -> None:
        self.token = token
        self.chats = chats
        self.blocked = blocked
        self._ids = itertools.count(100)
        super().__init__(self._answer, self._fault)

    def sent(self) -> list[dict[str, Any]]:
        """The bodies of the messages it accepted."""
        return [
            r.json() for r in self.requests if r.fault is None and r.path.endswith("/sendMessage")
        ]

    def _fault(self, fault: Fault) -> Answer:
        if fault is Fault.RATE_LIMIT:
            return _error(
                429, f"Too Many Requests: retry after {RETRY_AFTER}", retry_after=RETRY_AFTER
            )
        return Answer(
            500,
            b"<html><body>500 Internal Server Error</body></html>",
            {"Content-Type": "text/html"},
        )

    def _answer(self, request: Request) -> Answer:
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", request.path)
        if not match:
            return _error(404, "Not Found")
        token, method = match.groups()
        if token != self.token:
            return _error(401, "Unauthorized")
        if method != "sendMessage":
            return _error(404, "Not Found")
        body = request.json()
        chat = str(body.get("chat_id", ""))
        if chat not in self.chats:
            return _error(400, "Bad Request: chat not found")
        if chat in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        text = body.get("text", "")
        if body.get("parse_mode") == "HTML":
            problem = html_problem(text)
            if problem:
                return _error(400, f"Bad Request: can't parse entities: {problem}")
            text = visible(text)
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return _error(400, "Bad Request: message is too long")
        if not _keyboard_valid(body.get("reply_markup")):
            return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        result = {
            "message_id": next(self._ids),
            "date": 1700000000,
            "chat": {"id": int(chat)},
            "text": text,
        }
        return Answer.json(200, {"ok": True, "result": result})


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.problem = ""
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problem = self.problem or f'Unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problem = self.problem or f'Unmatched end tag "{tag}"'

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.problem = self.problem or f'Unsupported HTML entity "&{name};"'


def html_problem(text: str) -> str:
    """What Telegram would refuse: unknown tags, unclosed tags, a bare '<' or unknown entity."""
    if re.search(r"<(?![a-zA-Z/])", text):
        return "Unexpected character '<'"
    if re.search(r"&(?!(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);)", text):
        return "Unexpected character '&'"
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.open and not checker.problem:
        return f'Can\'t find end tag corresponding to start tag "{checker.open[-1]}"'
    return checker.problem


def visible(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def _keyboard_valid(markup: Any) -> bool:
    if markup is None:
        return True
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                return False
    return True


def _error(code: int, description: str, **parameters: Any) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer.json(code, body)
