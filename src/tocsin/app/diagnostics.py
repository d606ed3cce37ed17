"""Diagnostics that run by themselves, and runbooks that alerts point at.

Inside the transaction that declares an incident, a handler schedules one job per runbook
whose front-matter `triggers` match the incident's services (and severity, if it says): the
job key `runbook:INC:NAME` makes it once per incident and runbook, whoever declares and
however often the handler runs. The worker's job makes one run per diagnostic step (keyed
`diag:INC:NAME:STEP`, so a retried job does not run a step twice) and runs them in order;
a step whose variables nobody supplied is recorded as skipped, with the reason.

An alert whose `runbook_url` names a runbook in the directory (its last path segment, `.md`
or not) links the incident to it: a note on the timeline, once per runbook.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from tocsin.app.jobs import JobHandlers
from tocsin.app.ports import AlertFilter, Clock, UnitOfWork
from tocsin.app.runs import REAP, RUN_JOB, SYSTEM, MissingVariables, Request, RunbookRuns
from tocsin.app.uow import Handlers
from tocsin.core.errors import TocsinError
from tocsin.core.execution import RunRecord, RunStatus
from tocsin.core.incident import Incident
from tocsin.core.jobs import Job, JobSpec
from tocsin.core.runbook import StepKind
from tocsin.core.timeline import EntryKind, TimelineEntry

log = logging.getLogger(__name__)

DIAGNOSTICS_JOB = "runbook.diagnostics"
LINKED = "Runbook linked"


class Diagnostics:
    def __init__(self, runs: RunbookRuns, clock: Clock) -> None:
        self.runs = runs
        self.clock = clock

    def install(self, handlers: Handlers, jobs: JobHandlers) -> None:
        handlers.on(EntryKind.DECLARED, self._declared)
        handlers.on(EntryKind.ALERTS, self._alerts)
        jobs.register(DIAGNOSTICS_JOB, self.run_job)
        jobs.register(RUN_JOB, lambda job, _uow: self._run_one(job))
        jobs.register(REAP.kind, lambda _job, _uow: self._reap())

    # -- inside the declaring transaction ------------------------------------------------

    def _declared(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        """Never raises for a runbook: a file that cannot be read must not stop a declare."""
        for runbook in self.runs.runbooks.readable():
            trigger = runbook.trigger
            if trigger is None or runbook.errors or not runbook.diagnostics():
                continue
            if trigger.matches(incident.scope.services, incident.severity):
                key = f"runbook:{incident.number}:{runbook.name}"
                payload = {"incident": incident.number, "runbook": runbook.name}
                uow.jobs.schedule(JobSpec(DIAGNOSTICS_JOB, payload, entry.at, incident.number, key))

    def _alerts(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        if entry.data.get("alerts") != 1:  # the first summary: the alert that declared it
            return
        names = {n.casefold(): n for n in self.runs.runbooks.names()}
        if not names:
            return
        linked = set()
        for row in uow.alerts.find(AlertFilter(incident=incident.number, limit=20)):
            url = row.annotations.get("runbook_url") or row.annotations.get("runbook")
            name = names.get(_runbook_name(url or "").casefold())
            if name and name not in linked:
                linked.add(name)
                text = f"{LINKED}: {name} (from the alert's runbook_url). Run its steps with "
                text += f"`tocsin runbook run {name} --incident {incident.id}`"
                incident.note(entry.at, "tocsin", text)
        if linked:
            uow.incidents.save(incident)

    # -- the worker ----------------------------------------------------------------------

    def run_job(self, job: Job, uow_factory: Callable[[], UnitOfWork]) -> None:
        incident, name = job.payload["incident"], job.payload["runbook"]
        try:
            runbook = self.runs.runbooks.runnable(name)
        except TocsinError as exc:  # removed or broken since: say so, do not retry
            log.warning("triggered diagnostics of %s for INC-%s: %s", name, incident, exc)
            return
        for step in runbook.steps:
            if step.kind is not StepKind.DIAGNOSTIC or not step.auto:
                continue
            run = self._prepare(incident, name, step.number)
            if run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
                self.runs.execute(run.id, "tocsin")  # running: a retried job; reaped if dead

    def _prepare(self, incident: int, name: str, number: int) -> RunRecord | None:
        key = f"diag:{incident}:{name}:{number}"
        req = Request(incident, name, SYSTEM, step=number)
        try:
            return self.runs.request_keyed(req, key)
        except MissingVariables as exc:
            return self.runs.skip(req, key, str(exc))

    def _run_one(self, job: Job) -> None:
        self.runs.execute(job.payload["run"])

    def _reap(self) -> None:
        for run in self.runs.reap():
            log.warning("run %s (%s step %s) marked failed: %s", run.id, run.runbook, run.step,
                        run.note)  # fmt: skip


def _runbook_name(url: str) -> str:
    parts = urlsplit(url)
    last = (parts.path.rstrip("/").rsplit("/", 1)[-1]) if parts.path else ""
    return re.sub(r"\.(md|markdown|html?)$", "", last, flags=re.IGNORECASE)
