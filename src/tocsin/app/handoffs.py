"""Hand-off notifications: when a shift changes hands, the incoming person (and, when the
schedule asks, the outgoing one) is told through their methods, exactly once per hand-off.

A recurring chain (`handoff.plan`, every PLAN_EVERY, keyed by slot like the health checks)
looks at the hand-offs of the coming hour plus each schedule's lead time, overrides and
holidays included (`OncallService.handoffs`), and schedules one `handoff.notify` job per
hand-off and person, keyed by schedule, hand-off instant and person, so planning the same
hand-off again stores nothing. When the notify job runs, it asks again who hands to whom at
that instant: an override added since then that changed the hand-off makes it stand down,
and the chain plans the new one. It then writes one notice per method (`notices`, keyed the
same way plus the method) and each is sent once by `notice.send` (app/notices.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.app.jobs import JobHandlers, JobUnits, Recurring
from tocsin.app.notice_records import NoticePurpose, NoticeRecord, NoticeStatus
from tocsin.app.notices import send_spec
from tocsin.app.oncall import OncallService
from tocsin.app.ports import Clock, UnitOfWork
from tocsin.core.jobs import Job, JobSpec
from tocsin.core.notify import ContactMethod
from tocsin.core.oncall import zone_of
from tocsin.core.timeline import parse_iso

log = logging.getLogger(__name__)

PLAN_JOB = "handoff.plan"
NOTIFY_JOB = "handoff.notify"
PLAN_EVERY = timedelta(minutes=5)  # an override's new hand-off is planned within this
PLAN_AHEAD = timedelta(hours=1)  # beyond each schedule's lead time
TOO_LATE = timedelta(hours=1)  # a notice this long after its hand-off is not sent
INCOMING, OUTGOING = "incoming", "outgoing"
CHAIN = Recurring(PLAN_JOB, PLAN_JOB, PLAN_EVERY)


@dataclass(frozen=True, slots=True)
class HandoffRule:
    """`notify_handoff` of one schedule: tell them `lead` ahead; the outgoing person too?"""

    lead: timedelta = timedelta(0)
    outgoing: bool = False


class HandoffNotices:
    def __init__(
        self,
        oncall: OncallService,
        rules: Mapping[str, HandoffRule],
        clock: Clock,
        uow: Callable[[], UnitOfWork],
    ) -> None:
        self._oncall = oncall
        self._rules = dict(rules)
        self._clock = clock
        self._uow = uow

    def recurring(self) -> list[Recurring]:
        """The planning chain, when any schedule has `notify_handoff`."""
        return [CHAIN] if self._rules else []

    def install(self, jobs: JobHandlers, replace: bool = False) -> None:
        jobs.register(PLAN_JOB, self.plan, replace)
        jobs.register(NOTIFY_JOB, self.notify, replace)

    # -- the chain ------------------------------------------------------------------------

    def plan(self, job: Job, units: JobUnits) -> None:
        """Schedule the next slot first (a failure here never ends the chain), then one
        notify job per coming hand-off and person; done in the same transaction."""
        now = self._clock.now()
        with units() as uow:
            uow.jobs.schedule(CHAIN.after(now))
            for spec in self.coming(now):
                uow.jobs.schedule(spec)
            units.finish(uow)
            uow.commit()

    def coming(self, now: datetime) -> list[JobSpec]:
        if not self._rules:
            return []
        lead = max(rule.lead for rule in self._rules.values())
        found = []
        for h in self._oncall.handoffs(now, now + lead + PLAN_AHEAD):
            rule = self._rules.get(h.schedule)
            if rule is None or h.at <= now or h.at - rule.lead > now + PLAN_AHEAD:
                continue
            people = [(h.after, INCOMING)] + ([(h.before, OUTGOING)] if rule.outgoing else [])
            for person, role in people:
                if person is not None:
                    payload = {"schedule": h.schedule, "at": h.at.isoformat(), "person": person,
                               "role": role}  # fmt: skip
                    due = max(h.at - rule.lead, now)
                    found.append(JobSpec(NOTIFY_JOB, payload, due, key=_key(payload)))
        return found

    # -- one hand-off, one person ---------------------------------------------------------

    def notify(self, job: Job, units: JobUnits) -> None:
        p = job.payload
        at = parse_iso(p["at"])
        assert at is not None  # noqa: S101 - written by coming()
        if p["schedule"] not in self._rules or not self._still(p, at):
            log.info("hand-off %s no longer happens as planned; not notifying", _key(p))
            return
        if self._clock.now() > at + TOO_LATE:  # the workers were down: old news, not sent
            log.warning("hand-off %s passed %s ago; not notifying", _key(p), TOO_LATE)
            return
        title, text = self._words(p, at)
        now = self._clock.now()
        with units() as uow:
            for index, method in enumerate(self._methods(p["person"])):
                draft = NoticeRecord(
                    0, NoticePurpose.HANDOFF, f"{_key(p)}:{index}", p["person"], method,
                    p["schedule"], title, text, NoticeStatus.QUEUED, 0, "", None, "tocsin", now,
                )  # fmt: skip
                new_id = uow.notices.add(draft)
                if new_id is not None:  # None: this job ran before; its notices exist
                    uow.jobs.schedule(send_spec(new_id, 0, now))
            units.finish(uow)
            uow.commit()

    def _still(self, p: dict[str, str], at: datetime) -> bool:
        """Does the schedule still hand over to (or from) this person at that instant?"""
        for h in self._oncall.handoffs(at, at + timedelta(seconds=1)):
            if h.schedule == p["schedule"] and h.at == at:
                return (h.after if p["role"] == INCOMING else h.before) == p["person"]
        return False

    def _methods(self, person: str) -> list[ContactMethod]:
        """The methods the person's first notification rule names (without rules, all)."""
        plan = self._oncall.reach(person)
        first = plan[0][0] if plan else timedelta(0)
        return [method for after, method in plan if after == first]

    def _words(self, p: dict[str, str], at: datetime) -> tuple[str, str]:
        schedule = self._oncall.schedule(p["schedule"])
        zone = zone_of(schedule.zone)

        def wall(moment: datetime | None) -> str:
            if moment is None:
                return "further notice"
            return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")

        names = self._oncall.roster
        if p["role"] == OUTGOING:
            after = self._oncall.on_call(p["schedule"], at)
            nxt = names.name_of(after) or "nobody"
            return (
                f"Your shift on {p['schedule']} ends",
                f"Your on-call shift for {p['schedule']} ends at {wall(at)}; {nxt} takes over.",
            )
        [who] = self._oncall.who(p["schedule"], at)
        return (
            f"You are on call for {p['schedule']}",
            f"You are on call for {p['schedule']} from {wall(at)} to {wall(who.current.until)} "
            f"({schedule.zone}).",
        )


def _key(p: Mapping[str, str]) -> str:
    moment = parse_iso(p["at"])
    assert moment is not None  # noqa: S101 - written by coming()
    return f"handoff:{p['schedule']}:{int(moment.timestamp())}:{p['person']}:{p['role']}"
