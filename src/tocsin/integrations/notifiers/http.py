"""What the HTTP notifiers share: timeouts on every call, a bounded read of the answer, and
the mapping of transport trouble, 429, 5xx and Retry-After to a Delivery.

Every request is one attempt: no retries inside the client. The caller (core/delivery.py's
`decide`) owns backoff and fallback, so a slow channel costs one timeout, never a loop.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from tocsin.app.ports import Clock
from tocsin.core.notify import ContactMethod, Delivery, DeliveryStatus

log = logging.getLogger("tocsin.notifiers")

MAX_ANSWER = 64 * 1024  # enough for any API's answer; a bigger one is read no further
MAX_DETAIL = 300
USER_AGENT = "tocsin-notifier"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds. `read` bounds each wait for bytes from the far side, so a server that hangs
    costs one `read` and a RETRY."""

    connect: float = 5.0
    read: float = 10.0

    def for_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(self.read, connect=self.connect)


DEFAULT_TIMEOUTS = Timeouts()


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class LazyClient:
    """One httpx.Client per adapter, made on first use (building one costs an SSL context,
    which every CLI command would otherwise pay for channels it never uses)."""

    def __init__(self, timeouts: Timeouts, **options: Any) -> None:
        self._timeouts = timeouts
        self._options = options
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def get(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=self._timeouts.for_httpx(),
                    follow_redirects=False,
                    headers={"User-Agent": USER_AGENT},
                    **self._options,
                )
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def exchange(
    client: httpx.Client,
    method: str,
    url: str,
    clock: Clock,
    redact: Callable[[str], str],
    **request: Any,
) -> Answer | Delivery:
    """Send one request and read at most MAX_ANSWER bytes of the answer; transport trouble
    (refused, reset, closed without an answer, timed out) is a RETRY Delivery, its words
    passed through `redact`."""
    try:
        with client.stream(method, url, **request) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= MAX_ANSWER:
                    break
            return Answer(response.status_code, response.headers, body[:MAX_ANSWER])
    except httpx.TimeoutException as exc:
        return retry(clock, f"timed out ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        words = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return retry(clock, redact(words))
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:  # ours: retrying cannot help
        return failed(clock, redact(f"cannot make the request: {type(exc).__name__}: {exc}"))


def retry(clock: Clock, detail: str, after: timedelta | None = None) -> Delivery:
    return Delivery(DeliveryStatus.RETRY, clip(detail), retry_after=after, at=clock.now())


def failed(clock: Clock, detail: str) -> Delivery:
    return Delivery(DeliveryStatus.FAILED, clip(detail), at=clock.now())


def sent(clock: Clock, remote_id: str | None, detail: str = "") -> Delivery:
    return Delivery(DeliveryStatus.SENT, clip(detail), remote_id=remote_id, at=clock.now())


def by_status(answer: Answer, clock: Clock, words: str) -> Delivery | None:
    """The answers every HTTP API means the same way: 429 (with Retry-After), 408 and 5xx are
    worth another try. None for the rest, which the adapter reads itself."""
    if answer.status == 429:
        return retry(clock, f"rate limited (429): {words}", retry_after(answer.headers, clock))
    if answer.status == 408 or answer.status >= 500:
        return retry(clock, f"HTTP {answer.status}: {words}", retry_after(answer.headers, clock))
    return None


def retry_after(headers: Mapping[str, str], clock: Clock) -> timedelta | None:
    """Retry-After as seconds or as an HTTP date; None when absent or unreadable."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=min(int(value), 86400))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - clock.now(), timedelta(0))


def seconds(value: Any) -> timedelta | None:
    """A JSON number of seconds (Telegram's parameters.retry_after), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=min(float(value), 86400.0))
    return None


def clip(text: str, limit: int = MAX_DETAIL) -> str:
    """One line of printable text, at most `limit` characters."""
    flat = "".join(c if c.isprintable() else " " for c in text.replace("\n", " ")).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def note(to: ContactMethod, delivery: Delivery) -> Delivery:
    """Log one outcome (the detail is already redacted) and pass it on."""
    level = logging.INFO if delivery.status is DeliveryStatus.SENT else logging.WARNING
    log.log(level, "%s to %s: %s %s", to.kind, to.address, delivery.status, delivery.detail)
    return delivery
