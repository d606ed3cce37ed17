"""Typed actions from an incident: checked, confirmed, carried out, recorded and audited.

The same rules as shell steps (app/runs.py): the responder role, a confirmation for a
mitigation, refusals audited. A dry run reads the state and says what would change; it
records nothing. A real run records a `command` entry on the timeline with the state before
(to undo it) and after, and an audit record. A mitigation on a severity of
`runbooks.approval` does not run: it becomes a run awaiting a second person's approval
(`tocsin runbook approve ID`), as a runbook's ```tocsin step would; the values wait with it
as variables (`flag: ${flag}`), never pasted into the step's text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from tocsin.app.audit import append
from tocsin.app.ports import ActionRunner, Clock, UnitOfWork
from tocsin.app.refs import parse_ref
from tocsin.app.runs import ConfirmationRequired
from tocsin.core.access import AccessRole, Forbidden, Principal
from tocsin.core.actions import ACTIONS, ActionResult, ActionSpec, action_spec
from tocsin.core.audit import Action
from tocsin.core.errors import IllegalTransition, NotFound
from tocsin.core.execution import RunRecord, RunStatus
from tocsin.core.lifecycle import allowed_actions, is_allowed


class ActionService:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        runner: Callable[[], ActionRunner],
        specs: Mapping[str, ActionSpec] | None = None,
        approval: frozenset[str] = frozenset(),  # casefolded severities
        timeout_s: float = 60.0,
    ) -> None:
        self._approval = approval
        self._timeout_s = timeout_s
        self._uow = uow
        self._clock = clock
        self._runner = runner  # built on first use: boto3 loads only when an action runs
        self._specs = ACTIONS if specs is None else specs

    def catalogue(self) -> list[ActionSpec]:
        return list(self._specs.values())

    def run(
        self,
        ref: str | int,
        name: str,
        params: Mapping[str, str],
        principal: Principal,
        confirm: bool = False,
        dry_run: bool = False,
    ) -> ActionResult:
        number = parse_ref(ref)
        if not principal.role.allows(AccessRole.RESPONDER):
            self._refuse(principal, number, name, dict(params), f"{principal.role.value} role")
            raise Forbidden(principal, AccessRole.RESPONDER)
        spec = action_spec(name, self._specs)
        parsed = spec.parse(params)
        with self._uow() as uow:
            incident = uow.incidents.get(number)
        if not is_allowed(incident.status, "command"):
            raise IllegalTransition(incident.id, incident.status.value, "run an action",
                                    allowed_actions(incident.status))  # fmt: skip
        if spec.kind == "mitigation" and not (confirm or dry_run):
            self._refuse(principal, number, spec.name, parsed, "no confirmation")
            raise ConfirmationRequired(f"{name} is a mitigation: confirm it (--yes) to run it")
        needs_second = incident.severity.casefold() in self._approval
        if spec.kind == "mitigation" and not dry_run and needs_second:
            return self._await(principal.name, number, spec, params)
        result = self._runner().run(name, parsed, dry_run)
        if not dry_run:
            self._record(principal.name, number, spec, parsed, result)
        return result

    def _record(
        self, actor: str, number: int, spec: ActionSpec, params: dict[str, Any], r: ActionResult
    ) -> None:
        now = self._clock.now()
        state = "" if r.ok else "failed: "
        data = {"action": spec.name, "kind": spec.kind, "params": params, "ok": r.ok,
                "before": r.before, "after": r.after, "output": r.output[:65536],
                "error": r.error, "command": f"{spec.name} " + _args(params)}  # fmt: skip
        with self._uow() as uow:
            incident = uow.incidents.get(number)
            incident.record_command(now, actor, f"{spec.name}: {state}{r.summary}", data)
            uow.incidents.save(incident)
            detail = {k: v for k, v in asdict(r).items() if k != "output"} | {"params": params}
            append(uow, now, actor, Action.ACTION, number, detail)
            uow.commit()

    def _await(
        self, actor: str, number: int, spec: ActionSpec, params: Mapping[str, str]
    ) -> ActionResult:
        now = self._clock.now()
        block = "\n".join([f"action: {spec.name}", *(f"{k}: ${{{k}}}" for k in params)])
        run = RunRecord(number, "", 0, spec.summary, spec.kind, block, actor, now,
                        RunStatus.AWAITING_APPROVAL, self._timeout_s, dict(params),
                        action=spec.name)  # fmt: skip
        with self._uow() as uow:
            run.id = uow.runs.add(run) or 0
            append(uow, now, actor, Action.APPROVAL_REQUESTED, number,
                   {"run": run.id, "action": spec.name, "params": dict(params)})  # fmt: skip
            uow.commit()
        why = f"{spec.name} waits for a second person: tocsin runbook approve {run.id}"
        return ActionResult(spec.name, False, True, why, awaiting_approval=run.id)

    def _refuse(
        self, principal: Principal, number: int, action: str, params: dict[str, Any], why: str
    ) -> None:
        with self._uow() as uow:
            append(uow, self._clock.now(), principal.name, Action.REFUSED, number,
                   {"action": action, "params": params, "reason": why})  # fmt: skip
            uow.commit()


def _args(params: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())


class RoutedActions:
    """One ActionRunner over several: each action name goes to the runner that knows it
    (AWS or HTTP), built when first used."""

    def __init__(self, routes: Mapping[str, Callable[[], ActionRunner]]) -> None:
        self._routes = routes

    def run(self, name: str, params: dict[str, Any], dry_run: bool) -> ActionResult:
        route = self._routes.get(name)
        if route is None:
            raise NotFound(f"no runner for action {name!r}")
        return route().run(name, params, dry_run)
