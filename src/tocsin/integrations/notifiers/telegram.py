"""Telegram Bot API: sendMessage in HTML parse mode. `to.address` is the chat id.

Answers are JSON: `{"ok": true, "result": {"message_id": …}}`, or `{"ok": false, "error_code",
"description", "parameters": {"retry_after", "migrate_to_chat_id"}}`. The bot token is part of
every URL, so it is registered with the log filter before the first request.
"""

from __future__ import annotations

from typing import Any

from tocsin.app.clock import SystemClock
from tocsin.app.ports import Clock
from tocsin.core.notify import ContactKind, ContactMethod, Delivery, Notification
from tocsin.integrations.notifiers.http import (
    DEFAULT_TIMEOUTS,
    Answer,
    LazyClient,
    Timeouts,
    clip,
    exchange,
    failed,
    note,
    retry,
    retry_after,
    seconds,
    sent,
)
from tocsin.integrations.notifiers.renderers import telegram as render
from tocsin.integrations.notifiers.secrets import protect

TELEGRAM_API = "https://api.telegram.org"


class TelegramNotifier:
    kind = ContactKind.TELEGRAM

    def __init__(
        self,
        token: str,
        base_url: str = TELEGRAM_API,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        clock: Clock | None = None,
    ) -> None:
        self._redact = protect([token])
        self._url = f"{base_url.rstrip('/')}/bot{token}/sendMessage"
        self._clock = clock or SystemClock()
        self._http = LazyClient(timeouts)

    def send(self, to: ContactMethod, notification: Notification) -> Delivery:
        body = render.message(notification, to.address)
        outcome = exchange(
            self._http.get(), "POST", self._url, self._clock, self._redact, json=body
        )
        return note(to, outcome if isinstance(outcome, Delivery) else self._read(outcome))

    def _read(self, answer: Answer) -> Delivery:
        data = answer.json()
        if not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
            if answer.status == 429 or answer.status >= 500:
                wait = retry_after(answer.headers, self._clock)
                return retry(self._clock, f"Telegram answered HTTP {answer.status}", wait)
            return retry(self._clock, f"unreadable answer from Telegram (HTTP {answer.status})")
        if data["ok"]:
            return self._sent(data.get("result"))
        return self._refused(answer, data)

    def _sent(self, result: Any) -> Delivery:
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            return retry(self._clock, "Telegram answered ok without a message_id")
        return sent(self._clock, str(message_id))

    def _refused(self, answer: Answer, data: dict[str, Any]) -> Delivery:
        code = data.get("error_code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else answer.status
        words = self._redact(clip(str(data.get("description", "")), 200))
        parameters = data.get("parameters")
        parameters = parameters if isinstance(parameters, dict) else {}
        if code == 429:
            wait = seconds(parameters.get("retry_after")) or retry_after(
                answer.headers, self._clock
            )
            return retry(self._clock, f"Telegram {code}: {words}", wait)
        if code >= 500 or code == 408:
            return retry(self._clock, f"Telegram {code}: {words}")
        migrated = parameters.get("migrate_to_chat_id")
        if migrated is not None:
            words += f"; the group is now chat {clip(str(migrated), 40)}: use that chat id"
        return failed(self._clock, f"Telegram {code}: {words}")

    def close(self) -> None:
        self._http.close()
