"""Action items and their per-tracker export state, in SQL (SQLAlchemy Core)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from tocsin.app.action_items import CreateClaim, ItemFilter
from tocsin.core.action_items import (
    ActionItem,
    Category,
    Export,
    ItemStatus,
    Priority,
    TrackerKind,
)
from tocsin.store.tables import action_item_exports, action_items
from tocsin.store.types import utc_from_db

_i = action_items.c
_e = action_item_exports.c
_CLOSED = [ItemStatus.DONE.value, ItemStatus.WONT_DO.value]


class SqlActionItemRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, item: ActionItem) -> int:
        stmt = insert(action_items).values(_row(item)).returning(_i.id)
        return int(self._conn.execute(stmt).scalar_one())

    def get(self, item_id: int, lock: bool = False) -> ActionItem | None:
        stmt = select(action_items).where(_i.id == item_id)
        if lock:
            stmt = stmt.with_for_update()
        row = self._conn.execute(stmt).first()
        if row is None:
            return None
        return _item(row._mapping, self._exports([item_id]).get(item_id, ()))

    def save(self, item: ActionItem) -> None:
        self._conn.execute(update(action_items).where(_i.id == item.id).values(_row(item)))

    def find(self, query: ItemFilter) -> list[ActionItem]:
        stmt = select(action_items).order_by(_i.deadline.is_(None), _i.deadline, _i.id)
        if query.incident is not None:
            stmt = stmt.where(_i.incident == query.incident)
        if query.owner is not None:
            stmt = stmt.where(_i.owner == query.owner)
        if query.statuses:
            stmt = stmt.where(_i.status.in_([s.value for s in query.statuses]))
        if query.overdue_on is not None:
            stmt = stmt.where(_i.deadline < query.overdue_on, _i.status.not_in(_CLOSED))
        if query.exported_to is not None:
            exported = select(_e.item).where(
                _e.tracker == query.exported_to.value, _e.external_id.is_not(None)
            )
            stmt = stmt.where(_i.id.in_(exported))
        rows = [r._mapping for r in self._conn.execute(stmt.limit(query.limit))]
        exports = self._exports([r["id"] for r in rows])
        return [_item(r, exports.get(r["id"], ())) for r in rows]

    def put_export(self, item_id: int, export: Export) -> None:
        self._upsert(item_id, export.tracker, _export_row(export))

    def claim_create(
        self, item_id: int, tracker: TrackerKind, now: datetime, until: datetime
    ) -> CreateClaim:
        key = and_(_e.item == item_id, _e.tracker == tracker.value)
        row = self._conn.execute(
            select(_e.external_id, _e.creating_until).where(key).with_for_update()
        ).first()
        if row is None:
            self._conn.execute(insert(action_item_exports).values(
                item=item_id, tracker=tracker.value, creating_until=until))  # fmt: skip
            return CreateClaim(True, None, until)
        busy = utc_from_db(row.creating_until)
        if row.external_id is not None:
            return CreateClaim(False, row.external_id, None)
        if busy is not None and busy > now:
            return CreateClaim(False, None, busy)
        self._conn.execute(update(action_item_exports).where(key).values(creating_until=until))
        return CreateClaim(True, None, until)

    def release_create(self, item_id: int, tracker: TrackerKind, until: datetime) -> None:
        key = and_(_e.item == item_id, _e.tracker == tracker.value, _e.creating_until == until)
        self._conn.execute(update(action_item_exports).where(key).values(creating_until=None))

    def record_export(
        self,
        item_id: int,
        tracker: TrackerKind,
        remote: tuple[str, str | None, str | None],
        now: datetime,
    ) -> None:
        external_id, url, status = remote
        values: dict[str, Any] = {"external_id": external_id, "last_error": None,
                                  "exported_at": now, "creating_until": None}  # fmt: skip
        if url is not None:
            values["url"] = url
        if status is not None:
            values["remote_status"] = status
        self._upsert(item_id, tracker, values)

    def record_sync(
        self, item_id: int, tracker: TrackerKind, url: str | None, status: str | None,
        now: datetime,
    ) -> None:  # fmt: skip
        values: dict[str, Any] = {"remote_status": status, "synced_at": now, "last_error": None}
        if url is not None:
            values["url"] = url
        self._upsert(item_id, tracker, values)

    def note_error(self, item_id: int, tracker: TrackerKind, error: str) -> None:
        self._upsert(item_id, tracker, {"last_error": error})

    def _upsert(self, item_id: int, tracker: TrackerKind, values: dict[str, Any]) -> None:
        key = and_(_e.item == item_id, _e.tracker == tracker.value)
        if self._conn.execute(update(action_item_exports).where(key).values(values)).rowcount:
            return
        self._conn.execute(
            insert(action_item_exports).values(item=item_id, tracker=tracker.value, **values)
        )

    def closed_between(self, start: datetime, end: datetime) -> int:
        """How many items were closed (done or won't do) in [start, end), and are still."""
        stmt = select(func.count()).where(_i.closed_at >= start, _i.closed_at < end)
        return int(self._conn.execute(stmt).scalar_one())

    def _exports(self, ids: list[int]) -> dict[int, tuple[Export, ...]]:
        if not ids:
            return {}
        stmt = select(action_item_exports).where(_e.item.in_(ids)).order_by(_e.tracker)
        found: dict[int, list[Export]] = defaultdict(list)
        for row in self._conn.execute(stmt):
            m = row._mapping
            found[m["item"]].append(
                Export(
                    TrackerKind(m["tracker"]),
                    m["external_id"],
                    m["url"],
                    m["remote_status"],
                    m["last_error"],
                    utc_from_db(m["exported_at"]),
                    utc_from_db(m["synced_at"]),
                )
            )
        return {k: tuple(v) for k, v in found.items()}


def _row(item: ActionItem) -> dict[str, Any]:
    return {
        "incident": item.incident,
        "title": item.title,
        "owner": item.owner,
        "deadline": item.deadline,
        "priority": item.priority.value,
        "labels": list(item.labels),
        "status": item.status.value,
        "category": item.category.value,
        "runbook": item.runbook,
        "postmortem": item.postmortem,
        "created_by": item.created_by,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "revision": item.revision,
        "closed_at": item.closed_at,
    }


def _export_row(export: Export) -> dict[str, Any]:
    return {
        "external_id": export.external_id,
        "url": export.url,
        "remote_status": export.remote_status,
        "last_error": export.last_error,
        "exported_at": export.exported_at,
        "synced_at": export.synced_at,
    }


def _item(m: Any, exports: tuple[Export, ...]) -> ActionItem:
    created, updated = utc_from_db(m["created_at"]), utc_from_db(m["updated_at"])
    assert created is not None  # noqa: S101 - NOT NULL
    assert updated is not None  # noqa: S101 - NOT NULL
    return ActionItem(
        id=m["id"],
        incident=m["incident"],
        title=m["title"],
        owner=m["owner"],
        deadline=m["deadline"],
        priority=Priority(m["priority"]),
        labels=tuple(m["labels"]),
        status=ItemStatus(m["status"]),
        category=Category(m["category"]),
        runbook=m["runbook"],
        postmortem=m["postmortem"],
        created_by=m["created_by"],
        created_at=created,
        updated_at=updated,
        revision=m["revision"],
        closed_at=utc_from_db(m["closed_at"]),
        exports=exports,
    )
