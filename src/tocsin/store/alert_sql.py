"""The ingestion path's statements as prebuilt SQL on the DB-API cursor.

SQLAlchemy Core costs ~150-200 µs of Python per statement on this path (building, cache
keys, per-row bind and result processing) against 10-30 µs of SQLite. These statements are
written once per dialect and take tuples. Values are stored exactly as the SQLAlchemy types
in `types.py` store them, so either side reads what the other wrote: on SQLite, times as
naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff` and JSON as `json.dumps` text; on PostgreSQL,
aware datetimes and JSONB.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from tocsin.app.alert_records import AlertGroup, AlertRow
from tocsin.core.alerts import AlertStatus
from tocsin.core.routing import DeclareMode
from tocsin.store.types import utc_from_db

ALERT_COLUMNS = (
    "integration", "dedup_key", "status", "summary", "source_severity", "severity", "service",
    "group_key", "labels", "annotations", "source_url", "first_seen", "last_seen",
    "starts_at", "ends_at", "count", "flaps", "incident", "suppressed_by", "acknowledged",
)  # fmt: skip
_ALERT_JSON = frozenset({"labels", "annotations"})
GROUP_COLUMNS = (
    "group_key", "service", "incident", "alerts", "events", "firing", "first_at", "last_at",
    "label_counts", "next_milestone", "declare_mode", "firing_since", "dismissed_at",
    "dismissed_by",
)  # fmt: skip
_KEYS_PER_SELECT = 500


class AlertSql:
    """Statements and value conversions for one dialect ("sqlite" or "postgresql")."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"
        p = "?" if self.sqlite else "%s"
        j = p if self.sqlite else f"CAST({p} AS JSONB)"
        alert_values = ", ".join(j if c in _ALERT_JSON else p for c in ALERT_COLUMNS)
        self.insert_alert = (
            f"INSERT INTO alerts ({', '.join(ALERT_COLUMNS)}) VALUES ({alert_values})"  # noqa: S608 - constant names
        )
        sets = ", ".join(f"{c} = {j if c in _ALERT_JSON else p}" for c in ALERT_COLUMNS)
        self.update_alert = f"UPDATE alerts SET {sets} WHERE id = {p}"  # noqa: S608 - constant names
        self.select_alerts = (
            f"SELECT id, {', '.join(ALERT_COLUMNS)} FROM alerts "  # noqa: S608 - constant names
            f"WHERE integration = {p} AND dedup_key IN "
        )
        self.placeholder = p
        group_values = ", ".join(j if c == "label_counts" else p for c in GROUP_COLUMNS)
        self.insert_group = (
            f"INSERT INTO alert_groups ({', '.join(GROUP_COLUMNS)}) VALUES ({group_values})"  # noqa: S608 - constant names
        )
        group_sets = ", ".join(
            f"{c} = {j if c == 'label_counts' else p}" for c in GROUP_COLUMNS[1:]
        )
        self.update_group = f"UPDATE alert_groups SET {group_sets} WHERE group_key = {p}"  # noqa: S608 - constant names
        self.select_group = (
            f"SELECT {', '.join(GROUP_COLUMNS)} FROM alert_groups WHERE group_key = {p}"  # noqa: S608 - constant names
        )
        self.select_groups = (
            f"SELECT {', '.join('g.' + c for c in GROUP_COLUMNS)}, i.status "  # noqa: S608 - constant names
            "FROM alert_groups g LEFT JOIN incidents i ON i.number = g.incident "
            "WHERE g.group_key IN "
        )
        self.active_silences = (
            "SELECT id, matchers, starts_at, ends_at, author, comment FROM silences "  # noqa: S608
            f"WHERE ends_at > {p} ORDER BY id"
        )
        self.active_windows = (
            "SELECT id, service, starts_at, ends_at, author, comment "  # noqa: S608
            f"FROM maintenance_windows WHERE ends_at > {p} ORDER BY id"
        )
        self.incident_status = f"SELECT status FROM incidents WHERE number = {p}"  # noqa: S608
        # PostgreSQL only: one advisory lock per id, in the array's order.
        self.lock_groups = (
            "SELECT count(pg_advisory_xact_lock(%s, k)) FROM unnest(CAST(%s AS INTEGER[])) AS k"
        )
        self.link_group = (
            f"UPDATE alerts SET incident = {p} WHERE group_key = {p} AND incident IS NULL"  # noqa: S608 - constant names
        )

    # -- values ----------------------------------------------------------------------------

    def time(self, value: datetime | None) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ", "microseconds") if self.sqlite else value

    def read_time(self, value: Any) -> datetime | None:
        return utc_from_db(value)

    def required_time(self, value: Any) -> datetime:
        found = self.read_time(value)
        if found is None:
            raise ValueError("NULL in a NOT NULL time column")
        return found

    def read_json(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    # -- alerts ----------------------------------------------------------------------------

    def alert_params(self, r: AlertRow) -> tuple[Any, ...]:
        t = self.time
        return (
            r.integration, r.dedup_key, r.status.value, r.summary, r.source_severity,
            r.severity, r.service, r.group_key, json.dumps(r.labels), json.dumps(r.annotations),
            r.source_url, t(r.first_seen), t(r.last_seen), t(r.starts_at), t(r.ends_at),
            r.count, r.flaps, r.incident, r.suppressed_by, bool(r.acknowledged),
        )  # fmt: skip

    def select_alerts_chunks(
        self, integration: str, keys: Sequence[str]
    ) -> Iterable[tuple[str, tuple[Any, ...]]]:
        return self._chunks(self.select_alerts, (integration,), keys)

    def select_groups_chunks(self, keys: Sequence[str]) -> Iterable[tuple[str, tuple[Any, ...]]]:
        """Groups with their incident's status (NULL without one), 500 keys a statement."""
        return self._chunks(self.select_groups, (), keys)

    def _chunks(
        self, sql: str, leading: tuple[Any, ...], keys: Sequence[str]
    ) -> Iterable[tuple[str, tuple[Any, ...]]]:
        for start in range(0, len(keys), _KEYS_PER_SELECT):
            chunk = keys[start : start + _KEYS_PER_SELECT]
            marks = ", ".join([self.placeholder] * len(chunk))
            yield f"{sql}({marks})", (*leading, *chunk)

    def alert(self, row: Sequence[Any]) -> AlertRow:
        rt, rj = self.read_time, self.read_json
        (row_id, integration, key, status, summary, source_severity, severity, service,
         group_key, labels, annotations, source_url, first_seen, last_seen, starts_at,
         ends_at, count, flaps, incident, suppressed_by, acknowledged) = row  # fmt: skip
        first, last = self.required_time(first_seen), self.required_time(last_seen)
        return AlertRow(
            integration, key, AlertStatus(status), summary, source_severity, severity,
            service, group_key, rj(labels), rj(annotations), source_url, first, last,
            rt(starts_at), rt(ends_at), count, flaps, incident, suppressed_by,
            bool(acknowledged), row_id,
        )  # fmt: skip

    # -- groups ----------------------------------------------------------------------------

    def group_params(self, g: AlertGroup) -> tuple[Any, ...]:
        t = self.time
        return (
            g.group_key, g.service, g.incident, g.alerts, g.events, g.firing,
            t(g.first_at), t(g.last_at), json.dumps(g.label_counts), g.next_milestone,
            g.declare_mode.value, t(g.firing_since), t(g.dismissed_at), g.dismissed_by,
        )  # fmt: skip

    def group(self, row: Sequence[Any]) -> AlertGroup:
        (key, service, incident, alerts, events, firing, first, last, counts, milestone,
         mode, firing_since, dismissed_at, dismissed_by) = row  # fmt: skip
        rt = self.read_time
        return AlertGroup(
            key, service, self.required_time(first), self.required_time(last), incident,
            alerts, events, firing, self.read_json(counts), milestone, DeclareMode(mode),
            rt(firing_since), rt(dismissed_at), dismissed_by,
        )  # fmt: skip
