"""Communicate as the runbooks do: every rendered message (the announcement, updates,
mitigated, resolved) is posted to the channels the incident's services and severity name,
updates in the announcement's thread; and the commander is reminded to post an update at the
severity's cadence until the incident is resolved.

A `message` entry's handler schedules one post job per channel in the same transaction. A
post job writes its attempt on the timeline before it sends (so a re-run never posts twice),
then what came back, with the far side's id, which later posts use to reply in the thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tocsin.app import messages
from tocsin.app.delivery import Attempt, Courier
from tocsin.app.jobs import JobHandlers, JobUnits
from tocsin.app.ports import Clock, Directory, UnitOfWork
from tocsin.app.uow import Handlers, retrying
from tocsin.core.delivery import Next
from tocsin.core.incident import Incident
from tocsin.core.jobs import Job, JobSpec
from tocsin.core.notify import Notification, Purpose
from tocsin.core.severity import SeverityModel
from tocsin.core.timeline import EntryKind, TimelineEntry

POST_JOB = "comms.post"
REMIND_JOB = "comms.remind"
PURPOSES = {
    messages.ANNOUNCEMENT: Purpose.ANNOUNCE,
    messages.RESOLVED: Purpose.RESOLVED,
}

ChannelsFor = Callable[[Sequence[str], str], list[str]]
"""The channel names an incident's services and severity post to."""


@dataclass
class Comms:
    clock: Clock
    severities: SeverityModel
    channels_for: ChannelsFor
    directory: Directory
    courier: Courier

    def install(self, handlers: Handlers, jobs: JobHandlers, replace: bool = False) -> None:
        handlers.on(EntryKind.MESSAGE, self._message)
        handlers.on(EntryKind.DECLARED, self._remind_later)
        handlers.on(EntryKind.STATUS_UPDATE, self._remind_later)
        jobs.register(POST_JOB, self.post, replace)
        jobs.register(REMIND_JOB, self.remind, replace)

    # -- inside the transaction ---------------------------------------------------------

    def _message(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        for name in self.channels_for(incident.scope.services, incident.severity):
            payload = {"incident": incident.number, "seq": entry.seq, "channel": name}
            key = f"post:{incident.number}:{entry.seq}:{name}"
            uow.jobs.schedule(JobSpec(POST_JOB, payload, entry.at, incident.number, key))

    def _remind_later(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        every = self.severities.get(incident.severity).update_every
        if every is None:
            return
        payload = {"incident": incident.number, "after": entry.seq}
        key = f"remind:{incident.number}:{entry.seq}"
        uow.jobs.schedule(JobSpec(REMIND_JOB, payload, entry.at + every, incident.number, key))

    # -- jobs ---------------------------------------------------------------------------

    def post(self, job: Job, units: JobUnits) -> None:
        p = job.payload
        channel = self.directory.channel(p["channel"])
        if channel is None:
            return
        begun = retrying(units, lambda uow: self._begin(uow, p))
        if begun is None:
            return
        incident, message, thread = begun
        attempt = p.get("attempt", 0)
        template = str(message.data.get("template", ""))
        note = Notification(
            PURPOSES.get(template, Purpose.UPDATE),
            f"{incident.severity} {incident.id}: {incident.title}",
            message.text,
            incident.id,
            incident.severity,
            thread=thread,
            idempotency_key=f"post:{incident.number}:{p['seq']}:{p['channel']}",
            extra={"template": template},
        )
        done = self.courier.attempt(channel, note, attempt + 1)
        retrying(units, lambda uow: self._record(uow, p, done, template, units))

    def _begin(
        self, uow: UnitOfWork, p: dict[str, Any]
    ) -> tuple[Incident, TimelineEntry, str | None] | None:
        """The attempt's marker, committed before anything goes out; None: post nothing
        (this attempt ran before)."""
        incident = uow.incidents.get(p["incident"])
        timeline = uow.incidents.timeline(incident.number)
        message = next(e for e in timeline if e.seq == p["seq"])
        attempt = p.get("attempt", 0)
        if _posted(timeline, p, attempt):
            return None
        thread = _thread(timeline, p["channel"])
        data = {"post": p["seq"], "channel": p["channel"], "attempt": attempt}
        incident.record_page(self.clock.now(), f"Posting to #{p['channel']}", data | {
            "status": "sending"})  # fmt: skip
        uow.incidents.save(incident)
        uow.commit()
        return incident, message, thread

    def _record(
        self, uow: UnitOfWork, p: dict[str, Any], done: Attempt, template: str, units: JobUnits
    ) -> None:
        """What came back, from a fresh read (another change of the incident may have
        committed meanwhile), with the retry, and the job done, in one transaction."""
        attempt = p.get("attempt", 0)
        incident = uow.incidents.get(p["incident"])
        now = self.clock.now()
        text = f"Post to #{p['channel']}: {done.status}"
        if done.detail:
            text += f" ({done.detail[:200]})"
        data = {
            "post": p["seq"],
            "channel": p["channel"],
            "attempt": attempt,
            "status": done.status,
            "template": template,
            "remote_id": done.remote_id,
        }
        incident.record_page(now, text, data)
        if done.decision.next is Next.RETRY:
            retry = {**p, "attempt": attempt + 1}
            key = f"post:{incident.number}:{p['seq']}:{p['channel']}#{attempt + 1}"
            due = done.decision.at or now
            uow.jobs.schedule(JobSpec(POST_JOB, retry, due, incident.number, key))
        uow.incidents.save(incident)
        units.finish(uow)
        uow.commit()

    def remind(self, job: Job, uow_factory: Callable[[], UnitOfWork]) -> None:
        """No update since the one this reminder follows: remind the commander (or whoever
        acknowledged), and again after another cadence, until an update or resolve."""
        p = job.payload
        every = None
        with uow_factory() as uow:
            incident = uow.incidents.get(p["incident"])
            every = self.severities.get(incident.severity).update_every
            timeline = uow.incidents.timeline(incident.number)
            if not incident.status.is_open or _updated_since(timeline, p["after"]):
                return
            person = incident.roles.get("commander") or incident.acknowledged_by
            now = self.clock.now()
            text = f"Reminder: post a status update on {incident.id}"
            data = {"reminder": p["after"], "round": p.get("round", 0), "who": person}
            again = _reminded(timeline, p)  # this job ran before (its worker died after)
            if person is not None and not again:  # nobody to remind yet: the next round looks
                incident.record_page(now, f"{text} ({person})", data)
            if every is not None:
                nxt = {**p, "round": p.get("round", 0) + 1}
                key = f"remind:{incident.number}:{p['after']}:{nxt['round']}"
                uow.jobs.schedule(JobSpec(REMIND_JOB, nxt, now + every, incident.number, key))
            uow.incidents.save(incident)
            uow.commit()
        methods = self.directory.reach(person) if person else []
        if methods:
            note = Notification(Purpose.REMINDER, text, text, incident.id, incident.severity)
            self.courier.attempt(methods[0][1], note, 1)


def _posted(timeline: list[TimelineEntry], p: dict[str, object], attempt: int) -> bool:
    return any(
        e.kind is EntryKind.PAGE
        and e.data.get("post") == p["seq"]
        and e.data.get("channel") == p["channel"]
        and (e.data.get("attempt") == attempt or e.data.get("status") == "sent")
        for e in timeline
    )


def _thread(timeline: list[TimelineEntry], channel: str) -> str | None:
    """The far side's id of the announcement in this channel: updates reply under it."""
    for e in timeline:
        if (
            e.kind is EntryKind.PAGE
            and e.data.get("channel") == channel
            and e.data.get("template") == messages.ANNOUNCEMENT
            and e.data.get("status") == "sent"
        ):
            remote = e.data.get("remote_id")
            return str(remote) if remote else None
    return None


def _updated_since(timeline: list[TimelineEntry], seq: int) -> bool:
    return any(
        e.seq > seq and e.kind in (EntryKind.STATUS_UPDATE, EntryKind.RESOLVED) for e in timeline
    )


def _reminded(timeline: list[TimelineEntry], p: dict[str, Any]) -> bool:
    """This round's reminder is on the timeline already: the job runs again after its
    worker died between the COMMIT and the push. The push goes again (at least once); the
    timeline keeps one entry."""
    return any(
        e.kind is EntryKind.PAGE
        and e.data.get("reminder") == p["after"]
        and e.data.get("round", 0) == p.get("round", 0)
        for e in timeline
    )
