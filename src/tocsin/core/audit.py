"""The audit log: append-only and tamper-evident.

Each record carries the SHA-256 of the previous record's canonical JSON (sorted keys, no
spaces, UTF-8), the first one 64 zeros. Changing a record changes its hash, which no longer
matches what the next record carries; removing one leaves a gap in the sequence. `verify`
names the first record where the chain breaks. (Removing the newest records leaves a shorter
chain that still verifies: copy the last hash somewhere else to pin it.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tocsin.core.timeline import iso

GENESIS = "0" * 64


class Action:
    EXECUTED = "runbook.executed"
    REFUSED = "runbook.refused"
    APPROVAL_REQUESTED = "runbook.approval_requested"
    APPROVED = "runbook.approved"
    ACTION = "action.executed"
    WORKER_DIED = "runbook.worker_died"  # its process died mid-run: marked failed


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    prev: str  # SHA-256 of the previous record's canonical JSON
    incident: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    hash: str = ""  # as stored: its own digest when written (not part of the canonical JSON)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "incident": self.incident,
            "detail": self.detail,
            "prev": self.prev,
        }

    def canonical(self) -> bytes:
        return json.dumps(
            self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")

    def digest(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


def following(
    last: AuditRecord | None,
    at: datetime,
    actor: str,
    action: str,
    incident: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    """The record that comes after `last` (None: the first)."""
    seq, prev = (1, GENESIS) if last is None else (last.seq + 1, last.digest())
    return AuditRecord(seq, at, actor, action, prev, incident, dict(detail or {}))


@dataclass(frozen=True, slots=True)
class Broken:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"record {self.seq}: {self.reason}"


@dataclass
class Verifier:
    """Feed records in order; `broken` is the first break found, if any."""

    checked: int = 0
    broken: Broken | None = None
    _last: AuditRecord | None = None

    def feed(self, records: Iterable[AuditRecord]) -> None:
        for record in records:
            if self.broken is not None:
                return
            self.broken = self._check(record)
            self._last = record
            self.checked += 1

    def _check(self, record: AuditRecord) -> Broken | None:
        last = self._last
        expected_seq = 1 if last is None else last.seq + 1
        if record.seq != expected_seq:
            return Broken(
                expected_seq, f"missing: records {expected_seq} to {record.seq - 1} were removed"
            )
        if record.hash and record.hash != record.digest():
            return Broken(
                record.seq,
                "was changed after it was written: its content no longer matches its hash",
            )
        if last is None and record.prev != GENESIS:
            return Broken(record.seq, "was changed: the first record carries 64 zeros")
        if last is not None and record.prev != last.digest():
            return Broken(
                last.seq,
                f"was changed after it was written: record {record.seq} "
                "carries a different hash for it",
            )
        return None


def verify(records: Iterable[AuditRecord]) -> Broken | None:
    checker = Verifier()
    checker.feed(records)
    return checker.broken
