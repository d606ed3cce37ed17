"""Typed HTTP actions through httpx: a team's admin API (feature flags, tenant suspend and
resume), as `runbooks.http_actions` in tocsin.yaml describes it (core/http_actions.py builds
the request).

Like the AWS actions: the state is read first when the action says how (`before`), a dry
run stops there and shows the exact request with its credential masked, and the far side's
trouble (refused connection, timeout, 4xx/5xx, a redirect, a body that is not JSON) is a
result, never an exception. The credential is read from the environment when the action
runs; it is masked in everything returned, and never logged (httpx logs the URL only).
Redirects are not followed, so the credential goes nowhere but `base_url`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from tocsin.core.actions import ActionResult
from tocsin.core.errors import DomainError, InvalidInput
from tocsin.core.http_actions import HttpActionDef, HttpRequest, build, mask, undo_line

MAX_BODY = 64 * 1024  # of an answer, kept
SHOWN_BODY = 2000  # of an answer, in an error


class Failed(DomainError):
    """The far side did not do it, in words for the timeline (caught here: a result)."""


class HttpActions:
    def __init__(
        self,
        actions: Mapping[str, HttpActionDef],
        environ: Mapping[str, str],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._actions = actions
        self._env = environ
        self._transport = transport

    def run(self, name: str, params: dict[str, Any], dry_run: bool) -> ActionResult:
        action = self._actions[name]
        credential = ""
        if action.auth_env:
            credential = self._env.get(action.auth_env, "")
            if not credential:
                why = f"${action.auth_env} is unset: nothing was sent (set it for Tocsin)"
                return ActionResult(name, dry_run, False, f"{name}: {why}", error=why)
        try:
            request = build(action, action.call, params, credential)
            with httpx.Client(
                timeout=action.timeout_s, follow_redirects=False, transport=self._transport
            ) as client:
                return self._run(client, action, request, params, dry_run)
        except (Failed, InvalidInput) as exc:
            why = mask(str(exc), credential)
            return ActionResult(name, dry_run, False, f"{name} failed: {why}", error=why)

    def _run(
        self,
        client: httpx.Client,
        action: HttpActionDef,
        request: HttpRequest,
        params: dict[str, Any],
        dry: bool,
    ) -> ActionResult:
        name = action.spec.name
        before: dict[str, Any] = {}
        if action.before is not None:
            read = build(action, action.before, params, request.secret)
            before["state"] = self._before(client, read)
        if action.undo:
            before["undo"] = undo_line(action, params)
        shown = request.shown()
        if dry:
            return ActionResult(name, dry, True, f"would {request.method} {request.url}",
                                before, output=shown)  # fmt: skip
        status, answer = _send(client, request, mitigation=action.spec.kind == "mitigation")
        summary = f"{request.method} {request.url} → {status}"
        after = {"status": status, "response": answer}
        output = f"{shown}\n\n→ {status}\n{_text(answer)}"
        return ActionResult(name, dry, True, summary, before, after, mask(output, request.secret))

    def _before(self, client: httpx.Client, read: HttpRequest) -> Any:
        try:
            return _send(client, read, mitigation=False)[1]
        except Failed as exc:
            raise Failed(f"could not read the state before ({exc}): nothing was changed") from None


def _send(client: httpx.Client, request: HttpRequest, mitigation: bool) -> tuple[int, Any]:
    """The status and the answer (JSON when it is, else its text), or Failed."""
    where = f"{request.method} {request.url}"
    try:
        with client.stream(
            request.method, request.url, headers=list(request.headers), content=request.body
        ) as answer:
            raw = b""
            for chunk in answer.iter_bytes():
                raw += chunk
                if len(raw) >= MAX_BODY:
                    break
            status = answer.status_code
    except httpx.TimeoutException:
        maybe = " It may have reached the server: check the state before retrying." * mitigation
        raise Failed(f"{where} timed out after {client.timeout.read:g} s.{maybe}") from None
    except httpx.HTTPError as exc:
        raise Failed(f"{where}: {type(exc).__name__}: {exc or 'connection failed'}") from None
    text = raw[:MAX_BODY].decode("utf-8", errors="replace")
    if 300 <= status < 400:
        raise Failed(f"{where} answered {status} (redirects are not followed: point base_url "
                     "at the final address)")  # fmt: skip
    if not 200 <= status < 300:
        raise Failed(f"{where} answered {status}: {text[:SHOWN_BODY]}")
    try:
        return status, json.loads(text) if text.strip() else None
    except ValueError:
        return status, text


def _text(answer: Any) -> str:
    if isinstance(answer, str):
        return f"(not JSON) {answer[:SHOWN_BODY]}"
    return json.dumps(answer, indent=2, ensure_ascii=False)
