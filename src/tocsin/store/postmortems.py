"""Post-mortems in SQL: `postmortems` (one row per incident) and `postmortem_versions`
(append-only). A version number taken by another writer is a stale edit, never a lost one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from tocsin.core.postmortem import Postmortem, PostmortemStatus, StaleVersion, Summary, Version
from tocsin.store.tables import postmortem_versions, postmortems
from tocsin.store.types import utc_from_db

_p = postmortems.c
_v = postmortem_versions.c


class SqlPostmortemRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, incident: int) -> Postmortem | None:
        stmt = select(postmortem_versions).where(_v.incident == incident).order_by(_v.version)
        versions = [_version(r._mapping) for r in self._conn.execute(stmt)]
        return Postmortem(incident, versions) if versions else None

    def save(self, doc: Postmortem, now: datetime) -> None:
        """Insert the new versions and bring the summary row up to date."""
        for v in doc.pending:
            try:
                with self._conn.begin_nested():
                    self._conn.execute(insert(postmortem_versions).values(_version_row(doc, v)))
            except IntegrityError:
                raise StaleVersion(f"INC-{doc.incident}", v.number - 1) from None
        doc.pending.clear()
        cur = doc.current
        published = doc.published[-1].number if doc.published else None
        values = {
            "version": cur.number,
            "status": cur.status.value,
            "published_version": published,
            "author": cur.author,
            "category": cur.category,
            "updated_at": now,
        }
        self._upsert(doc.incident, values, now)

    def set_due(self, incident: int, due: datetime | None, now: datetime) -> None:
        self._upsert(incident, {"due": due, "updated_at": now}, now)

    def summary(self, incident: int) -> Summary | None:
        row = self._conn.execute(select(postmortems).where(_p.incident == incident)).first()
        return _summary(row._mapping) if row else None

    def find(self, overdue_at: datetime | None = None, limit: int = 200) -> list[Summary]:
        """Newest due first; with `overdue_at`, only those due before it and unpublished."""
        stmt = select(postmortems)
        if overdue_at is not None:
            stmt = stmt.where(_p.due < overdue_at, _p.published_version.is_(None))
        stmt = stmt.order_by(_p.due.is_(None), _p.due.desc(), _p.incident.desc()).limit(limit)
        return [_summary(r._mapping) for r in self._conn.execute(stmt)]

    def _upsert(self, incident: int, values: dict[str, Any], now: datetime) -> None:
        done = self._conn.execute(
            update(postmortems).where(_p.incident == incident).values(values)
        ).rowcount
        if not done:
            row = {"incident": incident, "version": 0, "updated_at": now, **values}
            self._conn.execute(insert(postmortems).values(row))


def _version_row(doc: Postmortem, v: Version) -> dict[str, Any]:
    return {
        "incident": doc.incident,
        "version": v.number,
        "status": v.status.value,
        "text": v.text,
        "author": v.author,
        "category": v.category,
        "saved_by": v.saved_by,
        "saved_at": v.saved_at,
        "action": v.action,
    }


def _version(m: Any) -> Version:
    saved = utc_from_db(m["saved_at"])
    assert saved is not None  # noqa: S101 - not null
    return Version(
        m["version"],
        PostmortemStatus(m["status"]),
        m["text"],
        m["author"],
        m["category"],
        m["saved_by"],
        saved,
        m["action"],
    )


def _summary(m: Any) -> Summary:
    updated = utc_from_db(m["updated_at"])
    assert updated is not None  # noqa: S101 - not null
    return Summary(
        m["incident"],
        utc_from_db(m["due"]),
        m["version"],
        PostmortemStatus(m["status"]) if m["status"] else None,
        m["published_version"],
        m["author"],
        m["category"],
        updated,
    )
