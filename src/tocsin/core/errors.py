"""Domain errors: plain exceptions, translated to exit codes or HTTP statuses at the edge."""

from __future__ import annotations


class DomainError(Exception):
    """The domain refused a command. The message says why and what is allowed."""


class IllegalTransition(DomainError):
    def __init__(self, incident_id: str, status: str, action: str, allowed: list[str]) -> None:
        self.incident_id = incident_id
        self.status = status
        self.action = action
        self.allowed = allowed
        allowed_text = ", ".join(allowed) if allowed else "nothing"
        super().__init__(
            f"cannot {action} {incident_id}: it is {status}; allowed now: {allowed_text}"
        )


class NotFound(DomainError):
    """The thing named does not exist."""


class IncidentNotFound(NotFound):
    def __init__(self, incident_id: str) -> None:
        self.incident_id = incident_id
        super().__init__(
            f"no incident {incident_id}; list open ones with `tocsin list --status open`"
        )


class InvalidInput(DomainError):
    """The caller gave a value the domain cannot take (a usage error at the edge)."""


class UnknownSeverity(InvalidInput):
    def __init__(self, key: str, valid: list[str]) -> None:
        self.key = key
        self.valid = valid
        super().__init__(f"unknown severity {key!r}; valid severities: {', '.join(valid)}")


class ConcurrentChange(DomainError):
    """Somebody else changed the incident since it was read."""

    def __init__(self, incident_id: str, expected: int, actual: int | None = None) -> None:
        self.incident_id = incident_id
        self.expected = expected
        self.actual = actual
        seen = f" (now at version {actual})" if actual is not None else ""
        super().__init__(
            f"{incident_id} changed since version {expected}{seen}; reload it and try again"
        )
