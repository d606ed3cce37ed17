"""Domain errors: plain exceptions, each saying its kind once.

The kind is all an edge needs: `app/answers.py` turns it into the API's status, the CLI's
exit code, the web page's status and title, and the exception the remote CLI raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    """What went wrong, in the words of the API's `error.kind`."""

    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    INVALID_INPUT = "invalid_input"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    CONFLICT = "conflict"
    ILLEGAL_TRANSITION = "illegal_transition"
    REFUSED = "refused"
    UNAVAILABLE = "unavailable"  # the database, the config or the server cannot be used


class TocsinError(Exception):
    """Every error Tocsin raises on purpose. Each class sets `kind` or inherits its parent's;
    a class without one is refused when it is defined."""

    kind: ErrorKind

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(getattr(cls, "kind", None), ErrorKind):
            raise TypeError(f"{cls.__qualname__} must set `kind` to an ErrorKind")

    def details(self) -> dict[str, Any]:
        """What an answer carries besides the kind and the message."""
        return {}

    @classmethod
    def reported(
        cls, message: str, about: str | None = None, allowed: Sequence[str] = ()
    ) -> TocsinError:
        """The error a server reported, in its words: what the remote CLI raises where the
        local services raise the error itself. `about` is the incident the call was about."""
        return cls.__new__(cls, message)


class DomainError(TocsinError):
    """The domain refused a command. The message says why and what is allowed."""

    kind = ErrorKind.REFUSED


class IllegalTransition(DomainError):
    kind = ErrorKind.ILLEGAL_TRANSITION

    def __init__(self, incident_id: str, status: str, action: str, allowed: list[str]) -> None:
        self.incident_id = incident_id
        self.status = status
        self.action = action
        self.allowed = allowed
        allowed_text = ", ".join(allowed) if allowed else "nothing"
        super().__init__(
            f"cannot {action} {incident_id}: it is {status}; allowed now: {allowed_text}"
        )

    def details(self) -> dict[str, Any]:
        return {"allowed": self.allowed}

    @classmethod
    def reported(
        cls, message: str, about: str | None = None, allowed: Sequence[str] = ()
    ) -> TocsinError:
        return _worded(cls(about or "", "", "", list(allowed)), message)


class NotFound(DomainError):
    """The thing named does not exist."""

    kind = ErrorKind.NOT_FOUND

    @classmethod
    def reported(
        cls, message: str, about: str | None = None, allowed: Sequence[str] = ()
    ) -> TocsinError:
        return _worded(IncidentNotFound(about), message) if about else cls.__new__(cls, message)


class IncidentNotFound(NotFound):
    def __init__(self, incident_id: str) -> None:
        self.incident_id = incident_id
        super().__init__(
            f"no incident {incident_id}; list open ones with `tocsin list --status open`"
        )


class InvalidInput(DomainError):
    """The caller gave a value the domain cannot take (a usage error at the edge)."""

    kind = ErrorKind.INVALID_INPUT


class UnknownSeverity(InvalidInput):
    def __init__(self, key: str, valid: list[str]) -> None:
        self.key = key
        self.valid = valid
        super().__init__(f"unknown severity {key!r}; valid severities: {', '.join(valid)}")


class ConcurrentChange(DomainError):
    """Somebody else changed the incident since it was read."""

    kind = ErrorKind.CONFLICT

    def __init__(self, incident_id: str, expected: int, actual: int | None = None) -> None:
        self.incident_id = incident_id
        self.expected = expected
        self.actual = actual
        seen = f" (now at version {actual})" if actual is not None else ""
        super().__init__(
            f"{incident_id} changed since version {expected}{seen}; reload it and try again"
        )

    @classmethod
    def reported(
        cls, message: str, about: str | None = None, allowed: Sequence[str] = ()
    ) -> TocsinError:
        return _worded(cls(about or "", 0), message)


def _worded(exc: TocsinError, message: str) -> TocsinError:
    """The server words the refusal; the client keeps its words rather than rebuilding them."""
    exc.args = (message,)
    return exc
