"""Runbooks over HTTP: read them, run a step for an incident, approve, read runs, the audit.

A run is accepted here and carried out by a worker (a `runbook.run` job): the answer is 202
with the runs; the output lands on the incident's live timeline. The run and approve routes
take any signed-in caller so that a viewer's attempt is refused *and audited* by the use case
(403), like a mitigation without `confirm`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from tocsin.api import responses as r
from tocsin.api.deps import Admin, App, Viewer
from tocsin.api.routers.incidents import Ref
from tocsin.api.schemas import Strict
from tocsin.app.runs import Plan, Request
from tocsin.core.execution import RunRecord

router = APIRouter(tags=["runbooks"], responses=r.ERRORS)
Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", max_length=100)]
RunId = Annotated[int, Path(ge=1, le=2_000_000_000)]


class RunIn(Strict):
    step: int | None = Field(default=None, ge=1, le=10_000, description="one step")
    diagnostics: bool = Field(default=False, description="every diagnostic step instead")
    confirm: bool = Field(default=False, description="required for a mitigation")
    dry_run: bool = Field(default=False, description="show the commands; run nothing")
    values: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")],
                 Annotated[str, Field(max_length=4096)]] = Field(default_factory=dict,
                                                                 max_length=50)  # fmt: skip


@router.get("/runbooks")
def list_runbooks(tocsin: App, _: Viewer) -> list[dict[str, Any]]:
    """The runbooks in the configured directory, with their steps."""
    return [rb.summary() for rb in tocsin.runbooks.runbooks.all()]


@router.get("/runbooks/{name}")
def get_runbook(name: Name, tocsin: App, _: Viewer) -> dict[str, Any]:
    return tocsin.runbooks.runbooks.get(name).summary()


@router.get("/runbooks/{name}/lint")
def lint_runbook(name: Name, tocsin: App, _: Viewer) -> dict[str, Any]:
    """What `tocsin runbook lint` reports, with this server's settings (its values, secrets
    and typed actions): problems with their line; `error` ones keep the runbook from running."""
    problems = tocsin.runbooks.runbooks.lint(name)
    return {"name": name, "problems": [{"line": p.line, "message": p.message, "error": p.error}
                                       for p in problems]}  # fmt: skip


@router.post(
    "/incidents/{ref}/runbooks/{name}/run",
    status_code=202,
    responses={200: {"description": "A dry run: the plans, nothing run"}},
)
def run_step(ref: Ref, name: Name, body: RunIn, tocsin: App, who: Viewer) -> JSONResponse:
    """Run a step (or every diagnostic) for the incident: 202 with the runs, queued (or
    awaiting a second person's approval); 200 with the plans for a dry run. Needs the
    responder role, and `confirm: true` for a mitigation; refusals are audited."""
    req = Request(ref, name, who, body.step, body.diagnostics, body.confirm, body.dry_run,
                  body.values, schedule=True)  # fmt: skip
    made = tocsin.runbooks.request(req)
    if body.dry_run:
        return JSONResponse({"plans": [p.to_dict() for p in made if isinstance(p, Plan)]})
    runs = [x.to_dict() for x in made if isinstance(x, RunRecord)]
    return JSONResponse({"runs": runs}, status_code=202)


@router.get("/incidents/{ref}/runbook-runs")
def incident_runs(ref: Ref, tocsin: App, _: Viewer) -> list[dict[str, Any]]:
    return [x.to_dict() for x in tocsin.runbooks.for_incident(ref)]


@router.get("/runbook-runs/{run_id}")
def get_run(run_id: RunId, tocsin: App, _: Viewer) -> dict[str, Any]:
    """One run, with its whole (redacted) output once it finished."""
    return tocsin.runbooks.get(run_id).to_dict()


@router.post("/runbook-runs/{run_id}/approve", status_code=202)
def approve_run(run_id: RunId, tocsin: App, who: Viewer) -> JSONResponse:
    """A second person approves a mitigation; a worker runs it."""
    run = tocsin.runbooks.approve(run_id, who, schedule=True)
    return JSONResponse(run.to_dict(), status_code=202)


class ActionIn(Strict):
    params: dict[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,39}$")],
                 Annotated[str, Field(max_length=4096)]] = Field(default_factory=dict,
                                                                 max_length=20)  # fmt: skip
    confirm: bool = Field(default=False, description="required for a mitigation")
    dry_run: bool = Field(default=False, description="read the state; say what would change")


ActionName = Annotated[str, Path(pattern=r"^[a-z0-9]+\.[a-z0-9_.-]+$", max_length=64)]


@router.get("/actions")
def list_actions(tocsin: App, _: Viewer) -> list[dict[str, Any]]:
    """The typed actions (AWS, and tocsin.yaml's HTTP actions) and their parameters."""
    return [spec.describe() for spec in tocsin.actions.catalogue()]


@router.post("/incidents/{ref}/actions/{action}")
def run_action(
    ref: Ref, action: ActionName, body: ActionIn, tocsin: App, who: Viewer
) -> dict[str, Any]:
    """Run a typed action for the incident, here and now: its summary, the state before and
    after (on the timeline too, unless a dry run). Needs the responder role, and `confirm`
    for a mitigation; refusals are audited. An AWS failure is `ok: false`, not an error."""
    result = tocsin.actions.run(ref, action, body.params, who, body.confirm, body.dry_run)
    return asdict(result)


@router.get("/audit")
def audit_records(
    tocsin: App,
    _: Admin,
    after: Annotated[int, Query(ge=0, le=2_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Audit records after `after`, oldest first."""
    return [x.to_dict() for x in tocsin.audit.records(after, limit)]


@router.get("/audit/verify")
def audit_verify(tocsin: App, _: Admin) -> dict[str, Any]:
    """Walk the audit log's hash chain; `broken` names the first record that fails."""
    verdict = tocsin.audit.verify()
    broken = verdict.broken
    found = None if broken is None else {"seq": broken.seq, "reason": broken.reason}
    return {"checked": verdict.checked, "ok": broken is None, "broken": found}
