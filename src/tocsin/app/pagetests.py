"""`tocsin page test PERSON`: a test page through each of a person's contact methods, as
jobs, through the Courier, each with a signed acknowledge link as real pages carry; and the
record of whether and when each was delivered and acknowledged.

A method is proven by its last *delivered* test (the far side took it); the acknowledgement
(the link opened and its button pressed, ntfy's action, 1 pressed on the call) shows a human
saw it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace

from tocsin.app.notice_records import NoticePurpose, NoticeRecord, NoticeStatus
from tocsin.app.notices import send_spec
from tocsin.app.oncall import Roster
from tocsin.app.ports import Clock, UnitOfWork
from tocsin.core import rules
from tocsin.core.acklinks import BadAckLink
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.notify import ContactMethod
from tocsin.core.people import Person
from tocsin.core.timeline import iso


@dataclass(frozen=True, slots=True)
class MethodTest:
    """One contact method of one person: its last test, and its last delivered one."""

    person: str
    name: str
    method: ContactMethod
    last: NoticeRecord | None
    delivered: NoticeRecord | None


class PageTests:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        roster: Roster,
        reader: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        self._uow = uow
        self._read = reader or uow
        self._clock = clock
        self._roster = roster

    def start(self, person: str, by: str) -> list[NoticeRecord]:
        """One queued test page per contact method of `person`, each sent by a job."""
        found = self._person(person)
        if not found.contacts:
            raise InvalidInput(
                f"{found.handle} has no contact method to test; add email, slack, telegram, "
                "phone or contact_methods to them in tocsin.yaml"
            )
        now = self._clock.now()
        run = f"{int(now.timestamp())}-{secrets.token_hex(4)}"
        who = rules.actor(by)
        made = []
        with self._uow() as uow:
            for index, method in enumerate(found.contacts):
                draft = NoticeRecord(
                    0, NoticePurpose.TEST, f"test:{found.handle}:{run}:{index}", found.handle,
                    method, "", f"Test page for {found.display}", _text(method),
                    NoticeStatus.QUEUED, 0, "", None, who, now,
                )  # fmt: skip
                new_id = uow.notices.add(draft)
                assert new_id is not None  # noqa: S101 - the run makes the key new
                uow.jobs.schedule(send_spec(new_id, 0, now))
                made.append(replace(draft, id=new_id))
            uow.commit()
        return made

    def status(self, person: str | None = None) -> list[MethodTest]:
        """Every contact method of everyone (or of `person`), with its last test and last
        delivered test; methods never tested have neither."""
        people = [self._person(person)] if person else list(self._roster.people.values())
        with self._read() as uow:
            tests = uow.notices.find(NoticePurpose.TEST, person and people[0].handle)
        out = []
        for p in people:
            for method in p.contacts:
                mine = [t for t in tests if t.person == p.handle and _same(t.method, method)]
                delivered = next((t for t in mine if t.delivered), None)
                out.append(MethodTest(p.handle, p.display, method, next(iter(mine), None),
                                      delivered))  # fmt: skip
        return out

    def acknowledge(self, notice_id: int, via: str) -> NoticeRecord:
        """The test page's link (or button, or keypress) was used: record when and how. A
        link used twice changes nothing the second time."""
        with self._uow() as uow:
            notice = uow.notices.get(notice_id)
            if notice is None or notice.purpose is not NoticePurpose.TEST:
                raise BadAckLink("this acknowledge link is not valid")
            if notice.acknowledged_at is not None:
                raise BadAckLink("this test page was already acknowledged; nothing changed")
            notice = replace(notice, acknowledged_at=self._clock.now(), acknowledged_via=via)
            uow.notices.save(notice)
            uow.commit()
        return notice

    def get(self, notice_id: int) -> NoticeRecord:
        with self._read() as uow:
            notice = uow.notices.get(notice_id)
        if notice is None or notice.purpose is not NoticePurpose.TEST:
            raise NotFound(f"no test page {notice_id}")
        return notice

    def _person(self, handle: str) -> Person:
        found = self._roster.people.get(handle.strip().lstrip("@"))
        if found is None:
            known = ", ".join(self._roster.people) or "none in tocsin.yaml"
            raise NotFound(f"no person {handle!r}; people: {known}")
        return found


def _same(a: ContactMethod, b: ContactMethod) -> bool:
    return a.kind == b.kind and a.address == b.address


def _text(method: ContactMethod) -> str:
    how = f"{method.kind.value} ({method.label})" if method.label else method.kind.value
    return (
        f"This is a test page from Tocsin through {how}. Nothing is wrong. Acknowledge it "
        "(the link, the button, or 1 on the call) to confirm this method reaches you."
    )


def notice_json(n: NoticeRecord) -> dict[str, object]:
    """A test page as the API, `--json` and the web show it."""
    return {
        "id": n.id,
        "person": n.person,
        "method": method_json(n.method),
        "status": n.status.value,
        "attempts": n.attempts,
        "detail": n.detail,
        "requested_by": n.requested_by,
        "requested_at": iso(n.created_at),
        "delivered_at": iso(n.sent_at),
        "acknowledged_at": iso(n.acknowledged_at),
        "acknowledged_via": n.acknowledged_via,
    }


def method_test_json(t: MethodTest) -> dict[str, object]:
    return {
        "person": t.person,
        "name": t.name,
        "method": method_json(t.method),
        "last": notice_json(t.last) if t.last else None,
        "last_delivered": notice_json(t.delivered) if t.delivered else None,
    }


def method_json(method: ContactMethod) -> dict[str, str]:
    return {"kind": method.kind.value, "address": method.address, "label": method.label}
