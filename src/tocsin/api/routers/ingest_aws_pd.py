"""PagerDuty Events API v2 and CloudWatch alarms through SNS."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tocsin.api.deps import App
from tocsin.api.ingest_bodies import PAGERDUTY_CHANGE, PAGERDUTY_EVENT, declared
from tocsin.api.routers.ingest import SENDER_ERRORS, answer, bearer, receive
from tocsin.app.alerts import IngestResult
from tocsin.bootstrap import Tocsin
from tocsin.core.access import Unauthenticated

router = APIRouter(
    tags=["ingest"], responses={**SENDER_ERRORS, 403: {"description": "Topic not allowed"}}
)


@router.post(
    "/v2/enqueue",
    status_code=202,
    openapi_extra=declared(PAGERDUTY_EVENT, "An Events API v2 event", key_in_path=False),
)
async def pagerduty_event(request: Request, tocsin: App) -> JSONResponse:
    """PagerDuty's Events API v2: trigger, acknowledge and resolve by `dedup_key`."""
    body = await request.body()
    event = tocsin.sources.pagerduty(body)
    if event.routing_key is None or event.parsed.problems:
        return JSONResponse(tocsin.sources.pagerduty_errors(event.parsed.problems), 400)
    integration = await run_in_threadpool(
        tocsin.alert_admin.authenticate, event.routing_key, "pagerduty"
    )
    parsed = event.parsed
    await asyncio.wrap_future(
        tocsin.alerts.submit(integration.name, lambda: parsed, True, size=len(body))
    )
    answer = {"status": "success", "message": "Event processed", "dedup_key": event.dedup_key}
    return JSONResponse(answer, 202)


@router.post(
    "/v2/change/enqueue",
    status_code=202,
    openapi_extra=declared(PAGERDUTY_CHANGE, "A change event", key_in_path=False),
)
async def pagerduty_change(request: Request, tocsin: App) -> JSONResponse:
    """Change events (deploys, config changes), kept as recent changes for diagnostics."""
    result = tocsin.sources.pagerduty_change(await request.body())
    if result.routing_key is None or result.change is None or result.problems:
        return JSONResponse(tocsin.sources.pagerduty_errors(result.problems), 400)
    integration = await run_in_threadpool(
        tocsin.alert_admin.authenticate, result.routing_key, "pagerduty"
    )
    c = result.change
    details: dict[str, Any] = {**c.details, "links": [link.href for link in c.links]}
    await run_in_threadpool(
        tocsin.alert_admin.record_change,
        integration.name,
        c.summary,
        c.source,
        c.timestamp,
        details,
    )
    return JSONResponse({"status": "success", "message": "Change event processed"}, 202)


@router.post("/ingest/cloudwatch/{key}")
@router.post("/ingest/cloudwatch", include_in_schema=False)
async def cloudwatch_sns(request: Request, tocsin: App, key: str | None = None) -> JSONResponse:
    """An SNS HTTP(S) subscription: confirmations for allowed topics, alarm notifications.
    Every message's signature is checked before anything is done with it."""
    token = key or bearer(request.headers.get("authorization"))
    integration, body = await receive(request, tocsin, "cloudwatch", token)
    message = tocsin.sources.sns(request.headers, body)
    kind = tocsin.sources.sns_kind(message)
    if kind == "invalid":
        errors = [str(p) for p in tocsin.sources.sns_alarm(message).problems]
        return JSONResponse({"status": "invalid", "errors": errors}, 400)
    envelope = tocsin.sources.sns_envelope(message)
    if not await run_in_threadpool(tocsin.sources.sns_verified, envelope):
        raise Unauthenticated("bad SNS signature")
    if kind == "confirmation":
        return await _confirm(tocsin, integration.name, str(envelope.get("TopicArn")), envelope)
    if kind == "unsubscribe":
        return JSONResponse({"status": "unsubscribed", "topic": envelope.get("TopicArn")})
    alarm = tocsin.sources.sns_alarm(message)
    done = await asyncio.wrap_future(
        tocsin.alerts.submit(integration.name, lambda: alarm, size=len(body))
    )
    assert isinstance(done, IngestResult)  # noqa: S101 - the writer's result type
    return answer(done)


async def _confirm(
    tocsin: Tocsin, name: str, topic: str, envelope: dict[str, object]
) -> JSONResponse:
    """Confirm only topics listed in the integration's `allowed_topic_arns`."""
    config = tocsin.config.integration(name)
    if config is None or topic not in config.allowed_topic_arns:
        message = (
            f"topic {topic} is not in allowed_topic_arns of integration {name}; "
            "add it in tocsin.yaml to confirm the subscription"
        )
        return JSONResponse({"error": {"kind": "forbidden", "message": message}}, 403)
    url = str(envelope.get("SubscribeURL", ""))
    if not await run_in_threadpool(tocsin.sources.confirm_subscription, url):
        return JSONResponse({"status": "invalid", "errors": ["SubscribeURL is not SNS"]}, 400)
    return JSONResponse({"status": "confirmed", "topic": topic})
