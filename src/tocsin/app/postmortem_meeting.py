"""The post-mortem meeting: who is invited, when, and the iCalendar invitation sent by e-mail.

Attendees (the first seed: "engineering team, product owner, DevOps lead, customer success
(if customer impact)"): the incident's roles (commander, comms, scribe) and whoever
acknowledged it, then `postmortem.attendees` of tocsin.yaml: `engineering`, `product_owner`,
`devops_lead`, and `customer_success` only when the incident's impact says customers were
affected. Each is reached at the first e-mail method of their `people:` entry; people
without one are named in the answer, not silently dropped.

The meeting must start within 48 hours of the resolve (the seed's rule) unless forced. One
`postmortem.invite` job per attendee is scheduled in the transaction that records the
meeting on the timeline (a note); each job sends one e-mail with a `text/calendar;
method=REQUEST` part, its key being the idempotency key (the Message-ID).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tocsin.app.calendar import escape, fold, stamp
from tocsin.app.delivery import Courier
from tocsin.app.jobs import JobHandlers
from tocsin.app.ports import Clock, Directory, UnitOfWork
from tocsin.app.refs import parse_ref
from tocsin.core.errors import DomainError, InvalidInput
from tocsin.core.incident import Incident
from tocsin.core.jobs import Job, JobSpec
from tocsin.core.lifecycle import Status
from tocsin.core.notify import ContactKind, ContactMethod, DeliveryStatus, Notification, Purpose
from tocsin.core.timeline import iso, utc

INVITE_JOB = "postmortem.invite"
WITHIN = timedelta(hours=48)
PRODID = "-//Tocsin//Post-mortem//EN"


@dataclass(frozen=True, slots=True)
class AttendeeRules:
    engineering: tuple[str, ...] = ()
    product_owner: str | None = None
    devops_lead: str | None = None
    customer_success: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Attendee:
    handle: str
    why: str  # commander, engineering, product owner, ...
    email: str | None


@dataclass(frozen=True, slots=True)
class Meeting:
    incident: str
    uid: str
    start: datetime
    end: datetime
    attendees: list[Attendee] = field(default_factory=list)
    ics: str = ""

    @property
    def invited(self) -> list[Attendee]:
        return [a for a in self.attendees if a.email]

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "uid": self.uid,
            "start": iso(self.start),
            "end": iso(self.end),
            "attendees": [
                {"handle": a.handle, "why": a.why, "email": a.email} for a in self.attendees
            ],
            "not_invited": [a.handle for a in self.attendees if not a.email],
        }


def attendees(incident: Incident, rules: AttendeeRules) -> list[tuple[str, str]]:
    """(handle, why), each person once, in the order above."""
    found: list[tuple[str, str]] = []
    for role in ("commander", "comms", "scribe"):
        if incident.roles.get(role):
            found.append((incident.roles[role], role))
    if incident.acknowledged_by:
        found.append((incident.acknowledged_by, "acknowledged"))
    found += [(h, "engineering") for h in rules.engineering]
    found += [
        (h, why)
        for h, why in ((rules.product_owner, "product owner"), (rules.devops_lead, "DevOps lead"))
        if h
    ]
    if incident.impact.customer_impact:
        found += [(h, "customer success") for h in rules.customer_success]
    once: dict[str, str] = {}
    for handle, why in found:
        once.setdefault(handle, why)
    return list(once.items())


def invitation(meeting: Meeting, title: str, organizer: str, now: datetime) -> str:
    """A METHOD:REQUEST calendar with one VEVENT (RFC 5545/5546)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{escape(meeting.uid)}",
        "SEQUENCE:0",
        f"DTSTAMP:{stamp(now)}",
        f"DTSTART:{stamp(meeting.start)}",
        f"DTEND:{stamp(meeting.end)}",
        f"SUMMARY:{escape(f'Post-mortem: {meeting.incident} {title}')}",
        f"DESCRIPTION:{escape(_description(meeting))}",
        f"ORGANIZER;CN=Tocsin:mailto:{organizer}",
    ]
    for a in meeting.invited:
        lines.append(
            f'ATTENDEE;CN="{a.handle}";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE'
            f":mailto:{a.email}"
        )
    lines += ["STATUS:CONFIRMED", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def _description(meeting: Meeting) -> str:
    who = ", ".join(f"{a.handle} ({a.why})" for a in meeting.attendees)
    return (
        f"Post-mortem meeting for {meeting.incident}. Read the draft first: "
        f"`tocsin postmortem show {meeting.incident}`.\nAttendees: {who}"
    )


@dataclass
class MeetingPlanner:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    rules: AttendeeRules
    directory: Directory
    courier: Courier
    organizer: str = "tocsin@localhost"

    def install(self, jobs: JobHandlers, replace: bool = False) -> None:
        jobs.register(INVITE_JOB, self.send, replace)

    def schedule(
        self,
        ref: str | int,
        at: datetime,
        actor: str,
        duration: timedelta = timedelta(hours=1),
        force: bool = False,
    ) -> Meeting:
        number = parse_ref(ref)
        start = utc(at)
        if not timedelta(minutes=5) <= duration <= timedelta(hours=8):
            raise InvalidInput(f"duration {duration} must be between 5 minutes and 8 hours")
        with self.uow() as uow:
            incident = uow.incidents.get(number)
            self._check(incident, start, force)
            now = self.clock.now()
            meeting = self._meeting(incident, start, start + duration, now)
            if not meeting.invited:
                raise DomainError(
                    f"nobody to invite to the post-mortem of {incident.id}: "
                    + _unreachable(meeting)
                )
            if incident.status is Status.RESOLVED:  # a closed incident takes no notes
                incident.note(now, actor, _note(meeting))
            for a in meeting.invited:
                payload = {
                    "incident": number,
                    "to": a.email,
                    "ics": meeting.ics,
                    "title": f"Post-mortem: {incident.id} {incident.title}",
                }
                key = f"pm-invite:{number}:{meeting.uid}:{a.handle}"
                uow.jobs.schedule(JobSpec(INVITE_JOB, payload, now, number, key))
            if incident.pending:
                uow.incidents.save(incident)
            uow.commit()
        return meeting

    def _check(self, incident: Incident, start: datetime, force: bool) -> None:
        if incident.status not in (Status.RESOLVED, Status.CLOSED) or not incident.resolved_at:
            raise DomainError(
                f"{incident.id} is still {incident.status.value}: resolve it before "
                "scheduling its post-mortem meeting"
            )
        if start < self.clock.now():
            raise InvalidInput(f"--at {iso(start)} is in the past")
        latest = incident.resolved_at + WITHIN
        if start > latest and not force:
            raise InvalidInput(
                f"--at {iso(start)} is more than 48 hours after {incident.id} was resolved "
                f"({iso(incident.resolved_at)}); the runbook holds the meeting by "
                f"{iso(latest)}. Pick an earlier time, or pass --force"
            )

    def _meeting(
        self, incident: Incident, start: datetime, end: datetime, now: datetime
    ) -> Meeting:
        people = [Attendee(h, why, self._email(h)) for h, why in attendees(incident, self.rules)]
        digest = hashlib.sha256(f"{incident.number}:{iso(start)}".encode()).hexdigest()[:16]
        uid = f"postmortem-{incident.number}-{digest}@tocsin"
        draft = Meeting(incident.id, uid, start, end, people)
        ics = invitation(draft, incident.title, self.organizer, now)
        return Meeting(incident.id, uid, start, end, people, ics)

    def _email(self, handle: str) -> str | None:
        for _, method in self.directory.reach(handle):
            if method.kind is ContactKind.EMAIL:
                return method.address
        return None

    def send(self, job: Job, uow_factory: Callable[[], UnitOfWork]) -> None:
        """One invitation; a failure is raised so the runner retries it (the key makes the
        Message-ID, so a retry is the same message)."""
        p = job.payload
        note = Notification(
            Purpose.UPDATE,
            p["title"],
            _invite_text(p["title"]),
            f"INC-{p['incident']}",
            idempotency_key=job.key or "",
            extra={"ics": p["ics"]},
        )
        done = self.courier.attempt(ContactMethod(ContactKind.EMAIL, p["to"]), note, 1)
        if done.delivery is None or done.delivery.status is not DeliveryStatus.SENT:
            detail = done.delivery.detail if done.delivery else done.decision.reason
            raise RuntimeError(f"invitation to {p['to']} not sent: {detail}")


def _invite_text(title: str) -> str:
    return f"{title}\n\nYou are invited to the post-mortem meeting; the invitation is attached."


def _note(meeting: Meeting) -> str:
    who = ", ".join(a.handle for a in meeting.invited)
    text = f"Post-mortem meeting {iso(meeting.start)} – {iso(meeting.end)}; invited: {who}"
    missing = [a.handle for a in meeting.attendees if not a.email]
    return text + (f"; no e-mail address for: {', '.join(missing)}" if missing else "")


def _unreachable(meeting: Meeting) -> str:
    names = ", ".join(a.handle for a in meeting.attendees) or "no attendees found"
    return f"{names} (give them an e-mail contact method under people: in tocsin.yaml)"
