"""Reading and checking the audit log (records are written by the use cases they audit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tocsin.app.ports import UnitOfWork
from tocsin.core.audit import AuditRecord, Broken, Verifier, following

PAGE = 1000


@dataclass(frozen=True, slots=True)
class Verdict:
    checked: int
    broken: Broken | None


def append(
    uow: UnitOfWork,
    at: datetime,
    actor: str,
    action: str,
    incident: int | None,
    detail: dict[str, Any],
) -> AuditRecord:
    """Chain a record onto the log inside the caller's transaction."""
    record = following(uow.audit.last(), at, actor, action, incident, detail)
    uow.audit.append(record)
    return record


class AuditLog:
    def __init__(self, reader: Callable[[], UnitOfWork]) -> None:
        self._read = reader

    def records(self, after: int = 0, limit: int = 100) -> list[AuditRecord]:
        with self._read() as uow:
            return uow.audit.page(after, limit)

    def verify(self) -> Verdict:
        """Walk the whole chain, a page at a time; the first break, if any."""
        checker = Verifier()
        after = 0
        while checker.broken is None:
            with self._read() as uow:
                page = uow.audit.page(after, PAGE)
            if not page:
                break
            checker.feed(page)
            after = page[-1].seq
        return Verdict(checker.checked, checker.broken)
