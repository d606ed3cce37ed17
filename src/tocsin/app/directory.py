"""The Directory port paging and communication use: who is on call and how people are
reached (the on-call use case), and where team channels are (tocsin.yaml's `channels:`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from tocsin.app.oncall import OncallService
from tocsin.app.ports import UnitOfWork
from tocsin.core.notify import ContactMethod


class TeamDirectory:
    def __init__(self, oncall: OncallService, channels: Mapping[str, ContactMethod]) -> None:
        self._oncall = oncall
        self._channels = dict(channels)

    def on_call(self, schedule: str, at: datetime, uow: UnitOfWork | None = None) -> str | None:
        return self._oncall.on_call(schedule, at, uow)

    def reach(self, person: str) -> list[tuple[timedelta, ContactMethod]]:
        return self._oncall.reach(person)

    def channel(self, name: str) -> ContactMethod | None:
        return self._channels.get(name)
