"""core/delivery.py: what happens after an answer, and the per-destination rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.core.delivery import (
    DELIVERY_RETRY,
    Next,
    Rate,
    RateLimiter,
    buckets_for,
    decide,
)
from tocsin.core.notify import ContactKind, Delivery, DeliveryStatus

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


class FixedRng:
    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def retry(after: timedelta | None = None) -> Delivery:
    return Delivery(DeliveryStatus.RETRY, "HTTP 503", retry_after=after)


def test_sent_is_done_and_failed_moves_to_the_next_method() -> None:
    assert decide(Delivery(DeliveryStatus.SENT), 1, NOW, FixedRng(0.5)).next is Next.DONE
    failed = decide(Delivery(DeliveryStatus.FAILED, "channel_not_found"), 1, NOW, FixedRng(0.5))
    assert (failed.next, failed.reason) == (Next.NEXT_METHOD, "channel_not_found")


def test_retries_back_off_exponentially_with_full_jitter() -> None:
    at_top = [decide(retry(), n, NOW, FixedRng(0.999999)).at for n in (1, 2, 3)]
    assert [round((t - NOW).total_seconds()) for t in at_top if t] == [5, 10, 20]
    at_bottom = decide(retry(), 3, NOW, FixedRng(0.0))
    assert at_bottom.next is Next.RETRY
    assert at_bottom.at == NOW  # full jitter: anywhere from now to the ceiling


def test_retry_after_is_a_floor_for_the_next_attempt() -> None:
    decision = decide(retry(timedelta(seconds=30)), 1, NOW, FixedRng(0.5))
    assert decision.next is Next.RETRY
    assert decision.at == NOW + timedelta(seconds=30)


def test_a_wait_longer_than_the_cap_moves_on_instead_of_waiting() -> None:
    decision = decide(retry(timedelta(hours=1)), 1, NOW, FixedRng(0.5))
    assert decision.next is Next.NEXT_METHOD
    assert "asked to wait 3600 s" in decision.reason


def test_after_the_last_attempt_the_next_method_is_tried() -> None:
    decision = decide(retry(), DELIVERY_RETRY.max_attempts, NOW, FixedRng(0.5))
    assert decision.next is Next.NEXT_METHOD
    assert decision.reason.startswith(f"gave up after {DELIVERY_RETRY.max_attempts} attempts")


@given(
    attempts=st.integers(1, DELIVERY_RETRY.max_attempts - 1),
    jitter=st.floats(0, 1, exclude_max=True),
    after=st.none() | st.integers(0, 120).map(lambda s: timedelta(seconds=s)),
)
def test_a_retry_is_never_before_retry_after_nor_past_the_cap(
    attempts: int, jitter: float, after: timedelta | None
) -> None:
    decision = decide(retry(after), attempts, NOW, FixedRng(jitter))
    assert decision.next is Next.RETRY
    assert decision.at is not None
    assert decision.at >= NOW + (after or timedelta(0))
    assert decision.at <= NOW + max(DELIVERY_RETRY.cap, after or timedelta(0))


def test_the_limiter_says_when_rather_than_sleeping() -> None:
    limiter = RateLimiter({"slack.channel": Rate(1.0)})
    key = [("slack.channel", "C1")]
    assert limiter.reserve(key, NOW) is None
    assert limiter.reserve(key, NOW) == NOW + timedelta(seconds=1)
    assert limiter.reserve(key, NOW + timedelta(milliseconds=400)) == NOW + timedelta(seconds=1)
    assert limiter.reserve(key, NOW + timedelta(seconds=1)) is None


def test_destinations_have_their_own_buckets() -> None:
    limiter = RateLimiter()
    assert limiter.reserve(buckets_for(ContactKind.SLACK, "C1"), NOW) is None
    assert limiter.reserve(buckets_for(ContactKind.SLACK, "C2"), NOW) is None
    assert limiter.reserve(buckets_for(ContactKind.SLACK, "C1"), NOW) is not None
    assert limiter.reserve(buckets_for(ContactKind.EMAIL, "a@example.com"), NOW) is None


def test_telegram_has_a_global_limit_across_chats() -> None:
    limiter = RateLimiter()
    answers = [
        limiter.reserve(buckets_for(ContactKind.TELEGRAM, str(chat)), NOW) for chat in range(31)
    ]
    assert answers[:30] == [None] * 30
    assert answers[30] is not None  # the 31st chat in the same second waits for the bot
    assert answers[30] - NOW == timedelta(seconds=1 / 30)


def test_a_refused_reservation_takes_no_token_from_the_other_buckets() -> None:
    limiter = RateLimiter({"a": Rate(1.0), "b": Rate(1.0)})
    assert limiter.reserve([("a", "")], NOW) is None
    assert limiter.reserve([("a", ""), ("b", "")], NOW) is not None
    assert limiter.reserve([("b", "")], NOW) is None  # b still had its token


def test_telegram_groups_are_slower_than_private_chats() -> None:
    limiter = RateLimiter()
    group = buckets_for(ContactKind.TELEGRAM, "-1001234567890")
    assert [limiter.reserve(group, NOW) for _ in range(3)] == [None, None, None]
    assert limiter.reserve(group, NOW) == NOW + timedelta(seconds=3)


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="per_second > 0"):
        Rate(0)
