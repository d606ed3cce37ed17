"""Reminders that a post-mortem is due: jobs of the jobs table, scheduled at resolve.

When an incident is resolved with a post-mortem due (its severity requires one), the
`resolved` entry's handler schedules, in the same transaction, one `postmortem.remind` job
`before` the due date (default 24 h; none if that moment has already passed) and
`max_after` jobs from the due date on, `every` apart (default 3, every 24 h). Each job has
its own key (`pm-remind:INC:SEQ:WHICH`, SEQ the `resolved` entry), so scheduling twice does
nothing. A job does nothing when the post-mortem was published, or when the incident was
reopened since that resolve (a later resolve schedules its own). Otherwise it records a
`page` entry naming the reminder (in its own transaction, before sending: a re-run finds it
and sends nothing) and sends to the author, else the commander, else whoever acknowledged,
through their first notification method, with the key as the idempotency key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.app.delivery import Courier
from tocsin.app.jobs import JobHandlers
from tocsin.app.ports import Clock, Directory, UnitOfWork
from tocsin.app.uow import Handlers
from tocsin.core.incident import Incident
from tocsin.core.jobs import Job, JobSpec
from tocsin.core.lifecycle import Status
from tocsin.core.notify import Notification, Purpose
from tocsin.core.timeline import EntryKind, TimelineEntry

REMIND_JOB = "postmortem.remind"


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    before: timedelta | None = timedelta(hours=24)
    every: timedelta = timedelta(hours=24)
    max_after: int = 3


def reminder_times(
    resolved: datetime, due: datetime, policy: ReminderPolicy
) -> list[tuple[str, datetime]]:
    """(which, when) for each reminder: `before`, then `after1` … `afterN`."""
    out = []
    if policy.before is not None and due - policy.before > resolved:
        out.append(("before", due - policy.before))
    out += [(f"after{n + 1}", due + n * policy.every) for n in range(policy.max_after)]
    return out


@dataclass
class PostmortemReminders:
    clock: Clock
    policy: ReminderPolicy
    directory: Directory
    courier: Courier

    def install(self, handlers: Handlers, jobs: JobHandlers, replace: bool = False) -> None:
        handlers.on(EntryKind.RESOLVED, self._schedule)
        jobs.register(REMIND_JOB, self.remind, replace)

    def _schedule(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        due = incident.postmortem_due
        if due is None:
            return
        for which, when in reminder_times(entry.at, due, self.policy):
            key = f"pm-remind:{incident.number}:{entry.seq}:{which}"
            payload = {"incident": incident.number, "resolved": entry.seq, "which": which}
            uow.jobs.schedule(JobSpec(REMIND_JOB, payload, when, incident.number, key))

    def remind(self, job: Job, uow_factory: Callable[[], UnitOfWork]) -> None:
        p = job.payload
        key = f"pm-remind:{p['incident']}:{p['resolved']}:{p['which']}"
        with uow_factory() as uow:
            incident = uow.incidents.get(p["incident"])
            timeline = uow.incidents.timeline(incident.number)
            summary = uow.postmortems.summary(incident.number)
            if not _still_due(
                incident,
                timeline,
                p["resolved"],
                summary is not None and summary.published_version is not None,
            ):
                return
            if any(
                e.kind is EntryKind.PAGE and e.data.get("postmortem_reminder") == key
                for e in timeline
            ):
                return  # sent (or tried) by an earlier run of this job
            person = (
                (summary.author if summary else None)
                or incident.roles.get("commander")
                or incident.acknowledged_by
            )
            due = incident.postmortem_due
            assert due is not None  # noqa: S101 - _still_due checked it
            late = p["which"] != "before"
            text = (
                f"The post-mortem of {incident.id} ({incident.title}) is "
                f"{'overdue' if late else 'due'}: due {due:%Y-%m-%d %H:%M} UTC. "
                f"`tocsin postmortem draft {incident.id}`, then review and publish."
            )
            data = {"postmortem_reminder": key, "who": person}
            incident.record_page(
                self.clock.now(), f"Post-mortem reminder ({p['which']}) to {person}", data
            )
            uow.incidents.save(incident)
            uow.commit()
        methods = self.directory.reach(person) if person else []
        if methods:
            title = f"Post-mortem {'overdue' if late else 'due'}: {incident.id}"
            note = Notification(
                Purpose.REMINDER, title, text, incident.id, incident.severity, idempotency_key=key
            )
            self.courier.attempt(methods[0][1], note, 1)


def _still_due(
    incident: Incident, timeline: list[TimelineEntry], resolved_seq: int, published: bool
) -> bool:
    """Not published, and the resolve that scheduled it is still the last word."""
    if published or incident.postmortem_due is None:
        return False
    if incident.status not in (Status.RESOLVED, Status.CLOSED):
        return False
    last = max((e.seq for e in timeline if e.kind is EntryKind.RESOLVED), default=None)
    return last == resolved_seq
