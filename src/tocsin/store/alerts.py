"""Alerts, groups, integrations, silences and maintenance windows on SQLAlchemy Core."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from tocsin.app.alert_records import AlertGroup, AlertRow, Integration, Suggestion
from tocsin.app.ports import AlertFilter, SuggestionFilter
from tocsin.core.alerts import AlertStatus
from tocsin.core.lifecycle import Status
from tocsin.core.routing import DeclareMode, Matcher
from tocsin.core.silences import MaintenanceWindow, Silence
from tocsin.store.alert_sql import AlertSql
from tocsin.store.tables import (
    alert_groups,
    alerts,
    change_events,
    incidents,
    integrations,
    maintenance_windows,
    silences,
)

GROUP_LOCK_CLASS = 0x70C5  # the first half of the advisory lock's key: "alert group"


def group_lock_id(group_key: str) -> int:
    """A stable signed 32-bit number for a group key (the second half of the lock's key)."""
    return int.from_bytes(hashlib.blake2b(group_key.encode(), digest_size=4).digest(), signed=True)


_ALERT_COLUMNS = [c.name for c in alerts.columns if c.name != "id"]
_SQL: dict[str, AlertSql] = {}


def _statements(dialect: str) -> AlertSql:
    found = _SQL.get(dialect)
    if found is None:
        found = _SQL[dialect] = AlertSql(dialect)
    return found


class SqlAlertRepository:
    """Admin and queries on SQLAlchemy Core; the ingestion path's statements (alerts by
    key, insert, update, link, groups) as prebuilt SQL on the DB-API cursor (alert_sql.py)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._sql = _statements(conn.dialect.name)

    def _cursor(self) -> Any:
        """A cursor of the connection's own DB-API connection: the same transaction."""
        return self._conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    # -- integrations --------------------------------------------------------------------

    def add_integration(self, name: str, source: str, key: str, now: datetime) -> None:
        self._conn.execute(
            insert(integrations).values(name=name, source=source, key=key, created_at=now)
        )

    def rotate_integration(self, name: str, key: str, now: datetime) -> bool:
        result = self._conn.execute(
            update(integrations).where(integrations.c.name == name).values(key=key, rotated_at=now)
        )
        return result.rowcount == 1

    def integrations(self) -> list[Integration]:
        rows = self._conn.execute(select(integrations).order_by(integrations.c.name))
        return [_integration(r) for r in rows]

    def integration_by_key(self, key: str) -> Integration | None:
        r = self._conn.execute(select(integrations).where(integrations.c.key == key)).first()
        return None if r is None else _integration(r)

    # -- alerts --------------------------------------------------------------------------

    def lock_groups(self, group_keys: list[str]) -> None:
        """PostgreSQL: a transaction-level advisory lock per group, taken in one order (the
        locks' own numbers, sorted) so two writers never wait for each other in a circle.
        SQLite's BEGIN IMMEDIATE already makes every writer wait its turn."""
        if self._conn.dialect.name != "postgresql" or not group_keys:
            return
        ids = sorted({group_lock_id(key) for key in group_keys})
        self._cursor().execute(self._sql.lock_groups, (GROUP_LOCK_CLASS, ids))

    def by_keys(self, integration: str, keys: Iterable[str]) -> dict[str, AlertRow]:
        cur = self._cursor()
        found: dict[str, AlertRow] = {}
        for sql, params in self._sql.select_alerts_chunks(integration, sorted(set(keys))):
            cur.execute(sql, params)
            for r in cur.fetchall():
                row = self._sql.alert(r)
                found[row.dedup_key] = row
        return found

    def insert_alerts(self, rows: list[AlertRow]) -> None:
        if rows:
            self._cursor().executemany(
                self._sql.insert_alert, [self._sql.alert_params(r) for r in rows]
            )

    def update_alerts(self, rows: list[AlertRow]) -> None:
        if rows:
            params = [(*self._sql.alert_params(r), r.id) for r in rows]
            self._cursor().executemany(self._sql.update_alert, params)

    def link_group(self, group_key: str, incident: int, firing: bool = False) -> None:
        if not firing:  # the ingestion path: prebuilt
            self._cursor().execute(self._sql.link_group, (incident, group_key))
            return
        unlinked = or_(alerts.c.incident.is_(None), alerts.c.status == AlertStatus.FIRING.value)
        self._conn.execute(
            update(alerts)
            .where(alerts.c.group_key == group_key, unlinked)
            .values(incident=incident)
        )

    def incident_open(self, number: int) -> bool:
        """Whether alerts of a group attach to this incident: its status only, without
        loading (and parsing) the whole incident."""
        cur = self._cursor()
        cur.execute(self._sql.incident_status, (number,))
        found = cur.fetchone()
        return found is not None and Status(found[0]).is_open

    def find(self, query: AlertFilter) -> list[AlertRow]:
        stmt = _filtered(select(alerts), query).order_by(*_alert_order(query))
        rows = self._conn.execute(stmt.limit(query.limit).offset(query.offset))
        return [_alert(r) for r in rows]

    def count(self, query: AlertFilter) -> int:
        stmt = _filtered(select(func.count()).select_from(alerts), query)
        return int(self._conn.execute(stmt).scalar_one())

    def alert(self, alert_id: int) -> AlertRow | None:
        found = self._conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
        return None if found is None else _alert(found)

    # -- suggestions ---------------------------------------------------------------------

    def suggestions(self, query: SuggestionFilter) -> list[Suggestion]:
        stmt = _suggested(query).limit(query.limit).offset(query.offset)
        return [_suggestion(r) for r in self._conn.execute(stmt)]

    def count_suggestions(self, query: SuggestionFilter) -> int:
        return int(self._conn.execute(_counted(query)).scalar_one())

    # -- groups --------------------------------------------------------------------------

    def group(self, group_key: str) -> AlertGroup | None:
        cur = self._cursor()
        cur.execute(self._sql.select_group, (group_key,))
        found = cur.fetchone()
        return None if found is None else self._sql.group(found)

    def groups(self, group_keys: Iterable[str]) -> dict[str, tuple[AlertGroup, bool]]:
        cur = self._cursor()
        found: dict[str, tuple[AlertGroup, bool]] = {}
        for sql, params in self._sql.select_groups_chunks(sorted(set(group_keys))):
            cur.execute(sql, params)
            for *columns, status in cur.fetchall():
                group = self._sql.group(columns)
                found[group.group_key] = group, status is not None and Status(status).is_open
        return found

    def save_group(self, group: AlertGroup) -> None:
        params = self._sql.group_params(group)
        if group.is_new:
            self._cursor().execute(self._sql.insert_group, params)
            group.is_new = False
        else:
            self._cursor().execute(self._sql.update_group, (*params[1:], group.group_key))

    # -- silences and maintenance --------------------------------------------------------

    def add_silence(self, silence: Silence) -> int:
        matchers = [[m.name, m.op, m.value] for m in silence.matchers]
        return int(
            self._conn.execute(
                insert(silences)
                .values(
                    matchers=matchers,
                    starts_at=silence.starts_at,
                    ends_at=silence.ends_at,
                    author=silence.author,
                    comment=silence.comment,
                )
                .returning(silences.c.id)
            ).scalar_one()
        )

    def expire_silence(self, silence_id: int, now: datetime) -> bool:
        result = self._conn.execute(
            update(silences)
            .where(silences.c.id == silence_id, silences.c.ends_at > now)
            .values(ends_at=now)
        )
        return result.rowcount == 1

    def silences(self, now: datetime, include_expired: bool = False) -> list[Silence]:
        if not include_expired:  # every ingestion transaction: prebuilt SQL
            cur = self._cursor()
            cur.execute(self._sql.active_silences, (self._sql.time(now),))
            return [self._raw_silence(r) for r in cur.fetchall()]
        stmt = select(silences).order_by(silences.c.id)
        if not include_expired:
            stmt = stmt.where(silences.c.ends_at > now)
        return [_silence(r) for r in self._conn.execute(stmt)]

    def _raw_silence(self, r: Any) -> Silence:
        silence_id, matchers, starts, ends, author, comment = r
        parsed = tuple(Matcher.of(n, op, v) for n, op, v in self._sql.read_json(matchers))
        t = self._sql.required_time
        return Silence(silence_id, parsed, t(starts), t(ends), author, comment)

    def add_window(self, window: MaintenanceWindow) -> int:
        return int(
            self._conn.execute(
                insert(maintenance_windows)
                .values(
                    service=window.service,
                    starts_at=window.starts_at,
                    ends_at=window.ends_at,
                    author=window.author,
                    comment=window.comment,
                )
                .returning(maintenance_windows.c.id)
            ).scalar_one()
        )

    def window(self, window_id: int) -> MaintenanceWindow | None:
        t = maintenance_windows
        r = self._conn.execute(select(t).where(t.c.id == window_id)).first()
        if r is None:
            return None
        return MaintenanceWindow(r.id, r.service, r.starts_at, r.ends_at, r.author, r.comment)

    def update_window(self, window: MaintenanceWindow) -> None:
        t = maintenance_windows
        self._conn.execute(
            update(t)
            .where(t.c.id == window.id)
            .values(starts_at=window.starts_at, ends_at=window.ends_at, comment=window.comment)
        )

    def windows(self, now: datetime, include_expired: bool = False) -> list[MaintenanceWindow]:
        if not include_expired:  # every ingestion transaction: prebuilt SQL
            cur = self._cursor()
            cur.execute(self._sql.active_windows, (self._sql.time(now),))
            at = self._sql.required_time
            return [
                MaintenanceWindow(i, service, at(start), at(end), author, comment)
                for i, service, start, end, author, comment in cur.fetchall()
            ]
        t = maintenance_windows
        stmt = select(t).order_by(t.c.id)
        if not include_expired:
            stmt = stmt.where(t.c.ends_at > now)
        return [
            MaintenanceWindow(r.id, r.service, r.starts_at, r.ends_at, r.author, r.comment)
            for r in self._conn.execute(stmt)
        ]

    def add_change(
        self, integration: str, summary: str, source: str | None, at: datetime, details: Any
    ) -> None:
        self._conn.execute(
            insert(change_events).values(
                integration=integration, summary=summary, source=source, at=at, details=details
            )
        )


def _integration(r: Any) -> Integration:
    return Integration(r.name, r.source, r.key, r.created_at, r.rotated_at)


def _alert(r: Any, prefix: str = "") -> AlertRow:
    values = {c: getattr(r, prefix + c) for c in _ALERT_COLUMNS}
    values["status"] = AlertStatus(values["status"])
    return AlertRow(**values, id=getattr(r, prefix + "id"))


def _rank(column: Any, order: tuple[str, ...]) -> ColumnElement[int]:
    """A severity key's place in `order` (0: the most severe); unknown keys last."""
    if not order:
        return literal(0)
    return case({key: i for i, key in enumerate(order)}, value=column, else_=len(order))


def _alert_order(query: AlertFilter) -> tuple[Any, ...]:
    if not query.severity_order:
        return (alerts.c.last_seen.desc(), alerts.c.id)
    firing_first = case((alerts.c.status == AlertStatus.FIRING.value, 0), else_=1)
    rank = _rank(alerts.c.severity, query.severity_order)
    return (firing_first, rank, alerts.c.last_seen.desc(), alerts.c.id)


_OPEN = [s.value for s in Status if s.is_open]
_WORST = "worst_"  # the prefix of the worst alert's columns in a suggestion's row


def _suggested(query: SuggestionFilter) -> Select[Any]:
    """Suggested groups, each with its most severe firing unsuppressed alert (groups without
    one drop out), the worst first. The worst alert is looked up per candidate group through
    the group_key index: no pass over every firing alert."""
    a = alerts.alias("candidate")
    worst_id = (
        select(a.c.id)
        .where(a.c.group_key == alert_groups.c.group_key, *_pages(a))
        .order_by(_rank(a.c.severity, query.severity_order), a.c.last_seen.desc(), a.c.id)
        .limit(1)
        .scalar_subquery()
    )
    candidates = (
        select(alert_groups.c.group_key.label("key"), worst_id.label("worst_id"))
        .where(*_suggestable(query))
        .subquery()
    )
    worst = [c.label(_WORST + c.name) for c in alerts.columns]
    return (
        select(alert_groups, *worst)
        .join(candidates, candidates.c.key == alert_groups.c.group_key)
        .join(alerts, alerts.c.id == candidates.c.worst_id)
        .order_by(
            _rank(alerts.c.severity, query.severity_order),
            alert_groups.c.last_at.desc(),
            alert_groups.c.group_key,
        )
    )


def _counted(query: SuggestionFilter) -> Select[Any]:
    """How many `_suggested` finds, without looking for each group's worst alert."""
    a = alerts.alias("candidate")
    paging = exists().where(a.c.group_key == alert_groups.c.group_key, *_pages(a))
    return select(func.count()).select_from(alert_groups).where(*_suggestable(query), paging)


def _pages(a: Any) -> tuple[ColumnElement[bool], ...]:
    return (a.c.status == AlertStatus.FIRING.value, a.c.suppressed_by.is_(None))


def _suggestable(query: SuggestionFilter) -> tuple[ColumnElement[bool], ...]:
    """Routed with `suggest`, firing, without an open incident, dismissed or not as asked."""
    g = alert_groups.c
    open_incident = exists().where(incidents.c.number == g.incident, incidents.c.status.in_(_OPEN))
    dismissed = g.dismissed_at.is_not(None) if query.dismissed else g.dismissed_at.is_(None)
    return (
        g.declare_mode == DeclareMode.SUGGEST.value,
        g.firing > 0,
        dismissed,
        or_(g.incident.is_(None), ~open_incident),
    )


def _suggestion(r: Any) -> Suggestion:
    group = AlertGroup(
        r.group_key, r.service, r.first_at, r.last_at, r.incident, r.alerts, r.events,
        r.firing, r.label_counts, r.next_milestone, DeclareMode(r.declare_mode),
        r.firing_since, r.dismissed_at, r.dismissed_by,
    )  # fmt: skip
    return Suggestion(group, _alert(r, _WORST))


def _alert_values(row: AlertRow) -> dict[str, Any]:
    values = {c: getattr(row, c) for c in _ALERT_COLUMNS}
    values["status"] = row.status.value
    return values


def _silence(r: Any) -> Silence:
    matchers = tuple(Matcher.of(name, op, value) for name, op, value in r.matchers)
    return Silence(r.id, matchers, r.starts_at, r.ends_at, r.author, r.comment)


def _filtered(stmt: Any, query: AlertFilter) -> Any:
    conditions = []
    if query.status is not None:
        conditions.append(alerts.c.status == query.status.value)
    if query.service is not None:
        conditions.append(alerts.c.service == query.service)
    if query.integration is not None:
        conditions.append(alerts.c.integration == query.integration)
    if query.incident is not None:
        conditions.append(alerts.c.incident == query.incident)
    if query.suppressed is not None:
        column = alerts.c.suppressed_by
        conditions.append(column.is_not(None) if query.suppressed else column.is_(None))
    if query.group_key is not None:
        conditions.append(alerts.c.group_key == query.group_key)
    return stmt.where(and_(*conditions)) if conditions else stmt
