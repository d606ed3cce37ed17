"""Health check samples, shared by every worker: one row per check and slot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from tocsin.core.health import Sample
from tocsin.store.tables import health_samples
from tocsin.store.types import utc_from_db

_c = health_samples.c


class SqlHealthSamples:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert

    def add(self, check: str, service: str, sample: Sample) -> bool:
        stmt = (
            self._insert(health_samples)
            .values(
                check_key=check,
                at=sample.at,
                service=service,
                ok=sample.ok,
                latency_ms=sample.latency_ms,
                detail=sample.detail,
            )
            .on_conflict_do_nothing(index_elements=[_c.check_key, _c.at])
            .returning(_c.at)
        )
        return self._conn.execute(stmt).first() is not None

    def recent(self, check: str, limit: int) -> list[Sample]:
        stmt = select(health_samples).where(_c.check_key == check).order_by(_c.at.desc())
        return [_sample(r._mapping) for r in self._conn.execute(stmt.limit(limit))]

    def window(self, service: str, since: datetime) -> list[Sample]:
        stmt = select(health_samples).where(_c.service == service, _c.at >= since)
        return [_sample(r._mapping) for r in self._conn.execute(stmt.order_by(_c.at))]

    def prune(self, check: str, before: datetime) -> int:
        stmt = delete(health_samples).where(_c.check_key == check, _c.at < before)
        return self._conn.execute(stmt).rowcount


def _sample(row: Any) -> Sample:
    at = utc_from_db(row["at"])
    assert at is not None  # noqa: S101 - primary key
    return Sample(at, row["ok"], row["latency_ms"], row["detail"])
