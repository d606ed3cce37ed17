"""A runbook step's run: asked for, perhaps approved, run once, and what came of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tocsin.core.timeline import iso


class RunStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # a second person must approve it first
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # exit 0
    FAILED = "failed"  # another exit code, or it could not start
    TIMED_OUT = "timed_out"  # killed, with its process group, at the timeout
    SKIPPED = "skipped"  # not run: a variable was missing (triggered diagnostics)

    @property
    def finished(self) -> bool:
        return self in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.TIMED_OUT,
                        RunStatus.SKIPPED)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Execution:
    """What a command did: the CommandRunner's answer."""

    exit_code: int | None  # None: killed at the timeout, or never started
    output: str  # stdout and stderr together, as they came
    duration_ms: int
    timed_out: bool = False
    output_bytes: int = 0  # everything printed, also what was not kept


@dataclass
class RunRecord:
    incident: int
    runbook: str
    step: int
    title: str
    kind: str
    command: str
    requested_by: str
    requested_at: datetime
    status: RunStatus
    timeout_s: float
    values: dict[str, str] = field(default_factory=dict)  # variables given, secrets excepted
    secrets: list[str] = field(default_factory=list)  # variables read from configured secrets
    key: str | None = None  # one run per key (triggered diagnostics)
    id: int = 0
    approved_by: str | None = None
    approved_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None
    duration_ms: int | None = None
    output: str = ""  # the whole output, redacted
    output_bytes: int = 0
    note: str = ""  # why it was skipped or could not start
    action: str = ""  # a typed action's name (the command holds its parameters)
    runner: str = ""  # the process running it, host:pid (set when it starts)

    def to_dict(self, with_values: bool = False) -> dict[str, Any]:
        out = {
            "id": self.id,
            "incident": f"INC-{self.incident}",
            "runbook": self.runbook,
            "step": self.step,
            "title": self.title,
            "kind": self.kind,
            "command": self.command,
            "status": self.status.value,
            "requested_by": self.requested_by,
            "requested_at": iso(self.requested_at),
            "approved_by": self.approved_by,
            "approved_at": iso(self.approved_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "exit_code": self.exit_code,
            "duration_ms": self.duration_ms,
            "output": self.output,
            "output_bytes": self.output_bytes,
            "variables": sorted([*self.values, *self.secrets]),
            "note": self.note,
            "action": self.action or None,
            "timeout_s": self.timeout_s,
        }
        if with_values:
            out["values"] = dict(self.values)
        return out
