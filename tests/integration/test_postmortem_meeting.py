"""The post-mortem meeting: attendees from the roles and tocsin.yaml (customer success only
with customer impact), the 48-hour rule, and the iCalendar invitation through the e-mail
notifier, as jobs, received by a real SMTP server (aiosmtpd) and parsed with `icalendar`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest

from tests.integration.test_paging import ZeroJitter
from tests.notifiers.conftest import FAST
from tests.support.fakes.smtp import SmtpServer, smtp_server
from tocsin.app.clock import ManualClock
from tocsin.app.delivery import Courier
from tocsin.app.postmortem_meeting import AttendeeRules, MeetingPlanner
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import DomainError, InvalidInput
from tocsin.core.notify import ContactKind, ContactMethod
from tocsin.core.scope import Impact
from tocsin.integrations.notifiers.email import EmailNotifier, SmtpSettings
from tocsin.store.uow import SqlUnitOfWork

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
RULES = AttendeeRules(("erin", "frank"), "paula", "dev", ("cass",))


class People:
    def on_call(self, schedule: str, at: object, uow: object = None) -> str | None:
        return None

    def reach(self, person: str) -> list[tuple[timedelta, ContactMethod]]:
        if person == "frank":  # only a phone
            return [(timedelta(0), ContactMethod(ContactKind.SMS, "+4915100000009"))]
        return [(timedelta(0), ContactMethod(ContactKind.EMAIL, f"{person}@example.com"))]

    def channel(self, name: str) -> ContactMethod | None:
        return None


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    with smtp_server(tmp_path / "tls", "tocsin", "SECRETsmtpPassword1") as server:
        yield server


def planner(tocsin: Tocsin, clock: ManualClock, smtp: SmtpServer) -> MeetingPlanner:
    settings = SmtpSettings(smtp.host, smtp.port, True, False, "tocsin", "SECRETsmtpPassword1",
                            "tocsin@example.com")  # fmt: skip
    mail = EmailNotifier(settings, FAST, clock, tls_context=smtp.client_tls)
    courier = Courier({ContactKind.EMAIL: mail}, clock, ZeroJitter())
    made = MeetingPlanner(
        lambda: SqlUnitOfWork(tocsin.engine),
        clock, RULES, People(), courier, "tocsin@example.com",
    )  # fmt: skip
    made.install(tocsin.job_runner.handlers, replace=True)
    return made


def resolved(tocsin: Tocsin, clock: ManualClock, customers: bool) -> str:
    inc = tocsin.incidents.declare(
        "ann", "API down", "P1", impact=Impact(customer_impact=customers), commander="alice"
    ).incident
    tocsin.incidents.acknowledge(inc.id, "bob")
    tocsin.incidents.resolve(inc.id, "ann", "a lock", "batches")
    return inc.id


def test_the_invitation_reaches_each_attendee_with_a_calendar_request(
    tocsin: Tocsin, clock: ManualClock, smtp: SmtpServer
) -> None:
    plan = planner(tocsin, clock, smtp)
    ref = resolved(tocsin, clock, customers=True)
    start = clock.now() + timedelta(hours=20)
    meeting = plan.schedule(ref, start, "ann", timedelta(minutes=45))
    assert [(a.handle, a.why) for a in meeting.attendees] == [
        ("alice", "commander"), ("bob", "acknowledged"), ("erin", "engineering"),
        ("frank", "engineering"), ("paula", "product owner"), ("dev", "DevOps lead"),
        ("cass", "customer success"),
    ]  # fmt: skip
    assert meeting.to_dict()["not_invited"] == ["frank"]
    while tocsin.job_runner.run_due("w"):
        pass
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == [
        f"{h}@example.com" for h in sorted(["alice", "bob", "erin", "paula", "dev", "cass"])
    ]
    message = smtp.received[0].message()
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    cal = icalendar.Calendar.from_ical(part.get_content())
    assert str(cal["METHOD"]) == "REQUEST"
    [event] = cal.walk("VEVENT")
    assert event["DTSTART"].dt == start
    assert event["DTEND"].dt == start + timedelta(minutes=45)
    assert str(event["UID"]) == meeting.uid
    assert "DTSTAMP" in event
    assert str(event["SUMMARY"]) == f"Post-mortem: {ref} API down"
    assert "tocsin postmortem show" in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == "mailto:tocsin@example.com"
    attendees = sorted(str(a) for a in event["ATTENDEE"])
    assert "mailto:cass@example.com" in attendees
    assert len(attendees) == 6
    notes = [e.text for e in tocsin.incidents.timeline(ref) if e.kind.value == "note"]
    assert notes[-1].endswith("no e-mail address for: frank")
    while tocsin.job_runner.run_due("w"):
        pass
    assert len(smtp.received) == 6  # each once


def test_customer_success_only_with_customer_impact_and_the_48_hour_rule(
    tocsin: Tocsin, clock: ManualClock, smtp: SmtpServer
) -> None:
    plan = planner(tocsin, clock, smtp)
    ref = resolved(tocsin, clock, customers=False)
    late = clock.now() + timedelta(hours=49)
    with pytest.raises(InvalidInput, match="more than 48 hours after INC-1 was resolved .* "
                       "pass --force"):  # fmt: skip
        plan.schedule(ref, late, "ann")
    meeting = plan.schedule(ref, late, "ann", force=True)
    assert "cass" not in [a.handle for a in meeting.attendees]
    open_one = tocsin.incidents.declare("ann", "Other", "P2").incident.id
    with pytest.raises(DomainError, match="INC-2 is still investigating: resolve it before"):
        plan.schedule(open_one, clock.now() + timedelta(hours=1), "ann")
