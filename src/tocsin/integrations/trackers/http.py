"""What the tracker adapters share: one request through the notifiers' HTTP helpers
(timeouts, a bounded read, secrets redacted), and the tracker's answer turned into the
Tracker port's errors: retry later (never before Retry-After or the rate-limit reset) or
refused with the fix named."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tocsin.app.ports import Clock
from tocsin.app.trackers import TrackerRefused, TrackerUnavailable
from tocsin.core.notify import Delivery, DeliveryStatus
from tocsin.integrations.notifiers.http import (
    Answer,
    LazyClient,
    Timeouts,
    clip,
    exchange,
    retry_after,
)
from tocsin.integrations.notifiers.secrets import protect

Words = Callable[[Answer], str]  # what the tracker said, in one line


@dataclass(frozen=True, slots=True)
class Credential:
    """Where a token came from: errors name the variable, never the value."""

    token: str
    env: str


class TrackerHttp:
    def __init__(
        self,
        name: str,
        base_url: str,
        headers: Mapping[str, str],
        credential: Credential,
        secrets: list[str],
        timeouts: Timeouts,
        clock: Clock,
        words: Words,
    ) -> None:
        self.name = name
        self.base = base_url.rstrip("/")
        self._headers = dict(headers)
        self._credential = credential
        self._redact = protect(secrets)
        self._http = LazyClient(timeouts)
        self._clock = clock
        self._words = words

    def call(self, method: str, path: str, **request: Any) -> Answer:
        """One request; a 2xx Answer, or TrackerUnavailable / TrackerRefused."""
        outcome = exchange(
            self._http.get(),
            method,
            self.base + path,
            self._clock,
            self._redact,
            headers=self._headers,
            **request,
        )
        if isinstance(outcome, Delivery):
            what = f"{self.name} {method} {path}: {outcome.detail}"
            if outcome.status is DeliveryStatus.RETRY:
                raise TrackerUnavailable(what)
            raise TrackerRefused(what)
        if 200 <= outcome.status < 300:
            return outcome
        raise self._error(method, path, outcome)

    def json(self, answer: Answer, method: str, path: str) -> dict[str, Any]:
        """A 2xx answer's JSON object; anything else (a proxy's HTML page) is worth a retry:
        the request may have been done, and the next attempt looks before it creates."""
        data = answer.json()
        if not isinstance(data, dict):
            raise TrackerUnavailable(
                f"{self.name} {method} {path}: answered {answer.status} without JSON: "
                f"{self._redact(clip(answer.text(), 120))}"
            )
        return data

    def close(self) -> None:
        self._http.close()

    def _error(self, method: str, path: str, answer: Answer) -> Exception:
        said = self._redact(clip(self._words(answer), 240))
        where = f"{self.name} {method} {path}"
        status, env = answer.status, self._credential.env
        wait = self._not_before(answer.headers)
        limited = answer.headers.get("x-ratelimit-remaining") == "0"
        if status == 429 or (status == 403 and (limited or "retry-after" in answer.headers)):
            return TrackerUnavailable(f"{where}: rate limited ({status}): {said}", wait)
        if status == 408 or status >= 500:
            return TrackerUnavailable(f"{where}: HTTP {status}: {said}", wait)
        if status == 401:
            return TrackerRefused(
                f"{where}: {self.name} rejected the token in ${env} (401: {said}); set a valid "
                f"token in {env}, then `tocsin jobs retry` the job"
            )
        if status == 403:
            return TrackerRefused(
                f"{where}: the token in ${env} may not do this (403: {said}); give it the "
                "permission to create and edit issues, then `tocsin jobs retry` the job"
            )
        if status == 404:
            return TrackerRefused(
                f"{where}: not found (404: {said}); check the tracker's base_url and "
                f"project or repo in tocsin.yaml, and that the token in ${env} can see it"
            )
        return TrackerRefused(f"{where}: refused ({status}): {said}; fix the item or the "
                              "tracker's settings, then `tocsin jobs retry` the job")  # fmt: skip

    def _not_before(self, headers: Mapping[str, str]) -> datetime | None:
        now = self._clock.now()
        after = retry_after(headers, self._clock)
        if after is not None:
            return now + after
        reset = headers.get("x-ratelimit-reset", "").strip()
        if reset.isdigit():
            when = datetime.fromtimestamp(int(reset), UTC)
            return min(max(when, now), now + timedelta(days=1))
        return None
