"""Durable jobs: what a job is, and when a failed one is tried again.

A job is background work stored as a row (see DESIGN.md, principle 3): claimed under a lease,
run by the handler for its kind, then done, retried after a backoff, or dead. Handlers may
run more than once (a worker can die after the work and before marking it done), so each
checks the state it would change or carries an idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol


class JobStatus(StrEnum):
    QUEUED = "queued"  # waiting for its due time
    RUNNING = "running"  # claimed by a worker until its lease expires
    DONE = "done"
    DEAD = "dead"  # failed too often, or no handler: shown, never run again unless retried


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job to schedule. With a `key`, scheduling the same key twice stores one job."""

    kind: str
    payload: dict[str, Any]
    due: datetime
    incident: int | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        if self.due.tzinfo is None:
            raise ValueError("JobSpec.due must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Job:
    """A stored job. `attempts` counts claims, so a job that kills its worker is counted."""

    id: int
    kind: str
    payload: dict[str, Any]
    due: datetime
    attempts: int
    last_error: str | None
    lease_owner: str | None
    lease_expires: datetime | None
    incident: int | None
    key: str | None
    status: JobStatus


class Rng(Protocol):
    """What the retry policy needs of `random.Random`: a float in [0, 1)."""

    def random(self) -> float: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: after the n-th failed attempt, wait a random
    time in [0, min(cap, base * 2**(n-1))); after `max_attempts` attempts the job is dead."""

    base: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(minutes=30)
    max_attempts: int = 8
    floor: timedelta = field(default=timedelta(seconds=1))

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")


DEFAULT_RETRY = RetryPolicy()


def next_attempt(
    attempts: int, now: datetime, rng: Rng, policy: RetryPolicy = DEFAULT_RETRY
) -> datetime | None:
    """When to try again after the `attempts`-th attempt failed; None: give up (dead)."""
    if attempts >= policy.max_attempts:
        return None
    ceiling = min(policy.cap, policy.base * (1 << min(max(attempts - 1, 0), 40)))
    return now + max(policy.floor, ceiling * rng.random())


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def slot(now: datetime, every: timedelta) -> datetime:
    """The start of the `every`-long slot holding `now`, counted from the Unix epoch: every
    process computes the same slot, so a key made from it names one run per interval."""
    if every <= timedelta(0):
        raise ValueError("a slot must be longer than zero")
    return now - (now - _EPOCH) % every
