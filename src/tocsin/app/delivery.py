"""One delivery attempt to one contact method, and what comes next.

The paging and announcing jobs call `Courier.attempt` once per job run: it asks the rate
limiter first (a destination sent to a moment ago answers WAIT with a time, and the job is
rescheduled rather than sleeping in a worker), then the channel's notifier, and returns the
decision of core/delivery.py. A channel that is slow costs its own timeout; one that fails for
good sends the caller to the person's next method. A notifier that raises anyway (a bug, not
the far side) is a RETRY, so a page is never lost to it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tocsin.app.ports import Clock, Notifier
from tocsin.core.delivery import (
    DELIVERY_RETRY,
    Decision,
    Next,
    RateLimiter,
    buckets_for,
    decide,
)
from tocsin.core.jobs import RetryPolicy, Rng
from tocsin.core.notify import ContactKind, ContactMethod, Delivery, DeliveryStatus, Notification

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Attempt:
    """`delivery` is None when nothing was sent (rate limited here: WAIT until `at`)."""

    decision: Decision
    delivery: Delivery | None

    @property
    def waiting(self) -> bool:
        return self.delivery is None and self.decision.next is Next.RETRY

    @property
    def status(self) -> str:
        """The word the timeline records: sent, retry or failed."""
        return _STATUS.get(self.decision.next, "failed")

    @property
    def detail(self) -> str:
        """The far side's words, or why nothing was sent."""
        return self.delivery.detail if self.delivery else self.decision.reason

    @property
    def remote_id(self) -> str | None:
        return self.delivery.remote_id if self.delivery else None


_STATUS = {Next.DONE: "sent", Next.RETRY: "retry"}


class Courier:
    def __init__(
        self,
        notifiers: Mapping[ContactKind, Notifier],
        clock: Clock,
        rng: Rng,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy = DELIVERY_RETRY,
    ) -> None:
        self._notifiers = dict(notifiers)
        self._clock = clock
        self._rng = rng
        self._limiter = limiter or RateLimiter()
        self._policy = policy

    def repeats_safely(self, kind: ContactKind) -> bool:
        """Whether this kind's notifier hands the far side the notification's idempotency
        key, so a repeat is dropped there (an adapter says so with `idempotent = True`)."""
        return getattr(self._notifiers.get(kind), "idempotent", False) is True

    def attempt(self, to: ContactMethod, notification: Notification, attempts: int) -> Attempt:
        """Send once, unless the rate limit says not yet. `attempts` counts the sends made so
        far including this one (a WAIT does not count)."""
        notifier = self._notifiers.get(to.kind)
        now = self._clock.now()
        if notifier is None:
            detail = f"no {to.kind} notifier is set up: see `notifiers:` in tocsin.yaml"
            delivery = Delivery(DeliveryStatus.FAILED, detail, at=now)
            return Attempt(Decision(Next.NEXT_METHOD, reason=detail), delivery)
        later = self._limiter.reserve(buckets_for(to.kind, to.address), now)
        if later is not None:
            return Attempt(Decision(Next.RETRY, later, "rate limit: not before then"), None)
        delivery = self._send(notifier, to, notification, now)
        decision = decide(delivery, attempts, self._clock.now(), self._rng, self._policy)
        return Attempt(decision, delivery)

    def _send(
        self, notifier: Notifier, to: ContactMethod, notification: Notification, now: datetime
    ) -> Delivery:
        try:
            return notifier.send(to, notification)
        except Exception as exc:  # a notifier's own bug must not lose the page
            log.error("%s notifier raised %s", to.kind, type(exc).__name__)
            detail = f"the {to.kind} notifier failed ({type(exc).__name__}); will retry"
            return Delivery(DeliveryStatus.RETRY, detail, at=now)
