"""When to send again, and when a destination may be sent to: pure, with the time and the
randomness passed in, so a job-based caller reschedules instead of sleeping in a worker.

- `decide` turns a channel's answer (a Delivery) into what happens next: done, try the same
  method again at a time (exponential backoff with full jitter, never before the far side's
  Retry-After), or move on to the person's next contact method.
- `RateLimiter` is a set of token buckets keyed by destination (a Slack channel, a Telegram
  chat) and by account (Telegram's 30 messages a second overall, Twilio's one call a second).
  It never sleeps: it answers "go now" (and takes the tokens) or "not before T".
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tocsin.core.jobs import RetryPolicy, Rng, next_attempt
from tocsin.core.notify import ContactKind, Delivery, DeliveryStatus

DELIVERY_RETRY = RetryPolicy(
    base=timedelta(seconds=5), cap=timedelta(minutes=2), max_attempts=5, floor=timedelta(0)
)
"""A page is urgent: a few quick tries (5 s, 10 s, 20 s, ... up to 2 min, jittered), then the
person's next method rather than a long wait on a channel that is down."""


class Next(StrEnum):
    DONE = "done"  # the far side has it
    RETRY = "retry"  # the same method again at `at`
    NEXT_METHOD = "next_method"  # failed for good here: try the person's next method


@dataclass(frozen=True, slots=True)
class Decision:
    next: Next
    at: datetime | None = None  # for RETRY
    reason: str = ""


def decide(
    delivery: Delivery,
    attempts: int,
    now: datetime,
    rng: Rng,
    policy: RetryPolicy = DELIVERY_RETRY,
) -> Decision:
    """What to do after the `attempts`-th attempt (counting this one) answered `delivery`."""
    if delivery.status is DeliveryStatus.SENT:
        return Decision(Next.DONE)
    if delivery.status is DeliveryStatus.FAILED:
        return Decision(Next.NEXT_METHOD, reason=delivery.detail)
    at = next_attempt(attempts, now, rng, policy)
    if at is None:
        return Decision(
            Next.NEXT_METHOD, reason=f"gave up after {attempts} attempts: {delivery.detail}"
        )
    wait = delivery.retry_after
    if wait is not None and wait > policy.cap:
        return Decision(
            Next.NEXT_METHOD,
            reason=f"asked to wait {_seconds(wait)}, longer than {_seconds(policy.cap)}: "
            f"{delivery.detail}",
        )
    if wait is not None:
        at = max(at, now + wait)
    return Decision(Next.RETRY, at, delivery.detail)


def _seconds(delta: timedelta) -> str:
    return f"{delta.total_seconds():g} s"


@dataclass(frozen=True, slots=True)
class Rate:
    """`per_second` tokens come back each second, up to `burst`; a message takes one."""

    per_second: float
    burst: float = 1.0

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a Rate needs per_second > 0 and burst >= 1")


_EPSILON = 1e-9  # a bucket refilled by float arithmetic to 0.999999999 is full
BucketKey = tuple[str, str]  # (scope, destination): ("telegram.chat", "-100123")

DEFAULT_RATES: Mapping[str, Rate] = {
    "slack.channel": Rate(1.0),  # chat.postMessage: about one a second per channel
    "slack.webhook": Rate(1.0),
    "telegram.chat": Rate(1.0),  # one a second per private chat
    "telegram.group": Rate(20 / 60, burst=3),  # 20 a minute per group
    "telegram.global": Rate(30.0, burst=30),  # 30 a second per bot
    "twilio.calls": Rate(1.0),  # outbound calls leave the queue at about one a second
    "twilio.messages": Rate(1.0),  # a long code sends about one SMS a second
    "ntfy.server": Rate(0.2, burst=60),  # ntfy.sh's default visitor limit
}


def buckets_for(kind: ContactKind, address: str) -> tuple[BucketKey, ...]:
    """The buckets one message to `address` over `kind` draws from."""
    match kind:
        case ContactKind.SLACK:
            return (("slack.channel", address),)
        case ContactKind.SLACK_WEBHOOK:
            return (("slack.webhook", address),)
        case ContactKind.TELEGRAM:
            scope = "telegram.group" if address.startswith("-") else "telegram.chat"
            return ((scope, address), ("telegram.global", ""))
        case ContactKind.VOICE:
            return (("twilio.calls", ""),)
        case ContactKind.SMS:
            return (("twilio.messages", ""),)
        case ContactKind.NTFY:
            return (("ntfy.server", ""),)
        case _:
            return ()


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: datetime


class RateLimiter:
    """Token buckets in this process (thread-safe). Several processes each keep their own;
    the far side's 429 and Retry-After cover the rest."""

    MAX_IDLE_BUCKETS = 10_000

    def __init__(self, rates: Mapping[str, Rate] = DEFAULT_RATES) -> None:
        self._rates = dict(rates)
        self._buckets: dict[BucketKey, _Bucket] = {}
        self._lock = threading.Lock()

    def reserve(self, keys: Sequence[BucketKey], now: datetime) -> datetime | None:
        """None: go now (a token is taken from every bucket). Otherwise the earliest time every
        bucket has a token again; nothing is taken, so ask again then."""
        limited = [(key, self._rates[key[0]]) for key in keys if key[0] in self._rates]
        with self._lock:
            buckets = [(self._refilled(key, rate, now), rate) for key, rate in limited]
            waits = [
                (1 - bucket.tokens) / rate.per_second
                for bucket, rate in buckets
                if bucket.tokens < 1 - _EPSILON
            ]
            if waits:
                return now + timedelta(seconds=max(waits))
            for bucket, _ in buckets:
                bucket.tokens -= 1
            self._forget_full(now)
            return None

    def _refilled(self, key: BucketKey, rate: Rate, now: datetime) -> _Bucket:
        bucket = self._buckets.setdefault(key, _Bucket(rate.burst, now))
        elapsed = max((now - bucket.at).total_seconds(), 0.0)
        bucket.tokens = min(rate.burst, bucket.tokens + elapsed * rate.per_second)
        bucket.at = max(bucket.at, now)
        return bucket

    def _forget_full(self, now: datetime) -> None:
        """A bucket that has refilled is the same as no bucket: drop them when there are many."""
        if len(self._buckets) <= self.MAX_IDLE_BUCKETS:
            return
        for key, bucket in list(self._buckets.items()):
            rate = self._rates[key[0]]
            elapsed = (now - bucket.at).total_seconds()
            if bucket.tokens + elapsed * rate.per_second >= rate.burst:
                del self._buckets[key]
