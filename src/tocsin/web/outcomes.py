"""How a refused or finished form is answered: a status for the error, a URL for success."""

from __future__ import annotations

import re

from tocsin.app.incidents import Outcome
from tocsin.core.access import Forbidden
from tocsin.core.errors import DomainError, InvalidInput, NotFound

_SEPARATORS = re.compile(r"[,\n]")


def status_for(exc: DomainError) -> int:
    """Bad input 400; not allowed 403; unknown 404; anything else the domain refused 409."""
    if isinstance(exc, InvalidInput):
        return 400
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, NotFound):
        return 404
    return 409


def back_to_page(result: Outcome, action: str) -> str:
    """The incident's page; with the message ready to paste when the action rendered one."""
    incident = result.incident
    if result.message is not None:
        # The rendered message is the last entry the action wrote.
        return f"/incidents/{incident.id}?message={incident.version}#message"
    return f"/incidents/{incident.id}?done={action}"


def split_list(text: str) -> list[str]:
    """'api, web' or one per line."""
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


def optional(form: dict[str, str], name: str) -> str | None:
    return form.get(name, "").strip() or None
