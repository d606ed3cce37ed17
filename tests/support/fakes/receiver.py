"""A receiver of outbound webhooks: it records each POST and answers 202, or what a test
scripted (`status` for every answer, faults for the next ones)."""

from __future__ import annotations

from tests.support.fakes.base import Answer, FakeServer, Fault, Request


class FakeReceiver(FakeServer):
    def __init__(self, status: int = 202, body: bytes = b"") -> None:
        self.status = status
        self.body = body
        super().__init__(self._answer, self._fault)

    def _fault(self, fault: Fault) -> Answer:
        if fault is Fault.RATE_LIMIT:
            return Answer(429, b"slow down", {"Retry-After": "2"})
        return Answer(503, b"unavailable")

    def _answer(self, request: Request) -> Answer:
        return Answer(self.status, self.body, {"Content-Type": "text/plain"})
