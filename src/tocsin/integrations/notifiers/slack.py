"""Slack: chat.postMessage as the bot (slack_sdk's WebClient), and incoming webhooks (httpx).

chat.postMessage answers 200 even when it fails (`{"ok": false, "error": "channel_not_found"}`):
the error code decides. Rate limits (`ratelimited`, 429 with Retry-After) and Slack's own
trouble are retried; a bad channel, token or payload is not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from tocsin.app.clock import SystemClock
from tocsin.app.ports import Clock
from tocsin.core.notify import ContactKind, ContactMethod, Delivery, Notification
from tocsin.integrations.notifiers.http import (
    DEFAULT_TIMEOUTS,
    Answer,
    LazyClient,
    Timeouts,
    by_status,
    clip,
    exchange,
    failed,
    log,
    note,
    retry,
    retry_after,
    sent,
)
from tocsin.integrations.notifiers.renderers import slack as render
from tocsin.integrations.notifiers.secrets import protect, url_secrets

SLACK_API = "https://slack.com/api/"
# Slack's codes that mean "try again later"; every other code is a mistake to fix.
RETRYABLE = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
     "request_timeout", "team_added_to_org"}
)  # fmt: skip
_CODE = re.compile(r"^[a-z0-9_]{1,100}$")


class SlackNotifier:
    """chat.postMessage as the bot: `to.address` is a channel (C…) or member (U…) id."""

    kind = ContactKind.SLACK

    def __init__(
        self,
        token: str,
        base_url: str = SLACK_API,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        clock: Clock | None = None,
    ) -> None:
        self._redact = protect([token])
        self._clock = clock or SystemClock()
        # urllib applies one timeout to connect and to each read; no retries inside.
        self._client = WebClient(
            token=token,
            base_url=base_url,
            timeout=math.ceil(max(timeouts.connect, timeouts.read)),
            retry_handlers=[],
        )

    def send(self, to: ContactMethod, notification: Notification) -> Delivery:
        body = render.message(notification)
        try:
            answer = self._client.chat_postMessage(channel=to.address, **body)
        except SlackApiError as exc:
            return note(to, self._refused(exc.response.status_code, exc.response))
        except (SlackClientError, OSError, HTTPException) as exc:
            # OSError covers refused and reset connections and socket timeouts.
            return note(to, retry(self._clock, self._redact(f"{type(exc).__name__}: {exc}")))
        except Exception as exc:  # slack_sdk choking on a far side's garbage: still a retry
            log.warning("Slack client error: %s", self._redact(repr(exc)))
            return note(
                to, retry(self._clock, f"unreadable answer from Slack ({type(exc).__name__})")
            )
        ts = answer.get("ts")
        if not isinstance(ts, str) or not ts:
            return note(to, retry(self._clock, "Slack answered ok without a message ts"))
        return note(to, sent(self._clock, ts, f"posted to {answer.get('channel', to.address)}"))

    def _refused(self, status: int, response: Any) -> Delivery:
        data = response.data if isinstance(response.data, dict) else {}
        code = str(data.get("error", ""))
        headers = {str(k).lower(): str(v) for k, v in (response.headers or {}).items()}
        if status == 429 or code in ("ratelimited", "rate_limited"):
            wait = retry_after(headers, self._clock)
            return retry(self._clock, f"rate limited by Slack ({code or 429})", wait)
        if status >= 500 or status == 408:
            return retry(self._clock, f"Slack answered HTTP {status}")
        if not _CODE.match(code):
            return retry(self._clock, f"unreadable answer from Slack (HTTP {status})")
        words = self._redact(_words(data, code))
        if code in RETRYABLE:
            return retry(self._clock, f"Slack: {words}")
        return failed(self._clock, f"Slack: {words}")


def _words(data: Mapping[str, Any], code: str) -> str:
    """The error code, and what Slack adds about it (warnings, response_metadata.messages)."""
    extra = data.get("response_metadata", {})
    messages = extra.get("messages") if isinstance(extra, dict) else None
    if isinstance(messages, list) and messages:
        return clip(f"{code} ({'; '.join(str(m) for m in messages[:3])})")
    return code


class SlackWebhookNotifier:
    """Incoming webhooks: `to.address` names one of the configured webhooks, whose URL (the
    secret) comes from the environment. Answers are text: `ok`, or an error code."""

    kind = ContactKind.SLACK_WEBHOOK

    def __init__(
        self,
        webhooks: Mapping[str, str],
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        clock: Clock | None = None,
    ) -> None:
        self._webhooks = dict(webhooks)
        self._redact = protect([s for url in webhooks.values() for s in url_secrets(url)])
        self._clock = clock or SystemClock()
        self._http = LazyClient(timeouts)

    def send(self, to: ContactMethod, notification: Notification) -> Delivery:
        url = self._webhooks.get(to.address)
        if url is None:
            known = ", ".join(sorted(self._webhooks)) or "none"
            return note(
                to,
                failed(self._clock, f"no Slack webhook named {to.address!r}; configured: {known}"),
            )
        outcome = exchange(
            self._http.get(),
            "POST",
            url,
            self._clock,
            self._redact,
            json=render.message(notification),
        )
        return note(to, outcome if isinstance(outcome, Delivery) else self._read(outcome))

    def _read(self, answer: Answer) -> Delivery:
        words = self._redact(clip(answer.text(), 200))
        general = by_status(answer, self._clock, words)
        if general is not None:
            return general
        if 200 <= answer.status < 300:
            return sent(self._clock, None, "posted by webhook")
        return failed(self._clock, f"Slack webhook refused it (HTTP {answer.status}): {words}")

    def close(self) -> None:
        self._http.close()
