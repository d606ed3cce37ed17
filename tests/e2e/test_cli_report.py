"""`tocsin report`: the review's files, its JSON, the period options' errors, rebuild."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.conftest import Cli
from tocsin.core.insights import quarter_of


def test_report_writes_markdown_and_html_and_refuses_bad_periods(cli: Cli, project: Path) -> None:
    assert cli("declare", "Checkout is down", "-s", "P1", "--service", "api").code == 0
    now = quarter_of(datetime.now(UTC)).name  # the incident was just declared
    code, text = cli("report", "--quarter", now, "-o", "out", json=False)
    assert code == 0, text
    assert f"1 incident(s) in {now}." in text
    md = (project / "out" / f"review-{now}.md").read_text(encoding="utf-8")
    html = (project / "out" / f"review-{now}.html").read_text(encoding="utf-8")
    assert "| P1 | 1 |" in md
    assert "<svg" in html
    assert "<script" not in html
    code, figures = cli("report", "--quarter", now)
    assert (code, figures["incidents"], figures["by_service"]) == (
        0, 1, [{"name": "api", "incidents": 1}],
    )  # fmt: skip
    code, text = cli("report", "--quarter", "2020Q1", "-o", "empty", json=False)
    assert (code, "No incidents were declared in 2020Q1" in text) == (0, True)
    assert "<svg" not in (project / "empty" / "review-2020Q1.html").read_text(encoding="utf-8")
    assert cli("report", "--quarter", "2026Q7", json=False).code == 2
    code, text = cli("report", "--from", "2026-07-01", json=False)
    assert (code, "--from and --to go together" in text) == (2, True)
    code, text = cli("report", "--from", "1 July", "--to", "2026-07-02", json=False)
    assert (code, "YYYY-MM-DD" in text) == (2, True)
    code, text = cli("report", "rebuild", json=False)
    assert (code, "Rebuilt the facts of 1 incident(s)." in text) == (0, True)
