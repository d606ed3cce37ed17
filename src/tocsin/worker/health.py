"""The loop that runs due health checks once a second, in a thread of `tocsin serve`."""

from __future__ import annotations

import logging
import threading

from tocsin.bootstrap import Tocsin

log = logging.getLogger(__name__)
TICK_S = 1.0


class HealthLoop:
    def __init__(self, tocsin: Tocsin, tick_s: float = TICK_S) -> None:
        self._tocsin = tocsin
        self._tick_s = tick_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tocsin-health", daemon=True)

    def start(self) -> None:
        if self._tocsin.health.checks:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._tocsin.health.tick()
            except Exception:
                log.exception("health checks failed this tick; trying again")
            self._stop.wait(self._tick_s)
