"""ntfy: publish to a topic on ntfy.sh or a self-hosted server. `to.address` is the topic.

The answer is the stored message as JSON (`id`, `time`, `event: "message"`); errors are JSON
too (`{"code": 42901, "http": 429, "error": "limit reached: too many requests"}`).
"""

from __future__ import annotations

import re

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
    retry,
    sent,
)
from tocsin.integrations.notifiers.renderers import ntfy as render
from tocsin.integrations.notifiers.secrets import protect

NTFY_SH = "https://ntfy.sh"
TOPIC = re.compile(r"^[-_A-Za-z0-9]{1,64}$")  # what ntfy accepts as a topic name


class NtfyNotifier:
    kind = ContactKind.NTFY

    def __init__(
        self,
        base_url: str = NTFY_SH,
        token: str | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        clock: Clock | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._redact = protect([token or ""])
        self._auth = {"Authorization": f"Bearer {token}"} if token else {}
        self._clock = clock or SystemClock()
        self._http = LazyClient(timeouts)

    def send(self, to: ContactMethod, notification: Notification) -> Delivery:
        if not TOPIC.match(to.address):
            return note(
                to,
                failed(
                    self._clock, f"invalid ntfy topic {to.address!r}: use 1-64 of A-Z a-z 0-9 _ -"
                ),
            )
        message = render.render(notification)
        headers = {**message.headers, **self._auth}
        url = f"{self._base}/{to.address}"
        outcome = exchange(
            self._http.get(),
            "POST",
            url,
            self._clock,
            self._redact,
            content=message.body,
            headers=headers,
        )
        return note(to, outcome if isinstance(outcome, Delivery) else self._read(outcome))

    def _read(self, answer: Answer) -> Delivery:
        data = answer.json()
        data = data if isinstance(data, dict) else {}
        words = self._redact(clip(str(data.get("error") or answer.text()), 200))
        general = by_status(answer, self._clock, words)
        if general is not None:
            return general
        if 200 <= answer.status < 300:
            message_id = data.get("id")
            if isinstance(message_id, str) and message_id:
                return sent(self._clock, message_id)
            return retry(self._clock, f"unreadable answer from ntfy (HTTP {answer.status})")
        if not data:
            return retry(self._clock, f"unreadable answer from ntfy (HTTP {answer.status})")
        return failed(self._clock, f"ntfy {data.get('code', answer.status)}: {words}")

    def close(self) -> None:
        self._http.close()
