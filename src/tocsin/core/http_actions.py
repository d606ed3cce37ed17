"""Typed HTTP actions: a feature flag, a tenant suspended or resumed, through a team's own
admin API, described in tocsin.yaml (`runbooks.http_actions`).

A request is built from the action's template and its parameters, never by pasting text into
text that is read again: a path segment gets the value URL-encoded (a `/` in it stays inside
the segment), and the body is a JSON template whose strings may name parameters as
`{{ name }}`. A string that is only a placeholder becomes the typed value (`true`, `10`);
inside a longer string the value is spliced in once and the whole is JSON-encoded, so a value
holding `"`, a newline or `{{ other }}` arrives as those characters, never as syntax or as a
placeholder. The secret header is built here and shown as `***`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tocsin.core.actions import ActionSpec
from tocsin.core.errors import InvalidInput

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
MASK = "***"


@dataclass(frozen=True, slots=True)
class HttpCall:
    method: str
    path: str  # may name parameters as {{ name }}
    body: Any = None  # a JSON template, or None for no body


@dataclass(frozen=True, slots=True)
class HttpActionDef:
    spec: ActionSpec
    base_url: str
    call: HttpCall
    before: HttpCall | None = None  # read first: the state to set back to undo it
    auth_header: str = ""
    auth_env: str = ""  # the environment variable holding the credential
    auth_prefix: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    timeout_s: float = 10.0
    undo: str = ""  # the action that reverts this one, with the same parameters


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    secret: str = ""  # the credential, masked wherever the request is shown

    def shown(self) -> str:
        """The exact request, its credential masked."""
        lines = [f"{self.method} {self.url}"]
        for name, value in self.headers:
            lines.append(f"{name}: {mask(value, self.secret)}")
        if self.body is not None:
            lines += ["", mask(self.body.decode(), self.secret)]
        return "\n".join(lines)


def placeholders(template: Any) -> Iterator[str]:
    """Every parameter a path or body template names."""
    if isinstance(template, str):
        yield from (m.group(1) for m in PLACEHOLDER.finditer(template))
    elif isinstance(template, Mapping):
        for key, value in template.items():
            yield from placeholders(key)
            yield from placeholders(value)
    elif isinstance(template, list):
        for item in template:
            yield from placeholders(item)


def text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fill_text(template: str, params: Mapping[str, Any], encode: bool = False) -> str:
    """One pass over the template: what a value holds is never read as a placeholder."""

    def one(m: re.Match[str]) -> str:
        value = text_of(params[m.group(1)])
        if not encode:
            return value
        if value in ("", ".", ".."):
            raise InvalidInput(f"{m.group(1)}={value!r} cannot be part of a URL path")
        return quote(value, safe="")

    return PLACEHOLDER.sub(one, template)


def fill_body(template: Any, params: Mapping[str, Any]) -> Any:
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template.strip())
        if whole:
            return params[whole.group(1)]  # the typed value: true, 10, "text"
        return fill_text(template, params)
    if isinstance(template, Mapping):
        return {fill_text(str(k), params): fill_body(v, params) for k, v in template.items()}
    if isinstance(template, list):
        return [fill_body(item, params) for item in template]
    return template


def build(
    action: HttpActionDef, call: HttpCall, params: Mapping[str, Any], credential: str
) -> HttpRequest:
    url = action.base_url.rstrip("/") + "/" + fill_text(call.path, params, True).lstrip("/")
    headers = list(action.headers)
    body = None
    if call.body is not None:
        body = json.dumps(fill_body(call.body, params), ensure_ascii=False).encode()
        headers.append(("Content-Type", "application/json"))
    if action.auth_header:
        headers.append((action.auth_header, action.auth_prefix + credential))
    return HttpRequest(call.method, url, tuple(headers), body, credential)


def mask(text: str, secret: str) -> str:
    return text.replace(secret, MASK) if secret else text


def undo_line(action: HttpActionDef, params: Mapping[str, Any]) -> str:
    args = " ".join(f"-p {k}={text_of(v)}" for k, v in params.items())
    return f"tocsin action run {action.undo} {args}".strip() if action.undo else ""
