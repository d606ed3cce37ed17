"""The `notices` table on SQLAlchemy Core: test pages and hand-off notices."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tocsin.app.notice_records import NoticePurpose, NoticeRecord, NoticeStatus
from tocsin.core.notify import ContactKind, ContactMethod
from tocsin.store.tables import notices
from tocsin.store.types import utc_from_db

_n = notices.c
_CHANGING = ("status", "attempts", "detail", "remote_id", "sent_at", "acknowledged_at",
             "acknowledged_via")  # fmt: skip


class SqlNoticeRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._postgres = conn.dialect.name == "postgresql"

    def add(self, notice: NoticeRecord) -> int | None:
        """The new row's id; None when a notice with that key exists."""
        values = _values(notice)
        del values["id"]
        dialect_insert = postgresql.insert if self._postgres else sqlite.insert
        stmt = (
            dialect_insert(notices).values(**values).on_conflict_do_nothing(index_elements=[_n.key])
        )
        row = self._conn.execute(stmt.returning(_n.id)).first()
        return None if row is None else int(row[0])

    def get(self, notice_id: int) -> NoticeRecord | None:
        row = self._conn.execute(select(notices).where(_n.id == notice_id)).first()
        return None if row is None else _record(row._mapping)

    def by_key(self, key: str) -> NoticeRecord | None:
        row = self._conn.execute(select(notices).where(_n.key == key)).first()
        return None if row is None else _record(row._mapping)

    def save(self, notice: NoticeRecord) -> None:
        values = _values(notice)
        changed = {name: values[name] for name in _CHANGING}
        self._conn.execute(update(notices).where(_n.id == notice.id).values(**changed))

    def find(
        self, purpose: NoticePurpose, person: str | None = None, limit: int = 500
    ) -> list[NoticeRecord]:
        """Newest first."""
        stmt = select(notices).where(_n.purpose == purpose.value)
        if person is not None:
            stmt = stmt.where(_n.person == person)
        rows = self._conn.execute(stmt.order_by(_n.id.desc()).limit(limit))
        return [_record(r._mapping) for r in rows]


def _values(n: NoticeRecord) -> dict[str, Any]:
    return {
        "id": n.id,
        "purpose": n.purpose.value,
        "key": n.key,
        "person": n.person,
        "kind": n.method.kind.value,
        "address": n.method.address,
        "label": n.method.label,
        "subject": n.subject,
        "title": n.title,
        "text": n.text,
        "status": n.status.value,
        "attempts": n.attempts,
        "detail": n.detail,
        "remote_id": n.remote_id,
        "requested_by": n.requested_by,
        "created_at": n.created_at,
        "sent_at": n.sent_at,
        "acknowledged_at": n.acknowledged_at,
        "acknowledged_via": n.acknowledged_via,
    }


def _record(row: Any) -> NoticeRecord:
    created = utc_from_db(row["created_at"])
    assert created is not None  # noqa: S101 - NOT NULL
    return NoticeRecord(
        row["id"],
        NoticePurpose(row["purpose"]),
        row["key"],
        row["person"],
        ContactMethod(ContactKind(row["kind"]), row["address"], row["label"]),
        row["subject"],
        row["title"],
        row["text"],
        NoticeStatus(row["status"]),
        row["attempts"],
        row["detail"],
        row["remote_id"],
        row["requested_by"],
        created,
        utc_from_db(row["sent_at"]),
        utc_from_db(row["acknowledged_at"]),
        row["acknowledged_via"],
    )
