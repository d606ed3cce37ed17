"""The quarterly review end to end on SQLite and PostgreSQL: scripted incidents through the
use cases, the facts rows the store keeps with them, and figures computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin
from tocsin.core.action_items import Draft
from tocsin.core.insights import quarter
from tocsin.core.scope import Scope
from tocsin.store.insights import rebuild
from tocsin.store.tables import incident_facts
from tocsin.store.uow import SqlUnitOfWork

Q3 = quarter("2026Q3")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def script(t: Tocsin, clock: ManualClock) -> None:
    """Six incidents; the comments are the figures they make."""
    inc = t.incidents
    # INC-1 P1 api/acme: acknowledged after 4 min (met 5 min), resolved after 1 h.
    clock.set(at("2026-07-10T10:00:00"))
    inc.declare("ann", "one", "P1", Scope(services=("api",), tenants=("acme",)))
    clock.advance(timedelta(minutes=4))
    inc.acknowledge("INC-1", "ann")
    clock.set(at("2026-07-10T11:00:00"))
    inc.resolve("INC-1", "ann")
    # INC-2 P1 api: acknowledged after 10 min (missed), resolved at 2 h, reopened, resolved
    # again at 5 h: MTTR counts the last resolve.
    clock.set(at("2026-08-05T12:00:00"))
    inc.declare("bob", "two", "P1", Scope(services=("api",)))
    clock.advance(timedelta(minutes=10))
    inc.acknowledge("INC-2", "bob")
    clock.set(at("2026-08-05T14:00:00"))
    inc.resolve("INC-2", "bob")
    clock.set(at("2026-08-05T15:00:00"))
    inc.reopen("INC-2", "bob", "back again")
    clock.set(at("2026-08-05T17:00:00"))
    inc.resolve("INC-2", "bob")
    # INC-3 P1 api: declared 30 min before the quarter ends, never acknowledged (missed),
    # resolved in the next quarter after 2 h: it belongs to Q3.
    clock.set(at("2026-09-30T23:30:00"))
    inc.declare("cat", "three", "P1", Scope(services=("api",)))
    clock.set(at("2026-10-01T01:30:00"))
    inc.resolve("INC-3", "cat")
    # INC-4 P2 db, every tenant: acknowledged after 20 min (missed 15 min), still open.
    clock.set(at("2026-09-01T08:00:00"))
    inc.declare("dan", "four", "P2", Scope(services=("db",), tenants="all"))
    clock.advance(timedelta(minutes=20))
    inc.acknowledge("INC-4", "dan")
    # INC-5 in Q4, INC-6 in Q2 (resolved in Q3): neither is in Q3.
    clock.set(at("2026-10-02T09:00:00"))
    inc.declare("eve", "five", "P3")
    clock.set(at("2026-06-30T23:59:00"))
    inc.declare("fay", "six", "P2", Scope(services=("web",)))
    clock.set(at("2026-07-01T00:30:00"))
    inc.resolve("INC-6", "fay")
    clock.set(at("2026-11-01T00:00:00"))


def test_the_figures_of_a_scripted_quarter_match_the_ones_computed_by_hand(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    script(tocsin, clock)
    review = tocsin.insights.review(Q3)
    assert review.total == 4
    p1, p2, p3, p4 = review.by_severity
    assert (p1.severity, p1.incidents, p2.incidents, p3.incidents, p4.incidents) == (
        "P1", 3, 1, 0, 0,
    )  # fmt: skip
    # P1 MTTA over INC-1 (240 s) and INC-2 (600 s); INC-3 never acknowledged is left out.
    assert (p1.mtta.count, p1.mtta.median, p1.mtta.p90) == (2, 420.0, 600.0)
    # P1 MTTR: 3600, 18000 (the last resolve of the reopened INC-2), 7200.
    assert (p1.mttr.count, p1.mttr.median, p1.mttr.p90) == (3, 7200.0, 18000.0)
    assert (p1.met, p1.missed, p1.target_s) == (1, 2, 300.0)  # INC-3 missed, never acked
    assert p1.met_share == pytest.approx(1 / 3)
    assert (p1.reopened, p1.unresolved) == (1, 0)
    assert (p2.mtta.median, p2.mttr.count, p2.met, p2.missed, p2.unresolved) == (
        1200.0, 0, 0, 1, 1,
    )  # fmt: skip
    assert p3.met_share is None  # nothing to judge
    assert review.by_service == [("api", 3), ("db", 1)]
    assert review.by_tenant == [("(no tenant given)", 2), ("(all tenants)", 1), ("acme", 1)]
    assert review.by_cause == [("uncategorised", 4)]
    assert [(m.month, m.incidents) for m in review.months] == [
        ("2026-07", 1), ("2026-08", 1), ("2026-09", 2),
    ]  # fmt: skip
    assert review.recurring_services == [("api", 3)]
    assert (review.reopened, review.unresolved) == (1, 1)
    assert review.no_runbook_total == 4  # no runbooks in this directory
    assert [g.title for g in review.no_runbook] == ["one", "two", "three", "four"]


def test_the_facts_rows_kept_with_each_change_equal_a_rebuild_from_the_timeline(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    script(tocsin, clock)
    kept = _rows(tocsin)
    assert len(kept) == 6
    by_number = {r[0]: r for r in kept}
    assert by_number[2][1:] == (
        "P1", int(at("2026-08-05T12:00:00").timestamp()),
        int(at("2026-08-05T12:10:00").timestamp()), int(at("2026-08-05T17:00:00").timestamp()),
        int(at("2026-08-05T14:00:00").timestamp()), 1, "api", "", False, 0, "",
    )  # fmt: skip
    # A person runs a runbook step, Tocsin a diagnostic; the severity and scope change.
    with SqlUnitOfWork(tocsin.engine) as uow:
        inc = uow.incidents.get(4)
        step = {"runbook": "db-failover", "status": "succeeded"}
        inc.record_command(clock.now(), "dan", "Fail over: exit 0", step)
        inc.record_command(clock.now(), "tocsin", "First look: exit 0", step)
        uow.incidents.save(inc)
        uow.commit()
    tocsin.incidents.change_severity("INC-4", "dan", "P1")
    tocsin.incidents.change_scope("INC-4", "dan", Scope(services=("db", "api"), tenants=("a",)))
    kept = _rows(tocsin)
    assert kept[3][1:] == (
        "P1", int(at("2026-09-01T08:00:00").timestamp()),
        int(at("2026-09-01T08:20:00").timestamp()), None, None, 0, "db\napi", "a", False, 1,
        "\ndb-failover",
    )  # fmt: skip
    with tocsin.engine.begin() as conn:
        assert rebuild(conn, batch=4) == 6
    assert _rows(tocsin) == kept


def test_a_quarter_without_incidents_says_so_instead_of_drawing(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    script(tocsin, clock)
    report = tocsin.insights.report(quarter("2025Q1"))
    assert report.review.empty
    assert "No incidents were declared in 2025Q1" in report.markdown
    assert "No incidents were declared in 2025Q1" in report.html
    assert "<svg" not in report.html
    assert "|" not in report.markdown  # no table either


def _rows(t: Tocsin) -> list[tuple[object, ...]]:
    c = incident_facts.c
    with t.engine.connect() as conn:
        rows = conn.execute(
            select(
                c.number, c.severity, c.declared, c.acknowledged, c.resolved, c.first_resolved,
                c.reopens, c.services, c.tenants, c.all_tenants, c.steps_run, c.runbooks,
            ).order_by(c.number)
        )  # fmt: skip
        return [tuple(r) for r in rows]


def test_post_mortems_on_time_and_their_categories_come_from_the_post_mortems(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    script(tocsin, clock)  # P1 post-mortems due 48 h after the last resolve
    pm = tocsin.postmortems
    clock.set(at("2026-07-11T09:00:00"))  # INC-1: due 12 July 11:00, published before
    pm.draft("INC-1", "ann", category="database")
    pm.move("INC-1", "review", "ann")
    pm.move("INC-1", "publish", "ann")
    clock.set(at("2026-08-10T09:00:00"))  # INC-2: due 7 August 17:00, published after
    pm.draft("INC-2", "bob", category="database")
    pm.move("INC-2", "review", "bob")
    pm.move("INC-2", "publish", "bob")
    clock.set(at("2026-11-01T00:00:00"))  # INC-3: due 3 October 01:30, never published
    review = tocsin.insights.review(Q3)
    p1, total = review.postmortems
    assert (p1.severity, p1.required, p1.on_time, p1.late, p1.overdue, p1.pending) == (
        "P1", 3, 1, 1, 1, 0,
    )  # fmt: skip
    assert p1.on_time_share == pytest.approx(1 / 3)
    assert (total.severity, total.required) == ("all", 3)
    assert review.by_cause == [("database", 2), ("uncategorised", 2)]
    report = tocsin.insights.report(Q3)
    assert "| P1 | 3 | 1 | 1 | 1 | 0 | 33 % |" in report.markdown


def test_action_items_closed_come_from_the_items_of_the_quarters_incidents(
    tocsin: Tocsin, clock: ManualClock
) -> None:
    script(tocsin, clock)
    items = tocsin.action_items
    clock.set(at("2026-07-11T09:00:00"))
    on_time = items.add("INC-1", Draft("Add a disk alert", "ann", "2026-07-20"), "ann")
    late = items.add("INC-2", Draft("Fix the retry storm", "bob", "2026-08-10"), "bob")
    overdue = items.add("INC-4", Draft("Test the failover", "dan", "2026-09-10"), "dan")
    items.add("INC-4", Draft("Update the runbook", "dan"), "dan")  # open, no deadline
    items.add("INC-5", Draft("In the next quarter", "eve"), "eve")  # INC-5 is in Q4
    clock.set(at("2026-07-20T23:00:00"))  # within the deadline's day
    items.set_status(on_time.ref, "done", "ann")
    clock.set(at("2026-08-11T00:30:00"))  # the day after the deadline
    items.set_status(late.ref, "wont_do", "bob")
    clock.set(at("2026-11-01T00:00:00"))
    found = tocsin.insights.review(Q3).action_items
    assert found is not None
    assert (found.total, found.done, found.wont_do, found.open, found.overdue) == (4, 1, 1, 2, 1)
    assert (found.closed, found.closed_on_time) == (2, 1)
    assert found.closed_share == pytest.approx(0.5)
    assert overdue.status.value == "open"
    report = tocsin.insights.report(Q3)
    assert "| 4 | 1 | 1 | 2 | 1 | 1 | 50 % |" in report.markdown
    assert 'id="action-items"' in report.html or "action-items" in report.html
    assert tocsin.insights.review(quarter("2026Q2")).action_items is None
