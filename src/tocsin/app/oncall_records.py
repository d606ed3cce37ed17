"""What the on-call repository stores: overrides made at run time, and calendar feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tocsin.core.oncall import Override


@dataclass(frozen=True, slots=True)
class OverrideRecord:
    id: int  # 0 until stored
    schedule: str
    person: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    created_at: datetime
    reason: str = ""

    def to_core(self) -> Override:
        return Override(self.person, self.starts_at, self.ends_at)


class FeedTarget(StrEnum):
    SCHEDULE = "schedule"
    PERSON = "person"


@dataclass(frozen=True, slots=True)
class CalendarFeed:
    """A secret URL for one schedule's or one person's shifts (calendar apps send no
    Authorization header). Only the secret's SHA-256 is stored."""

    id: int
    target: FeedTarget
    name: str
    created_by: str
    created_at: datetime
