"""Where a finished form goes next. A refused one is answered with its error's status,
`app.answers.status_of`."""

from __future__ import annotations

import re

from tocsin.app.incidents import Outcome

_SEPARATORS = re.compile(r"[,\n]")


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
