"""Failed-login limits per client address and per username, on the injected clock.

In-process: each server process counts on its own, and a restart forgets. With several
processes behind a balancer the limit is per process (N processes allow N times as many
guesses); a shared store would fix that when Tocsin runs that way.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import datetime, timedelta

from tocsin.app.ports import Clock

MAX_KEYS = 10_000  # forget the quietest keys beyond this, so a flood cannot fill memory


class LoginLimiter:
    def __init__(
        self, clock: Clock, max_failures: int = 5, window: timedelta = timedelta(minutes=15)
    ) -> None:
        self._clock = clock
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()  # sync routes run on several threads

    def retry_after(self, address: str, username: str) -> int | None:
        """Seconds until this address and username may try again, or None if they may now."""
        now = self._clock.now()
        with self._lock:
            waits = [self._wait(key, now) for key in _keys(address, username)]
        blocked = [w for w in waits if w is not None]
        return max(blocked) if blocked else None

    def failed(self, address: str, username: str) -> None:
        now = self._clock.now()
        with self._lock:
            for key in _keys(address, username):
                times = self._failures.pop(key, None) or deque(maxlen=self.max_failures)
                _prune(times, now - self.window)
                times.append(now)
                self._failures[key] = times  # re-inserted: the dict runs least recent first
            while len(self._failures) > MAX_KEYS:
                del self._failures[next(iter(self._failures))]

    def succeeded(self, username: str) -> None:
        """The person got in: their name's count starts again (the address's does not)."""
        with self._lock:
            self._failures.pop(_user_key(username), None)

    def _wait(self, key: str, now: datetime) -> int | None:
        times = self._failures.get(key)
        if times is None:
            return None
        _prune(times, now - self.window)
        if len(times) < self.max_failures:
            return None
        opens = times[-self.max_failures] + self.window
        return max(1, math.ceil((opens - now).total_seconds()))


def _prune(times: deque[datetime], before: datetime) -> None:
    while times and times[0] <= before:
        times.popleft()


def _user_key(username: str) -> str:
    return "user:" + username.strip().lstrip("@").casefold()


def _keys(address: str, username: str) -> tuple[str, str]:
    return "addr:" + address, _user_key(username)
