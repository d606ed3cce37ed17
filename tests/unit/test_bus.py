from __future__ import annotations

import pytest

from tocsin.app.bus import IncidentChanged, MessageBus


def test_every_handler_runs_even_when_one_fails(caplog: pytest.LogCaptureFixture) -> None:
    bus = MessageBus()
    seen: list[str] = []

    def broken(event: IncidentChanged) -> None:
        raise RuntimeError("slack is down")

    bus.subscribe(broken)
    bus.subscribe(lambda e: seen.append(e.incident_id))
    bus.publish(IncidentChanged("INC-1", ()))
    assert seen == ["INC-1"]
    assert "failed for INC-1" in caplog.text
