"""The review's arithmetic (core/insights.py) against figures worked out by hand, and its
rendering (integrations/report/): Markdown tables, HTML with inline SVG and nothing fetched."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tocsin.core.errors import InvalidInput
from tocsin.core.insights import (
    Fact,
    FactsDelta,
    RecurringAlert,
    between,
    median,
    p90,
    previous_quarter,
    quarter,
    review,
    runbook_index,
    short,
)
from tocsin.core.severity import SeverityModel
from tocsin.core.timeline import EntryKind, TimelineEntry
from tocsin.integrations.report import render

Q3 = quarter("2026Q3")
T0 = int(Q3.start.timestamp())
MIN = 60
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def test_quarters_and_day_ranges_are_half_open_utc_periods() -> None:
    assert (Q3.start, Q3.end) == (
        datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC),
    )  # fmt: skip
    q4 = quarter("2026-q4")
    assert (q4.name, q4.end) == ("2026Q4", datetime(2027, 1, 1, tzinfo=UTC))
    days = between(date(2026, 7, 1), date(2026, 7, 31))
    assert days.end == datetime(2026, 8, 1, tzinfo=UTC)  # the last day is whole
    assert previous_quarter(datetime(2026, 10, 1, tzinfo=UTC)).name == "2026Q3"
    assert previous_quarter(datetime(2026, 1, 15, tzinfo=UTC)).name == "2025Q4"
    assert Q3.months() == ["2026-07", "2026-08", "2026-09"]
    with pytest.raises(InvalidInput, match="2026Q3"):
        quarter("2026Q5")
    with pytest.raises(InvalidInput, match="before"):
        between(date(2026, 7, 2), date(2026, 7, 1))


def test_median_is_the_middle_and_p90_the_nearest_rank() -> None:
    assert (median([4, 1, 3, 2]), p90([4, 1, 3, 2])) == (2.5, 4.0)
    assert (median([7]), p90([7])) == (7.0, 7.0)
    assert p90(list(range(1, 11))) == 9.0  # ceil(0.9 * 10) = the 9th
    assert p90(list(range(1, 12))) == 10.0  # ceil(9.9) = the 10th
    assert (median([]), p90([])) == (None, None)


def entry(seq: int, kind: EntryKind, actor: str = "ann", **data: object) -> TimelineEntry:
    return TimelineEntry(seq, kind, Q3.start + timedelta(minutes=seq), actor, "", dict(data))


def test_facts_delta_counts_reopens_the_first_resolve_and_steps_people_ran() -> None:
    delta = FactsDelta.of([
        entry(2, EntryKind.RESOLVED),
        entry(3, EntryKind.REOPENED),
        entry(4, EntryKind.COMMAND, runbook="db", status="succeeded"),
        entry(5, EntryKind.COMMAND, "tocsin", runbook="db", status="succeeded"),  # by itself
        entry(6, EntryKind.COMMAND, runbook="db", status="skipped"),
        entry(7, EntryKind.COMMAND, action="rds.reboot", status=None),  # a typed action
        entry(8, EntryKind.COMMAND, runbook="cache", status="failed"),  # ran, and failed
        entry(9, EntryKind.RESOLVED),
        entry(10, EntryKind.REOPENED),
    ])  # fmt: skip
    assert delta.reopens == 2
    assert delta.first_resolved_at == Q3.start + timedelta(minutes=2)
    assert (delta.steps_run, delta.runbooks) == (2, ("db", "cache"))


def fact(n: int, sev: str, at_min: int, ack: int | None = None, res: int | None = None,
         **kw: object) -> Fact:  # fmt: skip
    """Minutes after the quarter starts."""
    at = T0 + at_min * MIN
    return Fact(n, sev, at, None if ack is None else at + ack * MIN,
                None if res is None else at + res * MIN, **kw)  # type: ignore[arg-type]  # fmt: skip


def test_the_response_target_share_counts_never_acknowledged_as_missed_once_it_passed(
    severities: SeverityModel,
) -> None:
    as_of = Q3.start + timedelta(days=1)
    facts = [
        fact(1, "P2", 0, ack=15, res=60),  # exactly the 15 min target: met
        fact(2, "P2", 10, ack=16, res=30),  # missed
        fact(3, "P2", 20),  # never acknowledged, a day ago: missed
        fact(4, "P2", 24 * 60 - 5),  # never acknowledged, 5 min ago: not decided yet
        fact(5, "P2", -1, ack=1),  # declared the minute before the quarter: not in it
        fact(6, "P2", 92 * 24 * 60, ack=1),  # the first minute of the next quarter: not in it
    ]
    r = review(Q3, as_of, facts, severities, {})
    p2 = next(s for s in r.by_severity if s.severity == "P2")
    assert (r.total, p2.incidents, p2.met, p2.missed) == (4, 4, 1, 2)
    assert p2.met_share == pytest.approx(1 / 3)
    assert (p2.mtta.count, p2.mtta.median, p2.mtta.p90) == (2, 15.5 * MIN, 16.0 * MIN)
    assert (p2.mttr.count, p2.mttr.median, p2.unresolved) == (2, 45.0 * MIN, 2)


def test_counts_by_service_tenant_cause_and_the_recurring_patterns(
    severities: SeverityModel,
) -> None:
    facts = [
        fact(1, "P1", 0, 1, 5, services=("api",), tenants=("acme",), cause="deploy"),
        fact(2, "P3", 1, 1, 5, services=("api", "db"), all_tenants=True, cause="deploy"),
        fact(3, "P3", 2, 1, 5, services=("api",), cause="deploy", reopens=2),
        fact(4, "P4", 3, 1, 5, cause="capacity"),
        fact(5, "P9", 4, 1, 5, services=("db",)),  # a severity no longer configured
    ]
    alerts = [RecurringAlert("prom", k, "api", "High", f, f * 2, None)
              for k, f in (("a", 3), ("b", 2), ("c", 7))]  # fmt: skip
    r = review(Q3, AS_OF, facts, severities, {}, alerts)
    assert [(s.severity, s.incidents) for s in r.by_severity] == [
        ("P1", 1), ("P2", 0), ("P3", 2), ("P4", 1), ("P9", 1),
    ]  # fmt: skip
    assert r.by_service == [("api", 3), ("db", 2), ("(no service)", 1)]
    assert r.by_tenant == [("(no tenant given)", 3), ("(all tenants)", 1), ("acme", 1)]
    assert r.by_cause == [("deploy", 3), ("capacity", 1), ("uncategorised", 1)]
    assert (r.recurring_services, r.recurring_causes) == ([("api", 3)], [("deploy", 3)])
    assert [a.dedup_key for a in r.recurring_alerts] == ["c", "a"]  # fired 3+ times
    assert (r.reopened, r.unresolved) == (1, 0)


def test_runbook_feedback_names_services_without_one_and_runbooks_nobody_used(
    severities: SeverityModel,
) -> None:
    index = runbook_index([("api-errors", ["API", "web"]), ("any", [])])
    facts = [
        fact(1, "P2", 0, services=("api",), runbooks=("api-errors",)),  # used
        fact(2, "P2", 1, services=("api",)),  # has one, not used
        fact(3, "P2", 2, services=("db",)),  # none
        fact(4, "P2", 3),  # no service: nothing to look up
        fact(5, "P2", 4, services=("db",), runbooks=("elsewhere",)),  # ran another: still none
    ]
    r = review(Q3, AS_OF, facts, severities, index)
    assert [(g.number, g.reason) for g in r.no_runbook] == [(3, "no runbook"), (5, "no runbook")]
    assert [(g.number, g.runbooks) for g in r.runbook_unused] == [(2, ("api-errors",))]
    wildcard = review(Q3, AS_OF, facts, severities, {**index, "*": ("general",)})
    assert wildcard.no_runbook_total == 0
    assert wildcard.runbook_unused_total == 3  # 2, 3 and 5 (and 1 used api-errors)


def test_durations_read_as_people_say_them() -> None:
    assert [short(s) for s in (None, 45, 420, 7200, 3 * 86400)] == [
        "–", "45 s", "7 min", "2.0 h", "3.0 d",
    ]  # fmt: skip


def small_review(severities: SeverityModel) -> object:
    facts = [
        fact(1, "P1", 0, 4, 60, services=("api",), tenants=("acme",)),
        fact(2, "P1", 60 * 24 * 40, 10, 300, services=("<b>api</b>",), reopens=1),
    ]
    return review(Q3, AS_OF, facts, severities, {})


def test_the_markdown_report_has_its_tables(severities: SeverityModel) -> None:
    md = render.markdown(small_review(severities))  # type: ignore[arg-type]
    assert md.startswith(
        "# Incident review 2026Q3\n\n2026-07-01 to 2026-09-30 (UTC), as of 2026-11-01T00:00:00Z\n"
    )
    assert "2 incident(s) declared; 1 reopened; 0 not resolved" in md
    assert "| P1 | 2 | 7 min | 10 min | 3.0 h | 5.0 h | 5 min | 50 % (1/2) | 0 | 1 |" in md
    assert "| P2 | 0 | – | – | – | – | 15 min | – | 0 | 0 |" in md
    assert "| 2026-07 | 1 | 1 | 0 | 0 | 0 | 4 min | 60 min |" in md
    assert "| 2026-08 | 1 | 1 | 0 | 0 | 0 | 10 min | 5.0 h |" in md
    assert "| 2026-09 | 0 |" in md
    assert "## Recurring patterns" in md
    assert "## Runbook feedback" in md


def test_the_html_report_draws_inline_svg_and_fetches_nothing(
    severities: SeverityModel,
) -> None:
    html = render.html(small_review(severities))  # type: ignore[arg-type]
    assert html.startswith("<!doctype html>")
    svgs = re.findall(r"<svg role=\"img\".*?</svg>", html, re.DOTALL)
    assert len(svgs) >= 7  # severity, MTTA, MTTR, target, service, tenant, cause, months
    for svg in svgs:
        assert re.search(r"<title id=\"[\w-]+-title\">[^<]+</title><desc id=", svg)
    assert '<desc id="by-severity-desc">P1: 2; P2: 0; P3: 0; P4: 0</desc>' in html
    assert "<script" not in html.lower()
    assert not re.search(r"(?i)(https?:)?//|<link|<img|@import|url\(", html)
    assert "<b>api</b>" not in html
    assert "&lt;b&gt;api&lt;/b&gt;" in html
    assert "<td>7 min</td>" in html  # the numbers are in a table too


def test_an_empty_period_says_so_and_draws_nothing(severities: SeverityModel) -> None:
    empty = review(Q3, AS_OF, [], severities, {})
    assert empty.empty
    assert empty.to_dict()["empty"] is True
    md, html = render.markdown(empty), render.html(empty)
    assert "No incidents were declared in 2026Q3" in md
    assert "## " not in md
    assert "<svg" not in html
    assert "<table" not in html


def test_insights_channel_must_be_one_of_the_channels() -> None:
    import yaml

    from tocsin.config import TocsinConfig, render_preset

    data = yaml.safe_load(render_preset("p1-p4"))
    data["insights"] = {"channel": "nowhere", "email": ["lead@example.com"]}
    with pytest.raises(ValueError, match="insights.channel 'nowhere' is not under channels"):
        TocsinConfig.model_validate(data)
    data["channels"] = [{"name": "nowhere", "type": "webhook", "url": "https://example.com/h"}]
    assert TocsinConfig.model_validate(data).insights.email == ["lead@example.com"]


def test_post_mortems_are_on_time_late_overdue_or_not_due_yet(severities: SeverityModel) -> None:
    from tocsin.core.insights import PostmortemFact, postmortem_figures

    as_of = datetime.fromtimestamp(200, UTC)
    facts = [
        PostmortemFact("P1", 100, 100),  # published at the due time: on time
        PostmortemFact("P1", 100, 150),  # late
        PostmortemFact("P1", 100, None),  # overdue
        PostmortemFact("P2", 300, None),  # not due yet
    ]
    p1, p2, every = postmortem_figures(facts, severities, as_of)
    assert (p1.required, p1.on_time, p1.late, p1.overdue, p1.pending) == (3, 1, 1, 1, 0)
    assert p1.on_time_share == pytest.approx(1 / 3)
    assert (p2.pending, p2.on_time_share) == (1, None)
    assert (every.severity, every.required, every.pending) == ("all", 4, 1)
    assert postmortem_figures([], severities, as_of) == []
