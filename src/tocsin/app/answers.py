"""How every edge answers each kind of error: the one table.

The API's status (and `error.kind`), the CLI's exit code, the web page's status and title,
and the exception the remote CLI raises for a server's answer all come from the error's
`kind`, looked up here. A new kind is a member of `ErrorKind` and a row below; the unit test
`test_error_kinds.py` fails for an error class without a kind or a kind without a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from tocsin.app.errors import StorageError
from tocsin.core.access import Forbidden, Unauthenticated
from tocsin.core.errors import (
    ConcurrentChange,
    DomainError,
    ErrorKind,
    IllegalTransition,
    InvalidInput,
    NotFound,
    TocsinError,
)

EXIT_REFUSED = 1  # exit codes, as the README says: 0 done, 1 refused, 2 usage error
EXIT_USAGE = 2


@dataclass(frozen=True, slots=True)
class Answer:
    status: int  # HTTP: the API and the web pages
    exit_code: int  # the CLI
    title: str  # the web's heading for an error page
    raised_as: type[TocsinError]  # what the remote CLI raises for a server's answer


ANSWERS = MappingProxyType(
    {
        ErrorKind.UNAUTHENTICATED: Answer(401, EXIT_REFUSED, "Log in again", Unauthenticated),
        ErrorKind.FORBIDDEN: Answer(403, EXIT_REFUSED, "Not allowed", Forbidden),
        ErrorKind.NOT_FOUND: Answer(404, EXIT_REFUSED, "Not found", NotFound),
        ErrorKind.INVALID_INPUT: Answer(422, EXIT_USAGE, "Not valid", InvalidInput),
        ErrorKind.TOO_LARGE: Answer(413, EXIT_USAGE, "Too large", InvalidInput),
        ErrorKind.RATE_LIMITED: Answer(429, EXIT_REFUSED, "Too many attempts", DomainError),
        ErrorKind.CONFLICT: Answer(409, EXIT_REFUSED, "Changed meanwhile", ConcurrentChange),
        ErrorKind.ILLEGAL_TRANSITION: Answer(
            409, EXIT_REFUSED, "Not allowed now", IllegalTransition
        ),
        ErrorKind.REFUSED: Answer(409, EXIT_REFUSED, "Refused", DomainError),
        ErrorKind.UNAVAILABLE: Answer(503, EXIT_REFUSED, "Unavailable", StorageError),
    }
)


def answer_for(kind: str) -> Answer:
    """The row for a kind; one this version does not know (a newer server's) is a refusal."""
    try:
        return ANSWERS[ErrorKind(kind)]
    except ValueError:
        return ANSWERS[ErrorKind.REFUSED]


def status_of(exc: TocsinError) -> int:
    return ANSWERS[exc.kind].status


def kind_for_status(status: int) -> ErrorKind | None:
    """The first kind answered with this status (409 is a conflict), for HTTP errors the
    framework raises itself; None when no kind is."""
    return next((kind for kind, found in ANSWERS.items() if found.status == status), None)
