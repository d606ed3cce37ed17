"""The ingestion path's hand-written SQL stores values exactly as the SQLAlchemy types do,
so either side reads what the other wrote (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Engine, insert, select

from tocsin.app.alert_records import AlertGroup, AlertRow
from tocsin.bootstrap import Tocsin
from tocsin.core.alerts import AlertStatus
from tocsin.core.routing import DeclareMode, Matcher
from tocsin.core.silences import MaintenanceWindow, Silence
from tocsin.store.alerts import SqlAlertRepository
from tocsin.store.tables import alert_groups, alerts

WHEN = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 22, 4, 30, 0, 5, tzinfo=timezone(timedelta(hours=-3)))


def row(key: str) -> AlertRow:
    plus_two = datetime(2026, 11, 22, 5, 0, 0, 123, tzinfo=timezone(timedelta(hours=2)))
    labels = {"alertname": "Disk", "zone": "é"}
    return AlertRow(
        "prom", key, AlertStatus.FIRING, "disk full", "critical", "P1", "db", "g1", labels,
        {"summary": "s"}, None, WHEN, WHEN, plus_two, None, 3, 1, 7, None, True,
    )  # fmt: skip


def group(key: str, is_new: bool = False) -> AlertGroup:
    return AlertGroup(
        key, "db", WHEN, WHEN, None, 2, 3, 1, {"a": {"b": 1}}, 5, DeclareMode.NEVER,
        LATER, LATER, "ann é", is_new,
    )  # fmt: skip


def test_raw_and_sqlalchemy_rows_are_stored_alike(engine: Engine) -> None:
    with engine.begin() as conn:
        repo = SqlAlertRepository(conn)
        repo.insert_alerts([row("raw")])
        values = {c.name: getattr(row("orm"), c.name) for c in alerts.columns if c.name != "id"}
        conn.execute(insert(alerts).values(**{**values, "status": "firing"}))
        repo.save_group(group("g1", is_new=True))
        conn.execute(
            insert(alert_groups).values(
                group_key="g2", service="db", incident=None, alerts=2, events=3, firing=1,
                first_at=WHEN, last_at=WHEN, label_counts={"a": {"b": 1}}, next_milestone=5,
                declare_mode="never", firing_since=LATER, dismissed_at=LATER,
                dismissed_by="ann é",
            )
        )  # fmt: skip
    with engine.connect() as conn:
        stored = [
            tuple(r)[3:]
            for r in conn.exec_driver_sql("SELECT * FROM alerts ORDER BY dedup_key DESC")
        ]
        assert stored[0] == stored[1]  # raw and orm, byte for byte but for id and key
        groups = [tuple(r)[1:] for r in conn.exec_driver_sql("SELECT * FROM alert_groups")]
        assert groups[0] == groups[1]
        repo = SqlAlertRepository(conn)
        found = repo.by_keys("prom", ["raw", "orm", "missing"])
        assert found["raw"].starts_at == datetime(2026, 11, 22, 3, 0, 0, 123, tzinfo=UTC)
        assert {k: (r.labels, r.acknowledged, r.incident) for k, r in found.items()} == {
            k: ({"alertname": "Disk", "zone": "é"}, True, 7) for k in ("raw", "orm")
        }
        assert repo.group("g1") == group("g1")
        assert repo.group("g2") == group("g2")
        orm = conn.execute(select(alerts.c.first_seen).where(alerts.c.dedup_key == "raw"))
        assert orm.scalar_one() == WHEN


def test_active_silences_and_windows_read_alike_both_ways(engine: Engine) -> None:
    later, past = WHEN + timedelta(hours=1), WHEN - timedelta(hours=1)
    with engine.begin() as conn:
        repo = SqlAlertRepository(conn)
        for ends in (later, past):
            start = past - timedelta(hours=1)
            repo.add_silence(Silence.new([Matcher.parse("service=db")], start, ends, "al", "c"))
            repo.add_window(MaintenanceWindow.new("db", start, ends, "al", "c"))
    with engine.connect() as conn:
        repo = SqlAlertRepository(conn)
        silences, windows = repo.silences(WHEN), repo.windows(WHEN)
        assert silences == [s for s in repo.silences(WHEN, True) if s.ends_at > WHEN]
        assert windows == [w for w in repo.windows(WHEN, True) if w.ends_at > WHEN]
        assert (len(silences), len(windows)) == (1, 1)
        assert silences[0].matchers == (Matcher.parse("service=db"),)


def test_groups_are_read_at_once_with_their_incidents_status(tocsin: Tocsin) -> None:
    """One statement for the ingestion's groups gives what `group` and `incident_open` give
    one group at a time (SQLite and PostgreSQL)."""
    open_one = tocsin.incidents.declare("al", "Open", "P2").incident.number
    closed = tocsin.incidents.declare("al", "Closed", "P2").incident.number
    tocsin.incidents.resolve(closed, "al")
    with tocsin.engine.begin() as conn:
        repo = SqlAlertRepository(conn)
        for key, incident in (("g-open", open_one), ("g-closed", closed), ("g-none", None)):
            repo.save_group(replace(group(key, is_new=True), incident=incident))
    with tocsin.engine.connect() as conn:
        repo = SqlAlertRepository(conn)
        found = repo.groups(["g-open", "g-closed", "g-none", "g-missing", "g-open"])
        assert {k: (g.incident, is_open) for k, (g, is_open) in found.items()} == {
            "g-open": (open_one, True),
            "g-closed": (closed, False),
            "g-none": (None, False),
        }
        for key, (stored, _) in found.items():
            assert stored == repo.group(key)
        assert repo.incident_open(open_one)
        assert not repo.incident_open(closed)
        assert repo.groups([]) == {}
