"""The quarterly review's storage: the per-incident facts row (written with the incident, in
its transaction), the reads a review makes, and rebuilding the rows from the timeline.

A review is two statements: the facts rows declared in the period (one narrow row each,
straight from the driver's cursor) and the alerts that kept coming back. Nothing reads
`timeline_entries`, however long it is; only `rebuild` (the migration's backfill, and
`tocsin report rebuild`) does, in batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import OperationalError

from tocsin.app.errors import DatabaseUnavailable
from tocsin.app.insights import PeriodData, StoredReview
from tocsin.core import snapshot
from tocsin.core.incident import Incident
from tocsin.core.insights import (
    FACT_KINDS,
    RECURRING_AT,
    SEP,
    Fact,
    FactsDelta,
    ItemFact,
    PostmortemFact,
    RecurringAlert,
    seconds,
)
from tocsin.core.timeline import EntryKind, TimelineEntry
from tocsin.store.tables import (
    action_items,
    alerts,
    incident_facts,
    incidents,
    insights_reviews,
    postmortem_versions,
    postmortems,
    timeline_entries,
)
from tocsin.store.types import utc_from_db

BATCH = 500
_f = incident_facts.c


def facts_row(incident: Incident) -> dict[str, Any]:
    """What the incident's own state says (the rest comes from its entries)."""
    scope = incident.scope
    return {
        "severity": incident.severity,
        "acknowledged": seconds(incident.acknowledged_at),
        "resolved": seconds(incident.resolved_at),
        "services": SEP.join(scope.services),
        "tenants": "" if scope.all_tenants else SEP.join(scope.tenants),
        "all_tenants": scope.all_tenants,
    }


def facts_values(incident: Incident, entries: Sequence[TimelineEntry]) -> dict[str, Any]:
    """The whole facts row of an incident first written with these entries (the benchmark's
    generator writes the same)."""
    delta = FactsDelta.of(entries)
    return {
        "number": incident.number,
        "declared": seconds(incident.declared_at),
        "reopens": delta.reopens,
        "first_resolved": seconds(delta.first_resolved_at),
        "steps_run": delta.steps_run,
        "runbooks": "".join(SEP + n for n in delta.runbooks),
        **facts_row(incident),
    }


def add_facts(
    conn: Connection,
    incident: Incident,
    entries: Sequence[TimelineEntry],
) -> None:
    conn.execute(insert(incident_facts).values(**facts_values(incident, entries)))


def save_facts(conn: Connection, incident: Incident, entries: Sequence[TimelineEntry]) -> None:
    """Bring the row up to date after a save; a save of entries that change no fact
    (messages, pages, notes, alerts, escalation) writes nothing."""
    if not any(e.kind in FACT_KINDS for e in entries):
        return
    delta = FactsDelta.of(entries)
    values: dict[str, Any] = dict(facts_row(incident))
    if delta.reopens:
        values["reopens"] = _f.reopens + delta.reopens
    if delta.first_resolved_at is not None:
        values["first_resolved"] = func.coalesce(
            _f.first_resolved, seconds(delta.first_resolved_at)
        )
    if delta.steps_run:
        values["steps_run"] = _f.steps_run + delta.steps_run
        values["runbooks"] = _f.runbooks + "".join(SEP + n for n in delta.runbooks)
    conn.execute(update(incident_facts).where(_f.number == incident.number).values(**values))


# -- reads ---------------------------------------------------------------------------------

_COLUMNS = (  # core/insights.py's Fact, in its order; the category is the post-mortem's
    "f.number, f.severity, f.declared, f.acknowledged, f.resolved, f.reopens, f.services, "
    "f.tenants, f.all_tenants, f.runbooks, p.category"
)


def facts(conn: Connection, start: datetime, end: datetime) -> list[Fact]:
    """The facts of the incidents declared in [start, end), with their post-mortem's
    root-cause category, on the driver's cursor: one statement, its rows handed over as
    they come (a `Fact` is a tuple in the same order; the lists of names stay as stored,
    split by the review). No SQLAlchemy row or type processing, no object built per row."""
    sql = (
        f"SELECT {_COLUMNS} FROM incident_facts f "  # noqa: S608 - constant
        "LEFT JOIN postmortems p ON p.incident = f.number "
        "WHERE f.declared >= %s AND f.declared < %s"
    )
    params: tuple[Any, ...] = (seconds(start), seconds(end))
    if conn.dialect.paramstyle == "qmark":
        sql = sql.replace("%s", "?")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return cast(list[Fact], cursor.fetchall())
    finally:
        cursor.close()


def required_postmortems(conn: Connection, start: datetime, end: datetime) -> list[PostmortemFact]:
    """The post-mortems due (required) for incidents declared in [start, end): severity, due
    time, and when a version was first published."""
    p, v = postmortems.c, postmortem_versions.c
    first = (
        select(func.min(v.saved_at))
        .where(v.incident == p.incident, v.status == "published")
        .scalar_subquery()
    )
    rows = conn.execute(
        select(_f.severity, p.due, first)
        .select_from(postmortems.join(incident_facts, _f.number == p.incident))
        .where(p.due.is_not(None), _f.declared >= seconds(start), _f.declared < seconds(end))
    )
    return [
        PostmortemFact(severity, seconds(due) or 0, seconds(utc_from_db(published)))
        for severity, due, published in rows
    ]


def incident_items(conn: Connection, start: datetime, end: datetime) -> list[ItemFact]:
    """The action items of incidents declared in [start, end): status, the end of the
    deadline's day, when closed."""
    a = action_items.c
    rows = conn.execute(
        select(a.status, a.deadline, a.closed_at)
        .select_from(action_items.join(incident_facts, _f.number == a.incident))
        .where(_f.declared >= seconds(start), _f.declared < seconds(end))
    )
    return [
        ItemFact(status, _day_end(deadline), seconds(utc_from_db(closed)))
        for status, deadline, closed in rows
    ]


def _day_end(day: date | None) -> int | None:
    if day is None:
        return None
    return seconds(datetime.combine(day + timedelta(days=1), time(), UTC))


def recurring_alerts(
    conn: Connection, start: datetime, end: datetime, limit: int = 20
) -> list[RecurringAlert]:
    """Alerts seen in [start, end) that fired RECURRING_AT times or more (flaps counts the
    times an alert fired again after resolving)."""
    a = alerts.c
    rows = conn.execute(
        select(
            a.integration,
            a.dedup_key,
            a.service,
            a.summary,
            a.flaps,
            a.count.label("events"),
            a.incident,
        )
        .where(a.last_seen >= start, a.first_seen < end, a.flaps >= RECURRING_AT - 1)
        .order_by(a.flaps.desc(), a.dedup_key)
        .limit(limit)
    )
    return [
        RecurringAlert(
            r.integration, r.dedup_key, r.service, r.summary, r.flaps + 1, r.events, r.incident
        )
        for r in rows
    ]


def titles(conn: Connection, numbers: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    rows = conn.execute(
        select(incidents.c.number, incidents.c.title).where(incidents.c.number.in_(wanted))
    )
    return {r.number: r.title for r in rows}


# -- rebuilding ----------------------------------------------------------------------------

_DELTA_KINDS = [EntryKind.REOPENED.value, EntryKind.RESOLVED.value, EntryKind.COMMAND.value]


def rebuild(conn: Connection, batch: int = BATCH) -> int:
    """Write every incident's facts row again from its state and the few timeline entries
    that add to it (reopens, resolves, commands), BATCH incidents at a time; return how
    many rows were written. Incidents whose state cannot be read are left out."""
    written, last = 0, 0
    t = timeline_entries.c
    while True:
        rows = conn.execute(
            select(incidents.c.number, incidents.c.state)
            .where(incidents.c.number > last)
            .order_by(incidents.c.number)
            .limit(batch)
        ).all()
        if not rows:
            return written
        first, last = rows[0][0], rows[-1][0]
        entries: dict[int, list[TimelineEntry]] = {}
        for r in conn.execute(
            select(t.incident, t.seq, t.kind, t.at, t.actor, t.data)
            .where(t.incident.between(first, last), t.kind.in_(_DELTA_KINDS))
            .order_by(t.incident, t.seq)
        ):
            entry = TimelineEntry(r.seq, EntryKind(r.kind), r.at, r.actor, "", r.data)
            entries.setdefault(r.incident, []).append(entry)
        conn.execute(delete(incident_facts).where(_f.number.between(first, last)))
        for number, state in rows:
            try:
                incident = snapshot.from_dict(state)
            except snapshot.SnapshotError:
                continue
            add_facts(conn, incident, entries.get(number, []))
            written += 1


def count(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM incident_facts")).scalar_one())


@contextmanager
def _storage_errors() -> Iterator[None]:
    """What the entrypoints know: the app's storage errors, not SQLAlchemy's."""
    try:
        yield
    except OperationalError as exc:
        raise DatabaseUnavailable(f"database unavailable: {exc.orig}") from None


class SqlInsights:
    """The app's `InsightsStore`: each read in one read-only transaction (one snapshot; on
    SQLite no write lock), `rebuild` in one write transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def read(self, start: datetime, end: datetime) -> PeriodData:
        with _storage_errors(), self._engine.connect() as conn:
            conn.execution_options(tocsin_read_only=True)
            with conn.begin():
                return PeriodData(
                    facts(conn, start, end),
                    recurring_alerts(conn, start, end),
                    required_postmortems(conn, start, end),
                    incident_items(conn, start, end),
                )

    def titles(self, numbers: list[int]) -> dict[int, str]:
        with _storage_errors(), self._engine.connect() as conn:
            conn.execution_options(tocsin_read_only=True)
            with conn.begin():
                return titles(conn, numbers)

    def rebuild(self) -> int:
        with _storage_errors(), self._engine.begin() as conn:
            return rebuild(conn)

    # -- the reviews made at each quarter's end -----------------------------------------

    def stored_review(self, quarter: str) -> StoredReview | None:
        r = insights_reviews.c
        with self._engine.connect() as conn:
            row = conn.execute(select(insights_reviews).where(r.quarter == quarter)).first()
        return None if row is None else _stored(row, with_text=True)

    def add_review(self, review: StoredReview) -> bool:
        """False: a review of that quarter is stored already (another worker made it)."""
        r = insights_reviews.c
        with self._engine.begin() as conn:
            if conn.execute(select(r.quarter).where(r.quarter == review.quarter)).first():
                return False
            conn.execute(
                insert(insights_reviews).values(
                    quarter=review.quarter, made_at=review.made_at, incidents=review.incidents,
                    markdown=review.markdown, html=review.html, deliveries=review.deliveries,
                    summary=review.summary,
                )
            )  # fmt: skip
        return True

    def record_delivery(self, quarter: str, destination: str, status: str) -> None:
        r = insights_reviews.c
        with self._engine.begin() as conn:
            row = conn.execute(
                select(r.deliveries).where(r.quarter == quarter).with_for_update()
            ).first()
            if row is None:
                return
            deliveries = {**row.deliveries, destination: status}
            conn.execute(
                update(insights_reviews).where(r.quarter == quarter).values(deliveries=deliveries)
            )

    def reviews(self, limit: int) -> list[StoredReview]:
        """The newest first, without their text."""
        r = insights_reviews.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(r.quarter, r.made_at, r.incidents, r.deliveries)
                .order_by(r.quarter.desc())
                .limit(limit)
            ).all()
        return [_stored(row, with_text=False) for row in rows]


def _stored(row: Any, with_text: bool) -> StoredReview:
    return StoredReview(
        row.quarter, row.made_at, row.incidents, row.markdown if with_text else "",
        row.html if with_text else "", dict(row.deliveries),
        row.summary if with_text else "",
    )  # fmt: skip
