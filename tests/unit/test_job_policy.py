"""The pure side of jobs: backoff with full jitter, its limit, and time slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.app.jobs import Recurring, job_slot
from tocsin.core.jobs import Job, JobSpec, JobStatus, RetryPolicy, next_attempt, slot

T0 = datetime(2026, 11, 22, 3, 0, 7, tzinfo=UTC)
POLICY = RetryPolicy(timedelta(seconds=10), timedelta(minutes=2), max_attempts=6)


class Fixed:
    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


def test_backoff_doubles_up_to_the_cap_and_the_rng_picks_within_it() -> None:
    ceilings = [next_attempt(n, T0, Fixed(0.999999), POLICY) for n in range(1, 6)]
    assert [round((c - T0).total_seconds()) for c in ceilings if c] == [10, 20, 40, 80, 120]
    assert next_attempt(3, T0, Fixed(0.5), POLICY) == T0 + timedelta(seconds=20)


def test_full_jitter_never_retries_sooner_than_the_floor() -> None:
    assert next_attempt(1, T0, Fixed(0.0), POLICY) == T0 + timedelta(seconds=1)


def test_after_the_last_attempt_the_job_is_dead() -> None:
    assert next_attempt(5, T0, Fixed(0.5), POLICY) is not None
    assert next_attempt(6, T0, Fixed(0.5), POLICY) is None
    assert next_attempt(60, T0, Fixed(0.5), POLICY) is None
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(max_attempts=0)


def test_slots_are_the_same_in_every_process() -> None:
    assert slot(T0, timedelta(seconds=30)) == datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    later = slot(T0 + timedelta(seconds=23), timedelta(seconds=30))
    assert later == datetime(2026, 11, 22, 3, 0, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="longer than zero"):
        slot(T0, timedelta(0))


def test_a_naive_due_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        JobSpec("x", {}, datetime(2026, 1, 1))  # noqa: DTZ001


def test_a_recurring_chain_names_each_slot_once() -> None:
    chain = Recurring("health.check", "health:api", timedelta(minutes=1), {"check": "api"})
    first, after = chain.first(T0), chain.after(T0)
    assert first.key == f"health:api@{int(datetime(2026, 11, 22, 3, 0, tzinfo=UTC).timestamp())}"
    assert chain.first(T0 + timedelta(seconds=50)).key == first.key
    assert after.due - first.due == timedelta(minutes=1)
    assert first.payload == {"check": "api", "slot": "2026-11-22T03:00:00+00:00"}
    retried = Job(1, chain.kind, first.payload, T0 + timedelta(hours=1), 2, "boom", None, None,
                  None, first.key, JobStatus.QUEUED)  # fmt: skip
    assert job_slot(retried) == first.due  # a retry moves due, not the slot
