"""The web Insights page and its downloads: the same figures as the API, charts inline."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.integration.test_insights import script
from tocsin.app.clock import ManualClock
from tocsin.app.insights import StoredReview
from tocsin.bootstrap import Tocsin
from tocsin.core.insights import quarter


def test_the_insights_page_shows_the_quarter_with_inline_charts_and_no_script(
    viewer: TestClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    script(tocsin, clock)
    page = viewer.get("/insights?quarter=2026Q3")
    assert page.status_code == 200
    assert 'href="/insights" aria-current="page"' in page.text  # the nav link
    assert "Incident review 2026Q3" in page.text
    assert page.text.count("<svg") >= 5
    assert "<script" not in page.text.split("<main", 1)[1]
    assert re.search(r"<td>P1</td><td>3</td><td>7 min</td>", page.text)
    md = viewer.get("/insights/report.md?quarter=2026Q3")
    assert md.status_code == 200
    assert 'filename="review-2026Q3.md"' in md.headers["content-disposition"]
    assert md.text.startswith("# Incident review 2026Q3")


def test_a_bad_quarter_is_named_on_the_page_not_a_crash(viewer: TestClient) -> None:
    page = viewer.get("/insights?quarter=2026Q5")
    assert page.status_code == 422
    assert "write it as YEARQN" in page.text


def test_the_dashboard_lists_the_reviews_made_at_quarter_ends(
    viewer: TestClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    script(tocsin, clock)
    made = tocsin.insights.report(quarter("2026Q3"))
    stored = StoredReview("2026Q3", clock.now(), 4, made.markdown, made.html,
                          {"email:lead@example.com": "sent"})  # fmt: skip
    assert tocsin.insights.store.add_review(stored)
    assert not tocsin.insights.store.add_review(stored)  # once per quarter
    home = viewer.get("/")
    assert '<a href="/insights/reviews/2026Q3">Incident review 2026Q3</a>' in home.text
    assert "email:lead@example.com sent" in home.text
    shown = viewer.get("/insights/reviews/2026Q3")
    assert (shown.status_code, shown.text) == (200, made.html)
    assert viewer.get("/insights/reviews/2026Q2").status_code == 404
