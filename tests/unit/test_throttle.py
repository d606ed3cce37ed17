"""The login throttle on a manual clock: what counts, what is forgiven, when it opens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import START
from tocsin.app.clock import ManualClock
from tocsin.app.throttle import MAX_KEYS, LoginThrottle, Throttled, wait_text


def fail(throttle: LoginThrottle, address: str, name: str, times: int = 1) -> None:
    for _ in range(times):
        throttle.begin(address, name)  # never passed: a failure


def test_a_right_password_is_no_failure_and_starts_the_pair_again() -> None:
    throttle = LoginThrottle(ManualClock(START))
    fail(throttle, "10.0.0.1", "ann", 4)
    throttle.passed(throttle.begin("10.0.0.1", "ann"))
    fail(throttle, "10.0.0.1", "ann", 4)  # four more: the pair's count started again
    with pytest.raises(Throttled):
        fail(throttle, "10.0.0.1", "ann", 2)


def test_a_refused_attempt_does_not_count_or_push_the_wait_back() -> None:
    clock = ManualClock(START)
    throttle = LoginThrottle(clock)
    fail(throttle, "10.0.0.1", "ann", 5)
    for _ in range(50):
        with pytest.raises(Throttled) as refused:
            throttle.begin("10.0.0.1", "ann")
    assert refused.value.retry_after == 15 * 60
    clock.advance(timedelta(minutes=15))
    throttle.begin("10.0.0.1", "ann")


def test_names_are_one_however_they_are_written() -> None:
    throttle = LoginThrottle(ManualClock(START))
    for written in ("ann", "Ann", "@ann", " ANN ", "ann"):
        fail(throttle, "10.0.0.1", written)
    with pytest.raises(Throttled):
        throttle.begin("10.0.0.1", "ann")


def test_a_flood_of_names_cannot_fill_memory() -> None:
    throttle = LoginThrottle(ManualClock(START))
    for n in range(MAX_KEYS):
        fail(throttle, f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", f"user{n}")
    assert len(throttle._failures) <= MAX_KEYS  # the bound is the point


def test_the_message_says_how_long_in_words() -> None:
    assert str(Throttled(12)) == "too many failed password checks; try again in 12 s"
    assert (wait_text(59), wait_text(60), wait_text(61), wait_text(900)) == (
        "59 s",
        "1 min",
        "2 min",
        "15 min",
    )


def test_an_attempt_that_got_no_answer_counts_for_nothing() -> None:
    throttle = LoginThrottle(ManualClock(START))
    fail(throttle, "10.0.0.1", "ann", 4)
    for _ in range(10):  # the database was down: each check is undone
        throttle.undone(throttle.begin("10.0.0.1", "ann"))
    fail(throttle, "10.0.0.1", "ann")  # the fifth real failure is still allowed
    with pytest.raises(Throttled):
        throttle.begin("10.0.0.1", "ann")
