"""Running runbook steps for an incident: asked for, checked, approved, run once, recorded.

`request` checks everything before anything runs: the runbook parses, the step exists and is
runnable, every variable has a value (the incident's, a `--set`, a configured value or
secret), the caller may run it (the responder role) and confirmed a mitigation. A refusal is
written to the audit log before it is raised. A mitigation on an incident whose severity needs
a second person waits for `approve`. Each accepted step is a `runbook_runs` row; `execute`
marks it running (committed, so a second worker does not run it again), runs the command
outside any transaction, then records the outcome on the incident's timeline, in the row and
in the audit log, in one transaction.

A run whose process died mid-command (a worker killed, a host lost) would stay `running`.
`reap` (at worker start, every minute, and when a retried job meets the run) marks it
failed, on the timeline and in the audit log: "worker … died …; the command may have partly
run — check before rerunning". Dead means: its process, on this host, is gone; on another
host, it is past its timeout plus `REAP_GRACE` (the runner kills a step at its timeout, so
a live worker has finished by then). A mitigation is never run again by itself. A
diagnostic (read-only) is run once more, as a new run keyed `again:ID`; a second death is
only recorded.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from tocsin.app.audit import append
from tocsin.app.jobs import Recurring
from tocsin.app.ports import ActionRunner, Clock, CommandRunner, ProcessTable, UnitOfWork
from tocsin.app.refs import parse_ref
from tocsin.app.runbooks import Runbooks, RunSettings
from tocsin.core import audit
from tocsin.core.access import AccessRole, Forbidden, Principal
from tocsin.core.actions import action_params, action_spec, fill
from tocsin.core.errors import DomainError, IllegalTransition, InvalidInput, NotFound, TocsinError
from tocsin.core.execution import Execution, RunRecord, RunStatus
from tocsin.core.incident import Incident
from tocsin.core.jobs import JobSpec
from tocsin.core.lifecycle import allowed_actions, is_allowed
from tocsin.core.redact import Redactor
from tocsin.core.runbook import INCIDENT_VARIABLES, Runbook, Step, StepKind
from tocsin.core.timeline import iso

RUN_JOB = "runbook.run"
REAP = Recurring("runbook.reap", "runbook.reap", timedelta(minutes=1))
REAP_GRACE = timedelta(minutes=2)
AGAIN = "again:"  # the key of a diagnostic's second run after its worker died
SYSTEM = Principal("tocsin", AccessRole.RESPONDER, "local")


class ConfirmationRequired(DomainError):
    """A mitigation asked for without an explicit yes (refused, and audited)."""


class MissingVariables(InvalidInput):
    pass


@dataclass(frozen=True, slots=True)
class Plan:
    """What would run (a dry run), or what was accepted."""

    runbook: str
    step: Step
    command: str
    variables: dict[str, str]  # name -> where from ("--set", "incident", "value", "secret")
    timeout_s: float
    needs_approval: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "runbook": self.runbook,
            "step": self.step.number,
            "title": self.step.title,
            "kind": self.step.kind.value,
            "reason": self.step.reason,
            "command": self.command,
            "env": self.variables,
            "timeout_s": self.timeout_s,
            "needs_approval": self.needs_approval,
        }


@dataclass
class Request:
    ref: str | int
    runbook: str
    principal: Principal
    step: int | None = None
    diagnostics: bool = False
    confirm: bool = False
    dry_run: bool = False
    values: Mapping[str, str] = field(default_factory=dict)
    schedule: bool = False  # run them as jobs (the API) rather than in this process (the CLI)


class RunbookRuns:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        runbooks: Runbooks,
        runner: CommandRunner,
        environ: Mapping[str, str],
        reader: Callable[[], UnitOfWork] | None = None,
        actions: Callable[[], ActionRunner] | None = None,
        processes: ProcessTable | None = None,
    ) -> None:
        self._actions = actions
        self._processes = processes
        self._uow = uow
        self._read = reader or uow
        self._clock = clock
        self.runbooks = runbooks
        self._runner = runner
        self._environ = environ
        self._redact = Redactor.build(runbooks.settings.redact)

    @property
    def settings(self) -> RunSettings:
        return self.runbooks.settings

    # -- asking ----------------------------------------------------------------------------

    def request(self, req: Request) -> list[Plan] | list[RunRecord]:
        """Dry run: the plans. Otherwise the runs made (queued, or awaiting approval)."""
        if not req.principal.role.allows(AccessRole.RESPONDER):
            step = req.step if req.step is not None else "diagnostics"
            detail = {"runbook": req.runbook, "step": step,
                      "reason": f"{req.principal.role.value} role"}  # fmt: skip
            with self._uow() as uow:
                self._audit(uow, req.principal.name, audit.Action.REFUSED, parse_ref(req.ref),
                            detail)  # fmt: skip
                uow.commit()
            raise Forbidden(req.principal, AccessRole.RESPONDER)
        runbook = self.runbooks.runnable(req.runbook)
        with self._read() as uow:
            incident = uow.incidents.get(parse_ref(req.ref))
        steps = self._steps(runbook, req)
        plans = [self._plan(runbook, step, incident, req.values) for step in steps]
        missing = {p.step.number: _missing(p) for p in plans if _missing(p)}
        if missing:
            raise MissingVariables(_missing_text(runbook.name, missing))
        if req.dry_run:
            return plans
        if not is_allowed(incident.status, "command"):
            raise IllegalTransition(incident.id, incident.status.value, "run a runbook step",
                                    allowed_actions(incident.status))  # fmt: skip
        self._check(req, runbook, incident, steps)
        return self._accept(req, incident, plans)

    def preview(self, req: Request) -> list[Plan]:
        """The plans, missing variables included (marked "missing"): what a confirmation
        page shows before asking for them. Runs and records nothing."""
        runbook = self.runbooks.runnable(req.runbook)
        with self._read() as uow:
            incident = uow.incidents.get(parse_ref(req.ref))
        return [self._plan(runbook, s, incident, req.values) for s in self._steps(runbook, req)]

    def _steps(self, runbook: Runbook, req: Request) -> list[Step]:
        if req.diagnostics == (req.step is not None):
            raise InvalidInput("choose one: --step N (one step) or --diagnostics (every "
                               "diagnostic step)")  # fmt: skip
        if req.diagnostics:
            found = list(runbook.diagnostics())
            if not found:
                raise InvalidInput(f"runbook {runbook.name} has no diagnostic steps")
            return found
        assert req.step is not None  # noqa: S101 - checked above
        step = runbook.step(req.step)
        runnable = ", ".join(str(s.number) for s in runbook.steps if s.runnable) or "none"
        if step is None:
            raise InvalidInput(f"runbook {runbook.name} has no step {req.step}; "
                               f"runnable steps: {runnable}")  # fmt: skip
        if not step.runnable:
            raise InvalidInput(
                f"step {step.number} of {runbook.name} is a checklist item ({step.title!r}): "
                f"tick it by hand; runnable steps: {runnable}"
            )
        return [step]

    def _plan(
        self, runbook: Runbook, step: Step, incident: Incident, given: Mapping[str, str]
    ) -> Plan:
        sources: dict[str, str] = {}
        for name in step.variables:
            sources[name] = self._source(name, incident, given)
        timeout = step.timeout or self.settings.timeout
        needs = (
            step.kind is StepKind.MITIGATION
            and incident.severity.casefold() in self.settings.approval
        )
        return Plan(runbook.name, step, step.command, sources, timeout.total_seconds(), needs)

    def _source(self, name: str, incident: Incident, given: Mapping[str, str]) -> str:
        if name in given:
            return "--set"
        if name in INCIDENT_VARIABLES and incident_values(incident).get(name):
            return "incident"
        if name in self.settings.values:
            return "value"
        env_name = self.settings.secrets.get(name)
        if env_name is not None:
            return "secret" if self._environ.get(env_name) else f"missing: ${env_name} is unset"
        if name in INCIDENT_VARIABLES:
            return f"missing: {incident.id} has no {name.lower()}"
        return "missing"

    def _check(
        self, req: Request, runbook: Runbook, incident: Incident, steps: Sequence[Step]
    ) -> None:
        mitigations = [s for s in steps if s.kind is StepKind.MITIGATION]
        first = mitigations[0] if mitigations else steps[0]
        shell = [s for s in steps if not s.action]
        if shell and not self.settings.shell:
            self._refuse(req, incident, runbook.name, shell[0], "runbooks.shell is false")
            raise DomainError("runbooks.shell is false in tocsin.yaml: shell steps do not run "
                              "on this Tocsin (typed actions only)")  # fmt: skip
        if mitigations and not req.confirm:
            self._refuse(req, incident, runbook.name, first, "no confirmation")
            raise ConfirmationRequired(
                f"step {first.number} of {runbook.name} is a mitigation ({first.reason}): "
                "confirm it (--yes, or answer the prompt) to run it"
            )

    def _refuse(self, req: Request, incident: Incident, runbook: str, step: Step, why: str) -> None:
        detail = {"runbook": runbook, "step": step.number, "kind": step.kind.value,
                  "command": self._redact(step.command), "reason": why}  # fmt: skip
        with self._uow() as uow:
            self._audit(uow, req.principal.name, audit.Action.REFUSED, incident.number, detail)
            uow.commit()

    def _accept(self, req: Request, incident: Incident, plans: list[Plan]) -> list[RunRecord]:
        now = self._clock.now()
        values = incident_values(incident)
        made = []
        with self._uow() as uow:
            for plan in plans:
                run = self._record(plan, incident, req, values, now)
                run.id = uow.runs.add(run) or 0
                if run.status is RunStatus.AWAITING_APPROVAL:
                    detail = {"run": run.id, "runbook": plan.runbook, "step": plan.step.number,
                              "command": self._redact(plan.command)}  # fmt: skip
                    self._audit(uow, run.requested_by, audit.Action.APPROVAL_REQUESTED,
                                incident.number, detail)  # fmt: skip
                elif req.schedule:
                    self.schedule(uow, run, now)
                made.append(run)
            uow.commit()
        return made

    def _record(
        self, plan: Plan, incident: Incident, req: Request, values: dict[str, str], now: datetime
    ) -> RunRecord:
        given = {}
        secrets = []
        for name, source in plan.variables.items():
            if source == "secret":
                secrets.append(name)
            else:
                given[name] = {"--set": req.values, "incident": values}.get(
                    source, self.settings.values
                )[name]
        status = RunStatus.AWAITING_APPROVAL if plan.needs_approval else RunStatus.QUEUED
        return RunRecord(
            incident.number, plan.runbook, plan.step.number, plan.step.title,
            plan.step.kind.value, plan.command, req.principal.name, now, status,
            plan.timeout_s, given, secrets, action=plan.step.action,
        )  # fmt: skip

    def request_keyed(self, req: Request, key: str) -> RunRecord | None:
        """One diagnostic step, once per key (triggered diagnostics): the run, the one made
        before under that key, or None when the incident no longer takes commands."""
        runbook = self.runbooks.runnable(req.runbook)
        with self._read() as uow:
            incident = uow.incidents.get(parse_ref(req.ref))
            existing = uow.runs.by_key(key)
        if existing is not None:
            return existing
        if not is_allowed(incident.status, "command"):
            return None
        (step,) = self._steps(runbook, req)
        plan = self._plan(runbook, step, incident, req.values)
        if _missing(plan):
            raise MissingVariables(_missing_text(runbook.name, {step.number: _missing(plan)}))
        now = self._clock.now()
        run = self._record(plan, incident, req, incident_values(incident), now)
        run.key, run.status = key, RunStatus.QUEUED
        with self._uow() as uow:
            made = uow.runs.add(run)
            if made is None:
                return uow.runs.by_key(key)
            run.id = made
            uow.commit()
        return run

    def skip(self, req: Request, key: str, why: str) -> RunRecord | None:
        """Record a step that could not run (a variable nobody supplied), once per key."""
        runbook = self.runbooks.runnable(req.runbook)
        step = runbook.step(req.step or 0)
        assert step is not None  # noqa: S101 - the caller named one of its steps
        now = self._clock.now()
        run = RunRecord(
            parse_ref(req.ref), runbook.name, step.number, step.title, step.kind.value,
            step.command, req.principal.name, now, RunStatus.SKIPPED, 0.0, key=key,
            finished_at=now, note=why,
        )  # fmt: skip
        with self._uow() as uow:
            made = uow.runs.add(run)
            if made is None:
                return None
            run.id = made
            self._timeline(uow, run, req.principal.name, self._redact)
            uow.commit()
        return run

    def schedule(self, uow: UnitOfWork, run: RunRecord, now: datetime) -> None:
        uow.jobs.schedule(JobSpec(RUN_JOB, {"run": run.id}, now, run.incident, f"run:{run.id}"))

    # -- approving -------------------------------------------------------------------------

    def approve(self, run_id: int, principal: Principal, schedule: bool = False) -> RunRecord:
        if not principal.role.allows(AccessRole.RESPONDER):
            detail = {"run": run_id, "reason": f"{principal.role.value} role"}
            with self._uow() as uow:
                self._audit(uow, principal.name, audit.Action.REFUSED, None, detail)
                uow.commit()
            raise Forbidden(principal, AccessRole.RESPONDER)
        with self._uow() as uow:
            run = uow.runs.get(run_id)
            if run is None:
                raise NotFound(f"no runbook run {run_id}")
            if run.status is not RunStatus.AWAITING_APPROVAL:
                raise DomainError(f"run {run_id} is {run.status.value}: only a run awaiting "
                                  "approval can be approved")  # fmt: skip
            why = None
            if _person(principal.name) == _person(run.requested_by):
                why = "the requester cannot approve their own run"
            if why is None:
                now = self._clock.now()
                run.status, run.approved_by, run.approved_at = (
                    RunStatus.QUEUED, principal.name, now,
                )  # fmt: skip
                uow.runs.save(run)
                detail = {"run": run.id, "runbook": run.runbook, "step": run.step,
                          "requested_by": run.requested_by}  # fmt: skip
                self._audit(uow, principal.name, audit.Action.APPROVED, run.incident, detail)
                if schedule:
                    self.schedule(uow, run, now)
                uow.commit()
                return run
            detail = {"run": run.id, "runbook": run.runbook, "step": run.step, "reason": why}
            self._audit(uow, principal.name, audit.Action.REFUSED, run.incident, detail)
            uow.commit()
        raise DomainError(f"run {run_id} was asked for by {run.requested_by}: a second person "
                          "must approve it")  # fmt: skip

    # -- running ---------------------------------------------------------------------------

    def execute(self, run_id: int, actor: str | None = None) -> RunRecord:
        """Run a queued run once; any other state is returned as it is (a second worker,
        a retried job)."""
        with self._read() as uow:
            found = uow.runs.get(run_id)
        if found is None:
            raise NotFound(f"no runbook run {run_id}")
        if found.status is RunStatus.RUNNING:  # a retried job: did its worker die?
            return self._reap(found) or found
        with self._uow() as uow:
            run = uow.runs.get(run_id)
            if run is None:
                raise NotFound(f"no runbook run {run_id}")
            if run.status is not RunStatus.QUEUED:
                return run
            run.status, run.started_at = RunStatus.RUNNING, self._clock.now()
            run.runner = self._processes.me() if self._processes else ""
            if not uow.runs.save_if(run, RunStatus.QUEUED):
                return uow.runs.get(run_id) or run  # another worker took it first
            uow.commit()
        env = dict(run.values)
        unset = []
        for name in run.secrets:
            value = self._environ.get(self.settings.secrets.get(name, ""), "")
            env[name] = value
            if not value:
                unset.append(name)
        if unset:
            result = Execution(None, "secret(s) no longer set: " + ", ".join(unset), 0)
        elif run.action:
            result = self._typed(run, env)
        elif not self.settings.shell:
            result = Execution(None, "runbooks.shell is false", 0)
        else:
            result = self._runner.run(run.command, env, run.timeout_s)
        secrets = [env[n] for n in run.secrets if env.get(n)]
        return self._finish(run.id, result, self._redact.with_secrets(secrets), actor)

    def _typed(self, run: RunRecord, env: dict[str, str]) -> Execution:
        """A ```tocsin step: its parameters with the variables filled in, run by the action
        runner; the summary, the state before and after, and what it read as the output."""
        started = time.monotonic()
        try:
            name, raw = action_params(run.command)
            spec = action_spec(name, self.settings.actions)
            params = spec.parse({k: fill(v, env) for k, v in raw.items()})
            if self._actions is None:
                raise DomainError("no action runner is configured")
            done = self._actions().run(name, params, False)
        except TocsinError as exc:
            return Execution(None, str(exc), int((time.monotonic() - started) * 1000))
        lines = [done.summary]
        if done.before or done.after:
            lines.append(f"before: {json.dumps(done.before)}\nafter: {json.dumps(done.after)}")
        if done.output:
            lines.append(done.output)
        output = "\n".join(lines) + "\n"
        return Execution(0 if done.ok else 1, output, int((time.monotonic() - started) * 1000))

    def _finish(
        self, run_id: int, result: Execution, redact: Redactor, actor: str | None
    ) -> RunRecord:
        with self._uow() as uow:
            run = uow.runs.get(run_id)
            assert run is not None  # noqa: S101 - it was there a moment ago
            run.finished_at = self._clock.now()
            run.exit_code, run.duration_ms = result.exit_code, result.duration_ms
            run.output = redact(result.output)
            run.output_bytes = result.output_bytes or len(result.output.encode())
            run.status = (
                RunStatus.TIMED_OUT if result.timed_out
                else RunStatus.SUCCEEDED if result.exit_code == 0
                else RunStatus.FAILED
            )  # fmt: skip
            if result.exit_code is None and not result.timed_out:
                run.note = run.output
            uow.runs.save(run)
            who = actor or run.requested_by
            self._timeline(uow, run, who, redact)
            detail = {
                "run": run.id, "runbook": run.runbook, "step": run.step, "kind": run.kind,
                "command": redact(run.command), "status": run.status.value,
                "exit_code": run.exit_code, "duration_ms": run.duration_ms,
                "output_sha256": hashlib.sha256(run.output.encode()).hexdigest(),
                "approved_by": run.approved_by, "variables": sorted([*run.values, *run.secrets]),
            }  # fmt: skip
            self._audit(uow, who, audit.Action.EXECUTED, run.incident, detail)
            uow.commit()
        return run

    # -- runs whose process died ------------------------------------------------------------

    def reap(self) -> list[RunRecord]:
        """Mark failed every `running` run whose process is gone (see the module's note)."""
        with self._read() as uow:
            running = uow.runs.running()
        return [done for run in running if (done := self._reap(run)) is not None]

    def _reap(self, run: RunRecord) -> RunRecord | None:
        now = self._clock.now()
        alive = self._processes.alive(run.runner) if self._processes and run.runner else None
        due = (run.started_at or run.requested_at) + timedelta(seconds=run.timeout_s)
        if alive or (alive is None and now < due + REAP_GRACE):
            return None
        why = (f"worker {run.runner or '(unknown)'} died at or before {iso(now)}; the command "
               "may have partly run — check before rerunning")  # fmt: skip
        run.status, run.finished_at, run.note = RunStatus.FAILED, now, why
        with self._uow() as uow:
            if not uow.runs.save_if(run, RunStatus.RUNNING):
                return None  # finished, or reaped by another worker, meanwhile
            again = None
            if run.kind == StepKind.DIAGNOSTIC.value and not (run.key or "").startswith(AGAIN):
                again = self._again(uow, run, now)
            outcome = why + (
                f"; run once more as run {again.id}" if again
                else "; not run again (a mitigation never is by itself)"
                if run.kind == StepKind.MITIGATION.value else "; not run again"
            )  # fmt: skip
            self._timeline(uow, run, "tocsin", self._redact, outcome)
            detail = {"run": run.id, "runbook": run.runbook, "step": run.step,
                      "kind": run.kind, "runner": run.runner, "started_at": iso(run.started_at),
                      "command": self._redact(run.command),
                      "again": again.id if again else None}  # fmt: skip
            self._audit(uow, "tocsin", audit.Action.WORKER_DIED, run.incident, detail)
            uow.commit()
        return run

    def _again(self, uow: UnitOfWork, run: RunRecord, now: datetime) -> RunRecord | None:
        copy = replace(run, id=0, status=RunStatus.QUEUED, key=f"{AGAIN}{run.id}",
                       requested_at=now, started_at=None, finished_at=None, runner="",
                       note="", output="", output_bytes=0)  # fmt: skip
        made = uow.runs.add(copy)
        if made is None:
            return None
        copy.id = made
        self.schedule(uow, copy, now)
        return copy

    def _timeline(
        self,
        uow: UnitOfWork,
        run: RunRecord,
        actor: str,
        redact: Redactor,
        outcome: str | None = None,
    ) -> None:
        incident = uow.incidents.get(run.incident)
        if not is_allowed(incident.status, "command"):
            return  # closed meanwhile: the run and the audit log keep it
        shown, cut = truncate(run.output, self.settings.output_limit)
        outcome = outcome or (
            f"skipped: {run.note}" if run.status is RunStatus.SKIPPED
            else f"timed out after {run.timeout_s:g} s" if run.status is RunStatus.TIMED_OUT
            else f"exit {run.exit_code} in {(run.duration_ms or 0) / 1000:.1f} s"
            if run.exit_code is not None else f"did not run: {run.note}"
        )  # fmt: skip
        where = f"{run.runbook} step {run.step}, " if run.runbook else ""  # or a typed action
        text = f"{run.title} ({where}{run.kind}): {outcome}"
        data = {
            "run": run.id, "runbook": run.runbook, "step": run.step, "title": run.title,
            "kind": run.kind, "command": redact(run.command), "status": run.status.value,
            "exit_code": run.exit_code, "duration_ms": run.duration_ms, "output": shown,
            "truncated": cut, "output_bytes": run.output_bytes, "approved_by": run.approved_by,
        }  # fmt: skip
        incident.record_command(run.finished_at or self._clock.now(), actor, text, data)
        uow.incidents.save(incident)

    def _audit(
        self, uow: UnitOfWork, actor: str, action: str, incident: int | None, detail: dict[str, Any]
    ) -> None:
        append(uow, self._clock.now(), actor, action, incident, detail)

    # -- reading ---------------------------------------------------------------------------

    def get(self, run_id: int) -> RunRecord:
        with self._read() as uow:
            run = uow.runs.get(run_id)
        if run is None:
            raise NotFound(f"no runbook run {run_id}")
        return run

    def for_incident(self, ref: str | int) -> list[RunRecord]:
        with self._read() as uow:
            number = uow.incidents.get(parse_ref(ref)).number
            return uow.runs.for_incident(number)


def incident_values(incident: Incident) -> dict[str, str]:
    scope = incident.scope
    tenants = () if scope.all_tenants else tuple(scope.tenants)
    return {
        "INCIDENT_ID": incident.id,
        "INCIDENT_NUMBER": str(incident.number),
        "INCIDENT_TITLE": incident.title,
        "INCIDENT_SEVERITY": incident.severity,
        "SERVICE": scope.services[0] if scope.services else "",
        "SERVICES": ",".join(scope.services),
        "TENANT": tenants[0] if tenants else "",
        "TENANTS": ",".join(tenants),
    }


def truncate(text: str, limit: int) -> tuple[str, bool]:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text, False
    kept = raw[:limit].decode("utf-8", errors="ignore")
    return kept + f"\n[… {len(raw) - limit} more bytes: tocsin runbook output]", True


def _missing(plan: Plan) -> list[str]:
    return [
        f"{name} ({source.removeprefix('missing: ')})" if source != "missing" else name
        for name, source in plan.variables.items()
        if source.startswith("missing")
    ]


def _missing_text(runbook: str, missing: dict[int, list[str]]) -> str:
    parts = [f"step {n} needs {', '.join(names)}" for n, names in missing.items()]
    return (
        f"{runbook}: {'; '.join(parts)}. Nothing was run: pass --set NAME=VALUE, or set "
        "runbooks.values.NAME (or runbooks.secrets.NAME: ENV_VAR) in tocsin.yaml"
    )


def _person(name: str) -> str:
    """`alice via ci-token` acts for alice."""
    return name.split(" via ", 1)[0].strip().casefold()
