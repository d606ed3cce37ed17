"""What the `notices` table holds: one test page or hand-off notice to one contact method.

The row is written (or its attempt counted) and committed before anything is sent, so a job
run again after its worker died finds the attempt and sends nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tocsin.core.notify import ContactMethod


class NoticePurpose(StrEnum):
    TEST = "test"  # `tocsin page test PERSON`: acknowledged through its link or button
    HANDOFF = "handoff"  # "you are on call for SCHEDULE from … to …"


class NoticeStatus(StrEnum):
    QUEUED = "queued"  # waiting for its job
    SENDING = "sending"  # an attempt started (the marker): a rerun of that attempt sends nothing
    SENT = "sent"  # the far side took it: delivered
    RETRY = "retry"  # failed for now; another attempt is scheduled
    FAILED = "failed"  # failed for good (or no such channel is set up)


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    id: int
    purpose: NoticePurpose
    key: str  # unique: a test's run and method; a hand-off's schedule, instant, person, method
    person: str
    method: ContactMethod
    subject: str  # the schedule of a hand-off; "" for a test
    title: str
    text: str
    status: NoticeStatus
    attempts: int  # attempts started
    detail: str  # the far side's words, or why nothing was sent
    remote_id: str | None
    requested_by: str
    created_at: datetime
    sent_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_via: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is NoticeStatus.SENT
