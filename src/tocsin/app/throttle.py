"""Failed password checks, limited three ways on the injected clock.

- An address and a username together: `pair_failures` in `window`, then that pair waits out
  the window. This stops one machine guessing one person's password.
- An address alone: `address_failures` in `window` across every username, then it waits.
  This stops one machine trying many names.
- A username alone, from anywhere: after `name_free` failures in `window`, each attempt waits
  1 s, 2 s, 4 s … at most `name_max_delay` after the last one. Many machines guessing one
  name get one guess a `name_max_delay` at most, and the real person, from their own address,
  waits at most that long: never locked out for the whole window.

An attempt is counted before its password is checked (`begin`) and forgiven when the
password was right (`passed`), so parallel requests cannot all pass the check before any
failure is recorded.

In-process: each server process counts on its own, and a restart forgets. With several
processes behind a balancer the limits are per process (N processes allow N times as many
guesses); a shared store would fix that when Tocsin runs that way.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tocsin.app.ports import Clock
from tocsin.core.errors import DomainError, ErrorKind

MAX_KEYS = 10_000  # forget the quietest keys beyond this, so a flood cannot fill memory
KEPT = 64  # failures remembered per key: more than any limit below needs


class Throttled(DomainError):
    """Too many failed password checks; `retry_after` is in whole seconds."""

    kind = ErrorKind.RATE_LIMITED
    retry_after = 0  # as reported by a server, without the wait

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed password checks; try again in {wait_text(retry_after)}")

    def details(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after}


@dataclass(frozen=True, slots=True)
class Limits:
    pair_failures: int = 5
    address_failures: int = 20
    name_free: int = 10
    name_max_delay: timedelta = timedelta(seconds=60)
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Attempt:
    keys: tuple[str, str, str]  # pair, address, name
    at: datetime


class LoginThrottle:
    def __init__(self, clock: Clock, limits: Limits | None = None) -> None:
        self._clock = clock
        self.limits = limits or Limits()
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()  # sync routes run on several threads

    def begin(self, address: str, username: str) -> Attempt:
        """Counts an attempt as failed until `passed`; raises Throttled if it must wait."""
        now, keys = self._clock.now(), _keys(address, username)
        with self._lock:
            waits = [
                self._window_wait(keys[0], now, self.limits.pair_failures),
                self._window_wait(keys[1], now, self.limits.address_failures),
                self._backoff_wait(keys[2], now),
            ]
            wait = max(w for w in waits)
            if wait > 0:
                raise Throttled(wait)
            for key in keys:
                times = self._failures.pop(key, None) or deque(maxlen=KEPT)
                times.append(now)
                self._failures[key] = times  # re-inserted: the dict runs least recent first
            while len(self._failures) > MAX_KEYS:
                del self._failures[next(iter(self._failures))]
        return Attempt(keys, now)

    def passed(self, attempt: Attempt) -> None:
        """The password was right: this attempt was no failure, and the pair starts again."""
        with self._lock:
            self._failures.pop(attempt.keys[0], None)
            self._forget(attempt, attempt.keys[1:])

    def undone(self, attempt: Attempt) -> None:
        """The check never happened (the database failed): this attempt counts for nothing."""
        with self._lock:
            self._forget(attempt, attempt.keys)

    def _forget(self, attempt: Attempt, keys: tuple[str, ...]) -> None:
        for key in keys:
            times = self._failures.get(key)
            if times is not None and attempt.at in times:
                times.remove(attempt.at)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self._failures.get(key) or deque()
        while times and times[0] <= now - self.limits.window:
            times.popleft()
        return times

    def _window_wait(self, key: str, now: datetime, limit: int) -> int:
        times = self._recent(key, now)
        if len(times) < limit:
            return 0
        return _seconds(times[-limit] + self.limits.window - now)

    def _backoff_wait(self, key: str, now: datetime) -> int:
        times = self._recent(key, now)
        extra = len(times) - self.limits.name_free
        if extra < 0:
            return 0
        delay = min(timedelta(seconds=2 ** min(extra, 30)), self.limits.name_max_delay)
        return _seconds(times[-1] + delay - now)


def _seconds(delta: timedelta) -> int:
    return max(0, math.ceil(delta.total_seconds()))


def wait_text(seconds: int) -> str:
    """12 s, or whole minutes from one minute on: 15 min."""
    return f"{seconds} s" if seconds < 60 else f"{-(-seconds // 60)} min"


def _keys(address: str, username: str) -> tuple[str, str, str]:
    name = username.strip().lstrip("@").casefold()
    return f"pair:{address}\x00{name}", f"addr:{address}", f"name:{name}"
