"""Sending a notice (a test page or a hand-off notice) to one contact method, as a job.

Each notice is a row of `notices`. The `notice.send` job for attempt N counts the attempt on
the row and commits *before* it calls the Courier, so a job run again after its worker died
(the lease passed) finds the attempt started and sends nothing twice. What came back is
written after: delivered (with when), retried later with backoff (never before
`Retry-After`), or failed for good. Unlike a page, a notice does not move on to the person's
next method: each method is tested, or told, on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from tocsin.app.delivery import Courier
from tocsin.app.jobs import JobHandlers
from tocsin.app.notice_records import NoticePurpose, NoticeRecord, NoticeStatus
from tocsin.app.ports import Clock, UnitOfWork
from tocsin.core.delivery import Next
from tocsin.core.jobs import Job, JobSpec
from tocsin.core.notify import Notification, Purpose

log = logging.getLogger(__name__)

SEND_JOB = "notice.send"
TEST_PAGE = "notice:"  # an acknowledge link's page for a test page: "notice:<id>"
PURPOSES = {NoticePurpose.TEST: Purpose.TEST, NoticePurpose.HANDOFF: Purpose.HANDOFF}
AckLink = Callable[[int, str, str], str | None]
"""(incident, person, page) -> the signed acknowledge link, or None (no public URL)."""


def tested_notice(page: str) -> int | None:
    """The notice an acknowledge link's page names, when it is a test page's link."""
    number = page.removeprefix(TEST_PAGE)
    return int(number) if page.startswith(TEST_PAGE) and number.isdigit() else None


def send_spec(notice_id: int, attempt: int, due: datetime) -> JobSpec:
    key = f"notice:{notice_id}#{attempt}"
    return JobSpec(SEND_JOB, {"notice": notice_id, "attempt": attempt}, due, key=key)


@dataclass
class NoticeSender:
    clock: Clock
    courier: Courier
    ack_link: AckLink = field(default=lambda n, who, page: None)

    def install(self, jobs: JobHandlers, replace: bool = False) -> None:
        jobs.register(SEND_JOB, self.send, replace)

    def send(self, job: Job, uow_factory: Callable[[], UnitOfWork]) -> None:
        attempt = int(job.payload["attempt"])
        with uow_factory() as uow:  # the marker: committed before anything goes out
            notice = uow.notices.get(int(job.payload["notice"]))
            if notice is None or notice.attempts > attempt or notice.status in _FINAL:
                return
            notice = replace(notice, status=NoticeStatus.SENDING, attempts=attempt + 1)
            uow.notices.save(notice)
            uow.commit()
        done = self.courier.attempt(notice.method, self._note(notice, attempt), attempt + 1)
        with uow_factory() as uow:
            now = self.clock.now()
            status = {Next.DONE: NoticeStatus.SENT, Next.RETRY: NoticeStatus.RETRY}.get(
                done.decision.next, NoticeStatus.FAILED
            )
            notice = replace(
                notice,
                status=status,
                detail=done.detail[:500],
                remote_id=done.remote_id,
                sent_at=now if status is NoticeStatus.SENT else None,
            )
            uow.notices.save(notice)
            if status is NoticeStatus.RETRY:
                uow.jobs.schedule(send_spec(notice.id, attempt + 1, done.decision.at or now))
            uow.commit()
        log.info("%s notice %s to %s: %s", notice.purpose, notice.id, notice.person, status)

    def _note(self, notice: NoticeRecord, attempt: int) -> Notification:
        test = notice.purpose is NoticePurpose.TEST
        return Notification(
            PURPOSES[notice.purpose],
            notice.title,
            notice.text,
            urgent=test,  # a test page goes the way a real page does (ntfy priority 5 …)
            ack_url=self.ack_link(0, notice.person, f"{TEST_PAGE}{notice.id}") if test else None,
            idempotency_key=f"{notice.key}#{attempt}",
        )


_FINAL = (NoticeStatus.SENT, NoticeStatus.FAILED)
