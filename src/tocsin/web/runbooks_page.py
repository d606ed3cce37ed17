"""Running a runbook step from an incident's page.

The page lists the runbooks' runnable steps; each Run button opens the step's confirmation
page, which shows the exact command, where each variable comes from, a field for each one
nobody supplies, and (for a mitigation) says it changes production. Its button posts the run;
a worker carries it out and the output arrives on the incident's live timeline. The POST takes
any signed-in session with its CSRF token: the use case refuses a viewer and audits it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.api.deps import App
from tocsin.app.answers import status_of
from tocsin.app.runs import Request as RunRequest
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import DomainError, ErrorKind
from tocsin.core.execution import RunRecord, RunStatus
from tocsin.core.runbook import Runbook
from tocsin.web.auth import FormFields, PageRefused, PageSession, WebSession, check_csrf
from tocsin.web.rendering import page

router = APIRouter()
VAR_PREFIX = "var_"


def runbooks_for_page(tocsin: Tocsin) -> list[Runbook]:
    """The runbooks that parse and have a runnable step; none when the directory is missing."""
    try:
        books = tocsin.runbooks.runbooks.all()
    except DomainError:
        return []
    return [b for b in books if not b.errors and any(s.runnable for s in b.steps)]


@router.get("/incidents/{ref}/runbooks/{name}/steps/{number}")
def confirm_step(
    request: Request, ref: str, name: str, number: int, tocsin: App, session: PageSession
) -> HTMLResponse:
    return _step_page(request, tocsin, session, ref, name, number, {}, None)


@router.post("/incidents/{ref}/runbooks/{name}/steps/{number}/run", response_model=None)
def run_step(
    request: Request,
    ref: str,
    name: str,
    number: int,
    tocsin: App,
    session: PageSession,
    form: FormFields,
) -> Response:
    check_csrf(session, form)
    values = {k[len(VAR_PREFIX) :]: v for k, v in form.items() if k.startswith(VAR_PREFIX) and v}
    req = RunRequest(ref, name, session.principal, number, confirm=form.get("confirm") == "yes",
                     values=values, schedule=True)  # fmt: skip
    try:
        (run,) = tocsin.runbooks.request(req)
    except DomainError as exc:
        return _step_page(request, tocsin, session, ref, name, number, values, exc)
    waits = isinstance(run, RunRecord) and run.status is RunStatus.AWAITING_APPROVAL
    done = "runbook-approval" if waits else "runbook"
    return RedirectResponse(f"/incidents/{ref}?done={done}#timeline-h", 303)


def _step_page(
    request: Request,
    tocsin: Tocsin,
    session: WebSession,
    ref: str,
    name: str,
    number: int,
    values: dict[str, str],
    error: DomainError | None,
) -> HTMLResponse:
    dry = RunRequest(ref, name, session.principal, number, dry_run=True, values=values)
    try:
        incident = tocsin.incidents.get(ref)
        plans = tocsin.runbooks.preview(dry)
        runbook = tocsin.runbooks.runbooks.get(name)
    except DomainError as exc:  # no such incident or runbook, a checklist item, a broken file
        raise PageRefused(exc.kind, str(exc)) from None
    step = runbook.step(number)
    if step is None or not step.runnable:
        raise PageRefused(ErrorKind.NOT_FOUND, f"{name} has no runnable step {number}.")
    plan = next(iter(plans), None)
    missing = [v for v in step.variables if plan is None or plan.variables[v].startswith("missing")]
    context = {
        "session": session, "i": incident, "runbook": runbook, "step": step, "plan": plan,
        "missing": missing, "values": values, "error": str(error) if error else None,
        "title": f"{incident.id}: {step.title}",
    }  # fmt: skip
    return page(request, "runbook_step.html", context, status_of(error) if error else 200)
