"""Twilio's REST API: SMS (Messages.json) and voice calls (Calls.json with inline TwiML).
`to.address` is the phone number in E.164.

Requests are form-encoded with HTTP Basic auth (Account SID, Auth Token). A created message or
call answers 201 with its `sid`; errors are `{code, message, more_info, status}`: 429 / code
20429 means slow down, 5xx is Twilio's trouble, the rest (21211 a bad number, 20003 bad
credentials, 21610 an unsubscribed recipient) will not change by retrying.
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
    sent,
)
from tocsin.integrations.notifiers.renderers import twilio as render
from tocsin.integrations.notifiers.secrets import protect

TWILIO_API = "https://api.twilio.com/2010-04-01"
TOO_MANY_REQUESTS = 20429


class _Twilio:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str = TWILIO_API,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        clock: Clock | None = None,
    ) -> None:
        self._redact = protect([auth_token])
        self._base = f"{base_url.rstrip('/')}/Accounts/{account_sid}"
        self._from = from_number
        self._clock = clock or SystemClock()
        self._http = LazyClient(timeouts, auth=(account_sid, auth_token))

    def _post(self, to: ContactMethod, resource: str, form: dict[str, str]) -> Delivery:
        form = {"To": to.address, "From": self._from, **form}
        url = f"{self._base}/{resource}.json"
        outcome = exchange(self._http.get(), "POST", url, self._clock, self._redact, data=form)
        return note(to, outcome if isinstance(outcome, Delivery) else self._read(outcome))

    def _read(self, answer: Answer) -> Delivery:
        data = answer.json()
        data = data if isinstance(data, dict) else {}
        if 200 <= answer.status < 300:
            sid = data.get("sid")
            if isinstance(sid, str) and sid:
                return sent(self._clock, sid, str(data.get("status", "")))
            return retry(self._clock, f"unreadable answer from Twilio (HTTP {answer.status})")
        words = self._words(answer, data)
        if answer.status == 429 or data.get("code") == TOO_MANY_REQUESTS:
            return retry(self._clock, words, retry_after(answer.headers, self._clock))
        if answer.status >= 500 or answer.status == 408 or not data:
            return retry(self._clock, words, retry_after(answer.headers, self._clock))
        return failed(self._clock, words)

    def _words(self, answer: Answer, data: dict[str, Any]) -> str:
        if "message" not in data:
            return f"Twilio answered HTTP {answer.status}"
        code = data.get("code")
        prefix = f"Twilio {code}" if isinstance(code, int) else f"Twilio HTTP {answer.status}"
        return self._redact(clip(f"{prefix}: {data['message']}", 240))

    def close(self) -> None:
        self._http.close()


class TwilioSmsNotifier(_Twilio):
    kind = ContactKind.SMS

    def send(self, to: ContactMethod, notification: Notification) -> Delivery:
        return self._post(to, "Messages", {"Body": render.sms_body(notification)})


class TwilioVoiceNotifier(_Twilio):
    """Calls and reads the incident; pressing 1 posts `Digits=1` to the acknowledge URL."""

    kind = ContactKind.VOICE

    def send(self, to: ContactMethod, notification: Notification) -> Delivery:
        return self._post(to, "Calls", {"Twiml": render.twiml(notification)})
