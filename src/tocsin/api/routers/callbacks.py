"""Button presses from Slack and Telegram: acknowledge (or resolve) where the page arrived.
Each request is checked as its sender documents (Slack's signature, Telegram's secret token);
a forged or replayed one answers 403 and changes nothing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tocsin.api.deps import App
from tocsin.bootstrap import Tocsin
from tocsin.core.callbacks import slack_ok, telegram_ok
from tocsin.core.errors import TocsinError

router = APIRouter(tags=["acknowledge"])
ACTIONS = {"tocsin_acknowledge": "acknowledge", "tocsin_resolve": "resolve"}
ANSWERS: dict[int | str, dict[str, Any]] = {
    403: {"description": "not signed by the sender; nothing changed"},
    404: {"description": "this callback is not set up (no secret in `notifiers:`)"},
}


def _refused(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"kind": "forbidden", "message": message}}, status)


async def _act(tocsin: Tocsin, action: str, ref: str, actor: str, via: str) -> str:
    """Acknowledge or resolve; a refusal (already acknowledged) is said, not raised."""
    try:
        if action == "resolve":
            done = await run_in_threadpool(tocsin.incidents.resolve, ref, actor)
            return f"{done.incident.id} resolved by {actor}"
        done = await run_in_threadpool(tocsin.incidents.acknowledge, ref, actor, None, via)
        return f"{done.incident.id} acknowledged by {actor}"
    except TocsinError as exc:
        return str(exc)


@router.post("/callbacks/slack", responses=ANSWERS)
async def slack_interactivity(request: Request, tocsin: App) -> JSONResponse:
    """Slack's interactivity request: the Acknowledge and Resolve buttons of a page."""
    secret = tocsin.callback_secrets.slack
    if not secret:
        return _refused(
            404, "Slack interactivity is not set up: notifiers.slack.signing_secret_env"
        )
    body = await request.body()
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if not slack_ok(secret, timestamp, body, signature, tocsin.clock.now()):
        return _refused(403, "the request is not signed by Slack, or is too old")
    try:
        payload = json.loads(parse_qs(body.decode())["payload"][0])
        pressed = payload["actions"][0]
        user = payload["user"]
        who = str(user.get("username") or user.get("name") or user["id"])[:80]
        action = ACTIONS.get(pressed["action_id"])
        ref = str(pressed["value"])
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return JSONResponse({"text": "Tocsin could not read this button press."})
    if action is None:  # a link button (open the incident, a test page's link): Slack opens it
        return JSONResponse({})
    text = await _act(tocsin, action, ref, f"slack:{who}", "Slack button")
    return JSONResponse({"response_type": "in_channel", "replace_original": False, "text": text})


@router.post("/callbacks/telegram", responses=ANSWERS)
async def telegram_update(request: Request, tocsin: App) -> JSONResponse:
    """Telegram's webhook: the inline Acknowledge button (`ack:INC-7`)."""
    secret = tocsin.callback_secrets.telegram
    if not secret:
        return _refused(
            404, "Telegram callbacks are not set up: notifiers.telegram.webhook_secret_env"
        )
    if not telegram_ok(secret, request.headers.get("x-telegram-bot-api-secret-token")):
        return _refused(403, "the request does not carry the webhook's secret token")
    try:
        query = (await request.json())["callback_query"]
        action, _, ref = str(query["data"]).partition(":")
        sender = query["from"]
        who = str(sender.get("username") or sender["id"])[:80]
    except (KeyError, ValueError, TypeError, AttributeError):
        return JSONResponse({"ok": True})  # not a button press: nothing to do
    if action == "ack":
        await _act(tocsin, "acknowledge", ref, f"telegram:{who}", "Telegram button")
    return JSONResponse({"ok": True})
