"""Outbound webhooks: CloudEvents 1.0 in structured mode, signed with HMAC-SHA256.
`to.address` names one of the configured webhooks (see renderers/webhook.py for the
signature scheme a receiver checks)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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
    note,
    sent,
)
from tocsin.integrations.notifiers.renderers import webhook as render
from tocsin.integrations.notifiers.secrets import protect

DEFAULT_SOURCE = "/tocsin"


@dataclass(frozen=True, slots=True)
class Webhook:
    url: str
    secret: str | None = None


class WebhookNotifier:
    kind = ContactKind.WEBHOOK
    idempotent = True  # the CloudEvents id is the idempotency key: receivers drop repeats

    def __init__(
        self,
        webhooks: Mapping[str, Webhook],
        source: str = DEFAULT_SOURCE,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        clock: Clock | None = None,
    ) -> None:
        self._webhooks = dict(webhooks)
        self._source = source
        self._redact = protect([h.secret for h in webhooks.values() if h.secret])
        self._clock = clock or SystemClock()
        self._http = LazyClient(timeouts)

    def send(self, to: ContactMethod, notification: Notification) -> Delivery:
        hook = self._webhooks.get(to.address)
        if hook is None:
            known = ", ".join(sorted(self._webhooks)) or "none"
            return note(
                to, failed(self._clock, f"no webhook named {to.address!r}; configured: {known}")
            )
        now = self._clock.now()
        cloud_event = render.event(notification, self._source, now)
        body = render.encode(cloud_event)
        headers = {"Content-Type": render.CONTENT_TYPE}
        if hook.secret:
            timestamp = str(int(now.timestamp()))
            headers[render.TIMESTAMP_HEADER] = timestamp
            headers[render.SIGNATURE_HEADER] = render.signature(hook.secret, timestamp, body)
        outcome = exchange(
            self._http.get(),
            "POST",
            hook.url,
            self._clock,
            self._redact,
            content=body,
            headers=headers,
        )
        if isinstance(outcome, Delivery):
            return note(to, outcome)
        return note(to, self._read(outcome, str(cloud_event["id"])))

    def _read(self, answer: Answer, event_id: str) -> Delivery:
        words = self._redact(clip(answer.text(), 200))
        general = by_status(answer, self._clock, words)
        if general is not None:
            return general
        if 200 <= answer.status < 300:
            return sent(self._clock, event_id, f"HTTP {answer.status}")
        if 300 <= answer.status < 400:
            where = clip(answer.headers.get("location", "?"), 200)
            return failed(
                self._clock, f"redirected (HTTP {answer.status}) to {where}: set the final URL"
            )
        return failed(self._clock, f"HTTP {answer.status}: {words}")

    def close(self) -> None:
        self._http.close()
