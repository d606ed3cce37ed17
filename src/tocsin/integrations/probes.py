"""The HTTP probe behind health checks: one GET, its status, body and latency."""

from __future__ import annotations

import time

import httpx

from tocsin.app.health import ProbeResult

MAX_BODY = 64 * 1024


class HttpProbe:
    def __init__(self) -> None:
        self._client = httpx.Client(follow_redirects=False, headers={"User-Agent": "tocsin-health"})

    def get(self, url: str, timeout_s: float) -> ProbeResult:
        started = time.perf_counter()
        try:
            answer = self._client.get(url, timeout=timeout_s)
        except httpx.TimeoutException:
            return ProbeResult(None, "", _ms(started), f"timed out after {timeout_s:g} s")
        except httpx.HTTPError as exc:
            return ProbeResult(None, "", _ms(started), f"{type(exc).__name__}: {exc}")
        return ProbeResult(answer.status_code, answer.text[:MAX_BODY], _ms(started))

    def close(self) -> None:
        self._client.close()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
