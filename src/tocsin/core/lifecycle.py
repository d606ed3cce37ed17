"""Which actions each incident status allows: one table, so errors can name the allowed ones."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    INVESTIGATING = "investigating"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self in (Status.INVESTIGATING, Status.MITIGATED)


_EDITS = frozenset(
    {"assign", "scope", "impact", "label", "note", "message", "alerts", "page", "command"}
)
_OWN = frozenset({"message", "alerts", "page", "escalation", "command"})  # Tocsin's own records
_ACTIVE = _EDITS | {"acknowledge", "update", "severity", "resolve", "escalation"}

ALLOWED: dict[Status, frozenset[str]] = {
    Status.INVESTIGATING: _ACTIVE | {"mitigate"},
    Status.MITIGATED: _ACTIVE,
    Status.RESOLVED: _EDITS | {"close", "reopen", "escalation"},
    Status.CLOSED: frozenset({"reopen"}),
}


def allowed_actions(status: Status) -> list[str]:
    """What a person may do now; recording a rendered message is Tocsin's own business."""
    return sorted(ALLOWED[status] - _OWN)


def is_allowed(status: Status, action: str) -> bool:
    return action in ALLOWED[status]
