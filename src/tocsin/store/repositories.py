"""The incident repository on SQLAlchemy Core. It never commits: the unit of work does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

from tocsin.app.errors import DatabaseCorrupt, DatabaseTooNew
from tocsin.app.ports import IncidentFilter, Recorded
from tocsin.app.views import PUBLIC_VERSION, incident_text
from tocsin.core import search, snapshot
from tocsin.core.errors import ConcurrentChange, IncidentNotFound
from tocsin.core.incident import Incident, format_id
from tocsin.core.timeline import EntryKind, TimelineEntry
from tocsin.store.insights import add_facts, save_facts
from tocsin.store.tables import (
    counters,
    incident_search,
    incident_services,
    incidents,
    timeline_entries,
)

S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True, slots=True)
class Reencoded:
    """A read model's public JSON encoded again on read, to be stored if still current."""

    number: int
    version: int
    text: str


class SqlIncidentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._recorded: list[Recorded] = []
        self.reencoded: list[Reencoded] = []
        """What `find_json`/`detail_json` encoded again (older than PUBLIC_VERSION), for the
        caller to store with `rewrite_public` in a write transaction of its own."""

    def take_recorded(self) -> list[Recorded]:
        taken, self._recorded = self._recorded, []
        return taken

    def next_number(self) -> int:
        stmt = (
            update(counters)
            .where(counters.c.name == "incident")
            .values(value=counters.c.value + 1)
            .returning(counters.c.value)
        )
        return int(self._conn.execute(stmt).scalar_one())

    def add(self, incident: Incident) -> None:
        self._conn.execute(insert(incidents).values(**projection_row(incident)))
        self._write_services(incident, replace=False)
        text = search.searchable([incident.title, *search.written(incident.pending)])
        self._conn.execute(insert(incident_search).values(incident=incident.number, text=text))
        add_facts(self._conn, incident, _new(incident))  # the review's row (store/insights.py)
        self._write_entries(incident)

    def get(self, number: int) -> Incident:
        row = self._conn.execute(_GET, {"n": number}).first()
        if row is None:
            raise IncidentNotFound(format_id(number))
        return _load(row.state)

    def save(self, incident: Incident) -> None:
        if incident.version == incident.loaded_version:
            return
        params = {
            **projection_row(incident),
            "n": incident.number,
            "loaded": incident.loaded_version,
        }
        result = self._conn.execute(_SAVE, params)
        if result.rowcount != 1:
            raise ConcurrentChange(incident.id, incident.loaded_version)
        if any(e.kind is EntryKind.SCOPE_CHANGED for e in incident.pending):
            self._write_services(incident, replace=True)
        self._write_search(incident)
        save_facts(self._conn, incident, _new(incident))
        self._write_entries(incident)

    def _write_search(self, incident: Incident) -> None:
        new = [e for e in incident.pending if e.seq > incident.loaded_version]
        more = search.searchable(search.written(new))
        if more:
            self._conn.execute(
                update(incident_search)
                .where(incident_search.c.incident == incident.number)
                .values(text=incident_search.c.text + more)
            )

    def find(self, query: IncidentFilter) -> list[Incident]:
        stmt = _filtered(select(incidents.c.state), query)
        stmt = stmt.order_by(incidents.c.number.desc()).limit(query.limit).offset(query.offset)
        return [_load(row.state) for row in self._conn.execute(stmt)]

    def count(self, query: IncidentFilter) -> int:
        return int(self._conn.execute(select(self._total(query))).scalar_one())

    def find_json(self, query: IncidentFilter) -> tuple[list[str], int]:
        """The incidents' public JSON as text (`incident_text`, stored with every change) and
        the total that match, in one statement: one round trip, one snapshot of the data."""
        if _unfiltered(query):  # the page every client polls: the precompiled statement
            rows = self._raw(_LATEST, {"limit": query.limit, "offset": query.offset})
        else:
            stmt = _filtered(select(self._total(query), _PUBLIC, _STALE_STATE), query)
            stmt = stmt.order_by(incidents.c.number.desc()).limit(query.limit)
            rows = [tuple(row) for row in self._conn.execute(stmt.offset(query.offset))]
        if not rows:  # past the end: the total still counts
            return [], self.count(query)
        return [self._public(row[1], row[2]) for row in rows], int(rows[0][0])

    def detail_json(self, number: int) -> str:
        """The public JSON with `"timeline": [...]` spliced in, as `incident_json` shapes it,
        from one statement (the incident rides on the first timeline row only)."""
        rows = self._raw(_DETAIL, {"n": number})
        if not rows:
            raise IncidentNotFound(format_id(number))
        public = self._public(rows[0][0], rows[0][1])
        entries = ",".join(
            _ENTRY % (seq, _quote(kind), _at(at), _quote(actor), _quote(text), data)
            for _, _, seq, kind, at, actor, text, data in rows
            if seq is not None
        )
        return f'{public.rstrip()[:-1]}, "timeline": [{entries}]}}'

    def _public(self, stored: str, stale_state: str | None) -> str:
        """The stored public JSON, or, where an older encoder wrote it (the statement then
        hands over the state), the incident's JSON encoded now."""
        if stale_state is None:
            return stored
        incident = _load(json.loads(stale_state))
        text = incident_text(incident)
        self.reencoded.append(Reencoded(incident.number, incident.version, text))
        return text

    def rewrite_public(self, rows: list[Reencoded]) -> None:
        """Store public JSON encoded on read, where the incident is still at the version it
        was encoded from (a change since wrote its own) and no newer encoder wrote it."""
        c = incidents.c
        self._conn.execute(
            update(incidents)
            .where(
                c.number == bindparam("n"),
                c.version == bindparam("at"),
                c.public_version < PUBLIC_VERSION,
            )
            .values(public=bindparam("text"), public_version=PUBLIC_VERSION),
            [{"n": r.number, "at": r.version, "text": r.text} for r in rows],
        )

    def _raw(self, stmt: Select[Any], params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """A fixed statement straight on the driver's cursor, compiled once per dialect:
        none of SQLAlchemy's per-call work (cache key, execution context, result rows)."""
        sql, order, defaults = _compiled(stmt, self._conn.dialect)
        values = defaults | params
        cursor = self._conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, values if order is None else tuple(values[k] for k in order))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _total(self, query: IncidentFilter) -> ScalarSelect[Any]:
        if _unfiltered(query):  # incidents are never deleted: the counter is the count
            return select(counters.c.value).where(counters.c.name == "incident").scalar_subquery()
        return _filtered(select(func.count()).select_from(incidents), query).scalar_subquery()

    def timeline(self, number: int) -> list[TimelineEntry]:
        t = timeline_entries.c
        rows = self._conn.execute(
            select(t.seq, t.kind, t.at, t.actor, t.text, t.data)
            .where(t.incident == number)
            .order_by(t.seq)
        )
        return [
            TimelineEntry(r.seq, EntryKind(r.kind), r.at, r.actor, r.text, r.data) for r in rows
        ]

    def _write_entries(self, incident: Incident) -> None:
        new = _new(incident)
        rows = [
            {
                "incident": incident.number,
                "seq": e.seq,
                "kind": e.kind.value,
                "at": e.at,
                "actor": e.actor,
                "text": e.text,
                "data": e.data,
            }
            for e in new
        ]
        self._conn.execute(insert(timeline_entries), rows)
        self._recorded.append(Recorded(incident, new))
        incident.loaded_version = incident.version

    def _write_services(self, incident: Incident, *, replace: bool) -> None:
        if replace:
            self._conn.execute(
                delete(incident_services).where(incident_services.c.incident == incident.number)
            )
        services = sorted(set(incident.scope.services))
        if services:
            self._conn.execute(
                insert(incident_services),
                [{"incident": incident.number, "service": s} for s in services],
            )


# Built once: every page, step and update reads and saves an incident.
_GET = select(incidents.c.state).where(incidents.c.number == bindparam("n"))
_SAVE = update(incidents).where(  # SET: the projection row's columns, from the parameters
    incidents.c.number == bindparam("n"), incidents.c.version == bindparam("loaded")
)


def _new(incident: Incident) -> tuple[TimelineEntry, ...]:
    """The entries recorded since the incident was loaded or last saved."""
    return tuple(e for e in incident.pending if e.seq > incident.loaded_version)


_PUBLIC = incidents.c.public
# The state, as text, only where an older encoder wrote `public` (SQLite: the text as is;
# PostgreSQL: jsonb out): NULL, and nothing to transfer, for every up-to-date row.
_STALE = incidents.c.public_version < PUBLIC_VERSION
_STALE_STATE = case((_STALE, cast(incidents.c.state, Text)))
_t = timeline_entries.c
_FIRST = or_(_t.seq.is_(None), _t.seq == 1)
_DETAIL = (
    select(
        case((_FIRST, _PUBLIC)),
        case((and_(_FIRST, _STALE), cast(incidents.c.state, Text))),
        _t.seq,
        _t.kind,
        type_coerce(_t.at, String),
        _t.actor,
        _t.text,
        cast(_t.data, Text),
    )
    .select_from(incidents.outerjoin(timeline_entries, _t.incident == incidents.c.number))
    .where(incidents.c.number == bindparam("n"))
    .order_by(_t.seq)
)
_LATEST = (
    select(
        select(counters.c.value).where(counters.c.name == "incident").scalar_subquery(),
        _PUBLIC,
        _STALE_STATE,
    )
    .order_by(incidents.c.number.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_COMPILED: dict[tuple[int, str], tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}


def _compiled(
    stmt: Select[Any], dialect: Dialect
) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """The SQL text, the order of positional parameters (None for named ones), and the
    values SQLAlchemy bound itself (literals such as the 1 in `seq = 1`)."""
    key = (id(stmt), dialect.name)
    found = _COMPILED.get(key)
    if found is None:
        compiled = stmt.compile(dialect=dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        found = _COMPILED[key] = (str(compiled), order, dict(compiled.params))
    return found


_ENTRY = '{"seq": %d, "kind": %s, "at": "%s", "actor": %s, "text": %s, "data": %s}'
_quote = encode_basestring_ascii  # json.dumps of one str, without json.dumps's overhead


def _at(stored: str | datetime) -> str:
    """`iso()` of a stored time. SQLite hands back its text ("2026-01-02 03:04:05.000006",
    naive UTC, as `UTCDateTime` wrote it), reformatted here without parsing; PostgreSQL a
    datetime."""
    if isinstance(stored, str) and len(stored) == 26 and stored[10] == " ":
        fraction = "" if stored.endswith(".000000") else stored[19:]
        return f"{stored[:10]}T{stored[11:19]}{fraction}Z"
    moment = stored if isinstance(stored, datetime) else datetime.fromisoformat(stored)
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")  # iso(), without its checks per row


def _load(state: Any) -> Incident:
    """The incident a stored state describes; a state this Tocsin cannot read is a storage
    error naming the incident, not a crash."""
    try:
        return snapshot.from_dict(state)
    except snapshot.SnapshotTooNew as exc:
        raise DatabaseTooNew(str(exc)) from None
    except snapshot.SnapshotError as exc:
        raise DatabaseCorrupt(f"{exc}; restore the database from a backup") from None


def _unfiltered(query: IncidentFilter) -> bool:
    if query.statuses or query.severities:
        return False
    return query.service is None and query.since is None and not query.text


def projection_row(incident: Incident) -> dict[str, Any]:
    """The `incidents` row for an incident (the benchmark's seed writes the same): the
    stored state (`snapshot`) and, for the read models, the public JSON (`incident_text`)."""
    return {
        "number": incident.number,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status.value,
        "declared_at": incident.declared_at,
        "acknowledged_at": incident.acknowledged_at,
        "mitigated_at": incident.mitigated_at,
        "resolved_at": incident.resolved_at,
        "closed_at": incident.closed_at,
        "updated_at": incident.updated_at,
        "version": incident.version,
        "state": snapshot.to_dict(incident),
        "public": incident_text(incident),
        "public_version": PUBLIC_VERSION,
    }


def _filtered(stmt: S, query: IncidentFilter) -> S:
    conditions: list[ColumnElement[bool]] = []
    if query.statuses:
        conditions.append(incidents.c.status.in_([s.value for s in query.statuses]))
    if query.severities:
        conditions.append(incidents.c.severity.in_(list(query.severities)))
    if query.since is not None:
        conditions.append(incidents.c.declared_at >= query.since)
    if query.service is not None:
        conditions.append(
            incidents.c.number.in_(
                select(incident_services.c.incident).where(
                    incident_services.c.service == query.service
                )
            )
        )
    if query.text:
        conditions.append(_matching(query.text))
    return stmt.where(and_(*conditions)) if conditions else stmt


_LIKE_ESCAPE = "\\"


def _matching(text: str) -> ColumnElement[bool]:
    """The title or something people wrote contains `text`, in any case (core/search.py):
    a LIKE over one short row per incident, not over the timeline."""
    found = select(incident_search.c.incident).where(
        incident_search.c.text.like(search.pattern(text, _LIKE_ESCAPE), escape=_LIKE_ESCAPE)
    )
    return incidents.c.number.in_(found)
