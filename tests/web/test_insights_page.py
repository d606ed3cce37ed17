"""The web Insights page and its downloads: the same figures as the API, charts inline."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.integration.test_insights import script
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin


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
