"""The forms on an incident's page. Each checks the session, its CSRF token and the role,
calls the same use case as the API and the CLI, and goes back to the page (303)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tocsin.api.deps import App
from tocsin.app.answers import status_of
from tocsin.app.incidents import IncidentService, Outcome
from tocsin.core.errors import DomainError, ErrorKind
from tocsin.web.auth import FormFields, PageRefused, ResponderSession
from tocsin.web.incident_page import Banner, Retry, incident_page
from tocsin.web.outcomes import back_to_page, optional

router = APIRouter()
Act = Callable[[IncidentService, str, str, dict[str, str]], Outcome]

ACTIONS: dict[str, Act] = {
    "ack": lambda s, ref, who, f: s.acknowledge(ref, who),
    "update": lambda s, ref, who, f: s.post_update(ref, who, f.get("text", "")),
    "severity": lambda s, ref, who, f: s.change_severity(
        ref, who, f.get("severity", ""), f.get("reason", "")
    ),
    "roles": lambda s, ref, who, f: s.assign(ref, who, f.get("role", ""), optional(f, "person")),
    "mitigate": lambda s, ref, who, f: s.mitigate(ref, who, f.get("action", "")),
    "resolve": lambda s, ref, who, f: s.resolve(
        ref, who, optional(f, "root_cause"), optional(f, "fix")
    ),
    "reopen": lambda s, ref, who, f: s.reopen(ref, who, f.get("reason", "")),
    "close": lambda s, ref, who, f: s.close(ref, who),
    "note": lambda s, ref, who, f: s.note(ref, who, f.get("text", "")),
}


@router.post("/incidents/{ref}/{action}", response_model=None)
def act(
    request: Request,
    ref: str,
    action: str,
    tocsin: App,
    who: ResponderSession,
    form: FormFields,
) -> Response:
    do = ACTIONS.get(action)
    if do is None:
        raise PageRefused(ErrorKind.NOT_FOUND, "There is no such action on an incident.")
    try:
        result = do(tocsin.incidents, ref, who.principal.name, form)
    except DomainError as exc:
        kept = Retry(action, {k: v for k, v in form.items() if k != "csrf"})
        return incident_page(request, tocsin, who, ref, Banner(str(exc)), status_of(exc), kept)
    return RedirectResponse(back_to_page(result, action), 303)
