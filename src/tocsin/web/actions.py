"""The forms on an incident's page. Each checks the session, its CSRF token and the role,
calls the same use case as the API and the CLI, and goes back to the page (303). Resolve and
Close first ask for confirmation (web/confirm.py); Resolve asks for the root cause and fix
when the severity requires a post-mortem."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tocsin.api.deps import App
from tocsin.app.answers import status_of
from tocsin.app.incidents import IncidentService, Outcome
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import DomainError, ErrorKind, InvalidInput, UnknownSeverity
from tocsin.core.incident import Incident
from tocsin.core.lifecycle import is_allowed
from tocsin.core.severity import Severity
from tocsin.web.auth import FormFields, PageRefused, ResponderSession
from tocsin.web.confirm import Confirm, Editable, confirm_page, confirmed
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


def needs_postmortem(tocsin: Tocsin, incident: Incident) -> Severity | None:
    """The incident's severity when it requires a post-mortem (None for one since removed)."""
    try:
        severity = tocsin.incidents.severities.get(incident.severity)
    except UnknownSeverity:
        return None
    return severity if severity.postmortem_required else None


def ask_resolve(tocsin: Tocsin, ref: str, form: dict[str, str]) -> Confirm | None:
    """Resolve asks for the root cause and the fix when the severity requires a post-mortem
    (the API leaves them optional: a script may fill them in later). None where the status
    does not allow it: the use case then says why, with no question first."""
    incident = tocsin.incidents.get(ref)
    if not is_allowed(incident.status, "resolve"):
        return None
    severity = needs_postmortem(tocsin, incident)
    cause, fix = form.get("root_cause", "").strip(), form.get("fix", "").strip()
    if severity is not None and not (cause and fix):
        missing = " and ".join(n for n, v in (("root cause", cause), ("fix", fix)) if not v)
        raise InvalidInput(
            f"{missing}: {severity.key} ({severity.label}) needs a post-mortem, so resolving "
            "it needs the root cause and the fix applied; fill them in, then resolve"
        )
    required = severity is not None
    return Confirm(
        f"Resolve {incident.id}?",
        f"{incident.title}: resolving posts the RESOLVED message and ends paging.",
        f"/incidents/{incident.id}/resolve",
        f"Resolve {incident.id}",
        f"/incidents/{incident.id}",
        editable=[
            Editable("root_cause", "Root cause", cause, required),
            Editable("fix", "Fix applied", fix, required),
        ],
    )


def ask_close(tocsin: Tocsin, ref: str, form: dict[str, str]) -> Confirm | None:
    incident = tocsin.incidents.get(ref)
    if not is_allowed(incident.status, "close"):
        return None
    return Confirm(
        f"Close {incident.id}?",
        f"{incident.title}: a closed incident takes no more updates until it is reopened.",
        f"/incidents/{incident.id}/close",
        f"Close {incident.id}",
        f"/incidents/{incident.id}",
    )


ASKED: dict[str, Callable[[Tocsin, str, dict[str, str]], Confirm | None]] = {
    "resolve": ask_resolve,
    "close": ask_close,
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
        ask = ASKED[action](tocsin, ref, form) if action in ASKED else None
        if ask is not None and not confirmed(form):
            return confirm_page(request, who, ask)
        result = do(tocsin.incidents, ref, who.principal.name, form)
    except DomainError as exc:
        kept = Retry(action, {k: v for k, v in form.items() if k != "csrf"})
        return incident_page(request, tocsin, who, ref, Banner(str(exc)), status_of(exc), kept)
    return RedirectResponse(back_to_page(result, action), 303)
