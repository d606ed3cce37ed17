"""Runbook step runs and the audit log, in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from tocsin.core.audit import AuditRecord
from tocsin.core.execution import RunRecord, RunStatus
from tocsin.store.tables import audit_log, runbook_runs
from tocsin.store.types import utc_from_db

_r = runbook_runs.c
_a = audit_log.c
AUDIT_LOCK = 0x70C5_A0D1  # PostgreSQL advisory lock: one audit writer at a time


class SqlRunRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, run: RunRecord) -> int | None:
        stmt = insert(runbook_runs).values(_row(run)).returning(_r.id)
        if run.key is None:
            return int(self._conn.execute(stmt).scalar_one())
        try:
            with self._conn.begin_nested():  # a key already taken rolls back this insert alone
                return int(self._conn.execute(stmt).scalar_one())
        except IntegrityError:
            return None

    def get(self, run_id: int) -> RunRecord | None:
        row = self._conn.execute(select(runbook_runs).where(_r.id == run_id)).first()
        return _run(row._mapping) if row else None

    def by_key(self, key: str) -> RunRecord | None:
        row = self._conn.execute(select(runbook_runs).where(_r.key == key)).first()
        return _run(row._mapping) if row else None

    def save(self, run: RunRecord) -> None:
        self._conn.execute(update(runbook_runs).where(_r.id == run.id).values(_row(run)))

    def save_if(self, run: RunRecord, status: RunStatus) -> bool:
        """Save only if the stored run is still `status` (two workers: one wins)."""
        stmt = update(runbook_runs).where(_r.id == run.id, _r.status == status.value)
        return self._conn.execute(stmt.values(_row(run))).rowcount == 1

    def running(self, limit: int = 100) -> list[RunRecord]:
        stmt = select(runbook_runs).where(_r.status == RunStatus.RUNNING.value)
        return [_run(r._mapping) for r in self._conn.execute(stmt.order_by(_r.id).limit(limit))]

    def for_incident(self, incident: int, limit: int = 100) -> list[RunRecord]:
        stmt = select(runbook_runs).where(_r.incident == incident).order_by(_r.id).limit(limit)
        return [_run(r._mapping) for r in self._conn.execute(stmt)]


def _row(run: RunRecord) -> dict[str, Any]:
    return {
        "incident": run.incident,
        "runbook": run.runbook,
        "step": run.step,
        "title": run.title,
        "kind": run.kind,
        "command": run.command,
        "action": run.action,
        "requested_by": run.requested_by,
        "requested_at": run.requested_at,
        "status": run.status.value,
        "timeout_s": run.timeout_s,
        "vars": dict(run.values),
        "secret_names": list(run.secrets),
        "key": run.key,
        "approved_by": run.approved_by,
        "approved_at": run.approved_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "exit_code": run.exit_code,
        "duration_ms": run.duration_ms,
        "output": run.output,
        "output_bytes": run.output_bytes,
        "note": run.note,
        "runner": run.runner,
    }


def _run(m: Any) -> RunRecord:
    requested = utc_from_db(m["requested_at"])
    assert requested is not None  # noqa: S101 - not null
    return RunRecord(
        incident=m["incident"], runbook=m["runbook"], step=m["step"], title=m["title"],
        kind=m["kind"], command=m["command"], requested_by=m["requested_by"],
        requested_at=requested, status=RunStatus(m["status"]), timeout_s=m["timeout_s"],
        values=dict(m["vars"]), secrets=list(m["secret_names"]), key=m["key"], id=m["id"],
        approved_by=m["approved_by"], approved_at=utc_from_db(m["approved_at"]),
        started_at=utc_from_db(m["started_at"]), finished_at=utc_from_db(m["finished_at"]),
        exit_code=m["exit_code"], duration_ms=m["duration_ms"], output=m["output"],
        output_bytes=m["output_bytes"], note=m["note"], action=m["action"], runner=m["runner"],
    )  # fmt: skip


class SqlAuditLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def last(self) -> AuditRecord | None:
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK})
        top = self._conn.execute(select(func.max(_a.seq))).scalar()
        if top is None:
            return None
        row = self._conn.execute(select(audit_log).where(_a.seq == top)).first()
        return _record(row._mapping) if row else None

    def append(self, record: AuditRecord) -> None:
        values = {
            "seq": record.seq,
            "at": record.at,
            "actor": record.actor,
            "action": record.action,
            "incident": record.incident,
            "detail": record.detail,
            "prev": record.prev,
            "hash": record.digest(),
        }
        self._conn.execute(insert(audit_log).values(values))

    def page(self, after: int, limit: int) -> list[AuditRecord]:
        stmt = select(audit_log).where(_a.seq > after).order_by(_a.seq).limit(limit)
        return [_record(r._mapping) for r in self._conn.execute(stmt)]


def _record(m: Any) -> AuditRecord:
    at = utc_from_db(m["at"])
    assert at is not None  # noqa: S101 - not null
    return AuditRecord(
        m["seq"],
        at,
        m["actor"],
        m["action"],
        m["prev"],
        m["incident"],
        dict(m["detail"]),
        m["hash"],
    )
