"""Paging: escalation steps and page deliveries, one idempotent job at a time.

Inside the transaction that declares (or raises the severity of) an incident, a handler
freezes the routed policy onto it (an `escalation started` entry) and schedules the
response-target breach as a job. A first step due at once (`after: 0m`, the usual) fires in
that same transaction, so its pages are jobs committed with the declaration; a later step is a
job. Each step job checks that its escalation is still the running one and unacknowledged,
records the step, schedules one page job per person and contact method (by their notification
rules) and the next step, and marks itself done in that transaction. A page job writes its
attempt on the timeline and commits *before* it calls the notifier, so a worker that dies
mid-send leaves a marker: the job run again after the lease sees it and does not send a second
time, unless the channel carries the page's idempotency key to a receiver that drops repeats
(webhooks: the CloudEvents id), where it sends again with the same key; otherwise the timeline
says the outcome is unknown. A page's transactions are run again from a fresh read when a
sibling page or step of the same incident committed first (`retrying`).
Acknowledging or resolving stops the escalation in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from tocsin.app.delivery import Attempt, Courier
from tocsin.app.jobs import JobHandlers, JobUnits
from tocsin.app.ports import Clock, Directory, UnitOfWork
from tocsin.app.uow import Handlers, retrying
from tocsin.core.delivery import Next
from tocsin.core.escalation import Policy, TargetKind
from tocsin.core.incident import Incident
from tocsin.core.jobs import Job, JobSpec
from tocsin.core.notify import (
    ContactKind,
    ContactMethod,
    Notification,
    Purpose,
)
from tocsin.core.severity import SeverityModel
from tocsin.core.timeline import EntryKind, TimelineEntry, iso, parse_iso

log = logging.getLogger(__name__)

STEP_JOB = "escalation.step"
BREACH_JOB = "escalation.breach"
PAGE_JOB = "page.send"
RETRY_BASE = timedelta(seconds=5)
CUT_SHORT = (
    "the worker sending it stopped before recording what came back; not sent again, "
    "as it may have gone out and this channel cannot tell a repeat"
)

PolicyFor = Callable[[Sequence[str], str], Policy | None]
"""The policy for an incident's services and severity (routing), or None: nobody is paged."""


@dataclass
class Paging:
    clock: Clock
    severities: SeverityModel
    policy_for: PolicyFor
    directory: Directory
    courier: Courier
    ack_link: Callable[[int, str, str], str | None] = field(default=lambda n, who, page: None)

    def install(self, handlers: Handlers, jobs: JobHandlers, replace: bool = False) -> None:
        handlers.on(EntryKind.DECLARED, self._declared)
        handlers.on(EntryKind.SEVERITY_CHANGED, self._severity_changed)
        handlers.on(EntryKind.ACKNOWLEDGED, self._stop)
        handlers.on(EntryKind.RESOLVED, self._stop)
        jobs.register(STEP_JOB, self.run_step, replace)
        jobs.register(BREACH_JOB, self.breach, replace)
        jobs.register(PAGE_JOB, self.send_page, replace)

    # -- inside the transaction of the change ---------------------------------------------

    def _declared(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        self._start(uow, incident, entry.at, "declared")

    def _severity_changed(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        raised = self.severities.rank(entry.data["to"]) < self.severities.rank(entry.data["from"])
        if raised and incident.acknowledged_at is None and incident.status.is_open:
            self._start(uow, incident, entry.at, f"severity raised to {entry.data['to']}")

    def _stop(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        if incident.escalation is None:
            return
        what = entry.kind.value
        incident.record_escalation(
            entry.at, "stopped", f"Escalation stopped: {what} by {entry.actor}", {"by": what}
        )
        uow.incidents.save(incident)

    def _start(self, uow: UnitOfWork, incident: Incident, at: datetime, reason: str) -> None:
        policy = self.policy_for(incident.scope.services, incident.severity)
        if policy is None:
            return
        started = incident.start_escalation(at, policy.to_dict(), reason)
        base = {"incident": incident.number, "gen": started.seq, "start": iso(at)}
        payload = {**base, "policy": policy.to_dict(), "round": 0, "index": 0}
        if policy.due(at, 0, 0) <= at:  # due now: fired in this transaction, atomic with it
            self._advance(uow, incident, payload, at)
        else:
            uow.jobs.schedule(self._step_spec(incident.number, policy, payload))
        uow.incidents.save(incident)
        target = self.severities.get(incident.severity).response_target
        if target is not None:  # from the declaration, or from the raise
            spec = JobSpec(BREACH_JOB, {**base, "policy": policy.to_dict()}, at + target,
                           incident.number, f"breach:{incident.number}:{started.seq}")  # fmt: skip
            uow.jobs.schedule(spec)

    # -- jobs ---------------------------------------------------------------------------

    def run_step(self, job: Job, units: JobUnits) -> None:
        retrying(units, lambda uow: self._step(uow, job.payload, units))

    def _step(self, uow: UnitOfWork, p: dict[str, Any], units: JobUnits) -> None:
        incident = uow.incidents.get(p["incident"])
        if _stale(incident, p["gen"]):
            return
        self._advance(uow, incident, p, self.clock.now())
        uow.incidents.save(incident)
        units.finish(uow)
        uow.commit()

    def _advance(
        self, uow: UnitOfWork, incident: Incident, p: dict[str, Any], now: datetime
    ) -> None:
        """Fire (or skip) the step `p` names and schedule the one after it."""
        policy, round_, index = Policy.from_dict(p["policy"]), p["round"], p["index"]
        step = policy.steps[index]
        if step.when.holds(incident.severity, bool(incident.impact.customer_impact)):
            self._fire(uow, incident, p, now)
        else:
            text = f"Step {index + 1} skipped: it applies to {step.when.describe()}"
            incident.record_escalation(now, "skipped", text, {"round": round_, "index": index})
        following = policy.after(round_, index)
        if following is not None:
            nxt = {**p, "round": following[0], "index": following[1]}
            uow.jobs.schedule(self._step_spec(incident.number, policy, nxt))

    def _fire(self, uow: UnitOfWork, incident: Incident, p: dict[str, Any], now: datetime) -> None:
        step = Policy.from_dict(p["policy"]).steps[p["index"]]
        people: list[str] = []
        reached: list[str] = []
        for target in step.targets:
            if target.kind is TargetKind.CHANNEL:
                channel = self.directory.channel(target.name)
                if channel is not None:
                    self._page(uow, incident, p, f"#{target.name}", 0, channel, now)
                    reached.append(f"#{target.name}")
                continue
            person = (
                self.directory.on_call(target.name, now, uow)
                if target.kind is TargetKind.SCHEDULE
                else target.name
            )
            if person is None:
                reached.append(f"nobody on call in {target.name}")
            elif person not in people:
                people.append(person)
                reached.append(person)
        for person in people:
            plan = self.directory.reach(person)
            if not plan:
                reached.append(f"{person} has no contact method")
            for rank, (after, method) in enumerate(plan):
                self._page(uow, incident, p, person, rank, method, now + after)
        text = f"Step {p['index'] + 1}{_round(p)}: notifying " + ", ".join(reached or ["nobody"])
        data = {"round": p["round"], "index": p["index"], "people": people, "reached": reached}
        incident.record_escalation(now, "step", text, data)

    def _page(
        self,
        uow: UnitOfWork,
        incident: Incident,
        p: dict[str, Any],
        who: str,
        rank: int,
        method: ContactMethod,
        due: datetime,
    ) -> None:
        page = f"{incident.number}:{p['gen']}:{p['round']}:{p['index']}:{who}:{rank}"
        payload = {
            "incident": incident.number,
            "gen": p["gen"],
            "page": page,
            "who": who,
            "rank": rank,
            "attempt": 0,
            "method": {"kind": method.kind.value, "address": method.address, "label": method.label},
            "urgent": not who.startswith("#"),
        }
        uow.jobs.schedule(JobSpec(PAGE_JOB, payload, due, incident.number, f"page:{page}"))

    def breach(self, job: Job, units: JobUnits) -> None:
        """The response target passed without an acknowledgement: record the breach and fire
        the next step now."""
        p = job.payload
        with units() as uow:
            incident = uow.incidents.get(p["incident"])
            if _stale(incident, p["gen"]):
                return
            now = self.clock.now()
            policy = Policy.from_dict(p["policy"])
            start = parse_iso(p["start"]) or now
            target = self.severities.get(incident.severity).response_target
            incident.record_escalation(
                now, "breach", f"Response target {_minutes(target)} passed unacknowledged"
            )
            following = _next_due(policy, start, now)
            if following is not None:
                key = _step_key(incident.number, p["gen"], *following)
                uow.jobs.advance(key, now)
            uow.incidents.save(incident)
            units.finish(uow)
            uow.commit()

    def send_page(self, job: Job, units: JobUnits) -> None:
        p = job.payload
        method = ContactMethod(
            ContactKind(p["method"]["kind"]), p["method"]["address"], p["method"]["label"]
        )
        # The marker, committed before anything goes out.
        incident = retrying(units, lambda uow: self._mark(uow, p, method))
        if incident is None:
            return
        attempt = self.courier.attempt(method, self._note(incident, p), p["attempt"] + 1)
        retrying(units, lambda uow: self._outcome(uow, p, method, attempt, units))

    def _mark(self, uow: UnitOfWork, p: dict[str, Any], method: ContactMethod) -> Incident | None:
        """Record the attempt and return the incident to send for; None: send nothing."""
        incident = uow.incidents.get(p["incident"])
        if _stale(incident, p["gen"]):
            return None
        now = self.clock.now()
        state = _attempt_state(uow, incident.number, p)
        if state is _Attempt.DONE:
            return None
        text = f"Paging {p['who']} by {_how(method)}"
        if state is _Attempt.CUT_SHORT:  # a worker died between the marker and the outcome
            if not self.courier.repeats_safely(method.kind):
                text = f"Page to {p['who']} by {_how(method)}: unknown ({CUT_SHORT})"
                incident.record_page(now, text, _data(p, "unknown"))
                uow.incidents.save(incident)
                uow.commit()
                return None
            text += " again, with the same id (the worker sending it stopped)"
        incident.record_page(now, text, _data(p, "sending"))
        uow.incidents.save(incident)
        uow.commit()
        return incident

    def _outcome(
        self,
        uow: UnitOfWork,
        p: dict[str, Any],
        method: ContactMethod,
        attempt: Attempt,
        units: JobUnits,
    ) -> None:
        incident = uow.incidents.get(p["incident"])
        now = self.clock.now()
        decision, status = attempt.decision, attempt.status
        text = f"Page to {p['who']} by {_how(method)}: {status}"
        if attempt.detail:
            text += f" ({attempt.detail[:200]})"
        incident.record_page(now, text, _data(p, status) | {"remote_id": attempt.remote_id})
        if decision.next is Next.RETRY:
            retry = {**p, "attempt": p["attempt"] + 1}
            key = f"page:{p['page']}#{retry['attempt']}"
            due = decision.at or now + RETRY_BASE
            uow.jobs.schedule(JobSpec(PAGE_JOB, retry, due, incident.number, key))
        elif decision.next is Next.NEXT_METHOD:
            self._fall_back(uow, incident, p, now)
        uow.incidents.save(incident)
        units.finish(uow)
        uow.commit()

    def _note(self, incident: Incident, p: dict[str, Any]) -> Notification:
        return Notification(
            Purpose.PAGE if p["urgent"] else Purpose.ANNOUNCE,
            f"{incident.severity} {incident.id}: {incident.title}",
            incident.impact.summary or incident.title,
            incident.id,
            incident.severity,
            urgent=p["urgent"] and self.severities.rank(incident.severity) == 0,
            ack_url=self.ack_link(incident.number, p["who"], p["page"]) if p["urgent"] else None,
            idempotency_key=f"{p['page']}#{p['attempt']}",
        )

    def _fall_back(
        self, uow: UnitOfWork, incident: Incident, p: dict[str, Any], now: datetime
    ) -> None:
        """A method that failed for good: the person's next method, now."""
        if p["who"].startswith("#"):
            return
        plan = self.directory.reach(p["who"])
        rank = p["rank"] + 1
        if rank < len(plan):
            _, method = plan[rank]
            nxt = {
                **p,
                "rank": rank,
                "attempt": 0,
                "page": p["page"].rsplit(":", 1)[0] + f":{rank}",
            }
            nxt["method"] = {"kind": method.kind.value, "address": method.address,
                             "label": method.label}  # fmt: skip
            key = f"page:{nxt['page']}"
            if not uow.jobs.schedule(JobSpec(PAGE_JOB, nxt, now, incident.number, key)):
                uow.jobs.advance(key, now)  # already planned for later: bring it forward

    def _step_spec(self, number: int, policy: Policy, payload: dict[str, Any]) -> JobSpec:
        start = parse_iso(payload["start"])
        assert start is not None  # noqa: S101 - written by _start
        due = policy.due(start, payload["round"], payload["index"])
        key = _step_key(number, payload["gen"], payload["round"], payload["index"])
        return JobSpec(STEP_JOB, payload, due, number, key)


def _stale(incident: Incident, gen: int) -> bool:
    """This escalation is no longer the running one, or somebody answered."""
    if incident.escalation != gen or incident.acknowledged_at is not None:
        return True
    return not incident.status.is_open


class _Attempt(Enum):
    NEW = "new"
    CUT_SHORT = "cut short"  # its marker is stored, its outcome is not
    DONE = "done"  # its outcome is stored, or an earlier attempt of the page was delivered


def _attempt_state(uow: UnitOfWork, number: int, p: dict[str, Any]) -> _Attempt:
    """Where this attempt of the page stands, from the timeline."""
    ours = [
        entry.data
        for entry in uow.incidents.timeline(number)
        if entry.kind is EntryKind.PAGE and entry.data.get("page") == p["page"]
    ]
    if any(d.get("status") == "sent" for d in ours):
        return _Attempt.DONE
    this = [d.get("status") for d in ours if d.get("attempt") == p["attempt"]]
    if not this:
        return _Attempt.NEW
    return _Attempt.CUT_SHORT if set(this) == {"sending"} else _Attempt.DONE


def _data(p: dict[str, Any], status: str) -> dict[str, Any]:
    return {
        "page": p["page"],
        "attempt": p["attempt"],
        "who": p["who"],
        "method": p["method"]["kind"],
        "label": p["method"]["label"],
        "status": status,
    }


def _how(method: ContactMethod) -> str:
    return f"{method.kind.value} ({method.label})" if method.label else method.kind.value


def _round(p: dict[str, Any]) -> str:
    return f", round {p['round'] + 1}" if p["round"] else ""


def _minutes(target: timedelta | None) -> str:
    return f"{int(target.total_seconds() // 60)}m" if target else ""


def _step_key(number: int, gen: int, round_: int, index: int) -> str:
    return f"esc:{number}:{gen}:{round_}:{index}"


def _next_due(policy: Policy, start: datetime, now: datetime) -> tuple[int, int] | None:
    """The first step not yet due before `now`. A step due exactly now is the next one (it
    fires now anyway): skipping it brought the one after it forward too, so a breach at the
    minute a repeat round was due fired two rounds at once."""
    at: tuple[int, int] | None = (0, 0)
    while at is not None and policy.due(start, *at) < now:
        at = policy.after(*at)
    return at
