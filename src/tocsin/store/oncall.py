"""On-call overrides and calendar feeds on SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from tocsin.app.oncall_records import CalendarFeed, FeedTarget, OverrideRecord
from tocsin.store.tables import calendar_feeds, oncall_overrides
from tocsin.store.types import utc_from_db

_o = oncall_overrides.c
_f = calendar_feeds.c


class SqlOncallRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_override(self, override: OverrideRecord) -> int:
        stmt = insert(oncall_overrides).values(
            schedule=override.schedule,
            person=override.person,
            starts_at=override.starts_at,
            ends_at=override.ends_at,
            created_by=override.created_by,
            created_at=override.created_at,
            reason=override.reason,
        )
        return int(self._conn.execute(stmt.returning(_o.id)).scalar_one())

    def overrides(
        self, schedule: str | None = None, ending_after: datetime | None = None
    ) -> list[OverrideRecord]:
        stmt = select(oncall_overrides).order_by(_o.created_at, _o.id)
        if schedule is not None:
            stmt = stmt.where(_o.schedule == schedule)
        if ending_after is not None:
            stmt = stmt.where(_o.ends_at > ending_after)
        return [_override(r._mapping) for r in self._conn.execute(stmt)]

    def remove_override(self, override_id: int) -> OverrideRecord | None:
        row = self._conn.execute(
            delete(oncall_overrides).where(_o.id == override_id).returning(*oncall_overrides.c)
        ).first()
        return None if row is None else _override(row._mapping)

    def add_feed(
        self, target: str, name: str, token_hash: str, created_by: str, now: datetime
    ) -> CalendarFeed:
        values = {"target": target, "name": name, "token_hash": token_hash}
        new_id = self._conn.execute(
            insert(calendar_feeds)
            .values(**values, created_by=created_by, created_at=now)
            .returning(_f.id)
        ).scalar_one()
        return CalendarFeed(int(new_id), FeedTarget(target), name, created_by, now)

    def feeds(self) -> list[CalendarFeed]:
        rows = self._conn.execute(select(calendar_feeds).order_by(_f.id))
        return [_feed(r._mapping) for r in rows]

    def feed_by_hash(self, token_hash: str) -> CalendarFeed | None:
        row = self._conn.execute(select(calendar_feeds).where(_f.token_hash == token_hash)).first()
        return None if row is None else _feed(row._mapping)

    def remove_feed(self, feed_id: int) -> CalendarFeed | None:
        row = self._conn.execute(
            delete(calendar_feeds).where(_f.id == feed_id).returning(*calendar_feeds.c)
        ).first()
        return None if row is None else _feed(row._mapping)


def _time(value: Any) -> datetime:
    moment = utc_from_db(value)
    assert moment is not None  # noqa: S101 - NOT NULL columns
    return moment


def _override(row: Any) -> OverrideRecord:
    return OverrideRecord(
        row["id"],
        row["schedule"],
        row["person"],
        _time(row["starts_at"]),
        _time(row["ends_at"]),
        row["created_by"],
        _time(row["created_at"]),
        row["reason"],
    )


def _feed(row: Any) -> CalendarFeed:
    return CalendarFeed(
        row["id"],
        FeedTarget(row["target"]),
        row["name"],
        row["created_by"],
        _time(row["created_at"]),
    )
