"""/api/v1/insights: the review's figures as JSON, for viewers; bad periods are 422."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import bearer
from tests.integration.test_insights import script
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin


def test_a_viewer_reads_the_quarter_s_figures(
    api: TestClient, role_tokens: dict[str, str], tocsin: Tocsin, clock: ManualClock
) -> None:
    script(tocsin, clock)
    got = api.get("/api/v1/insights?quarter=2026Q3", headers=bearer(role_tokens["viewer"]))
    assert got.status_code == 200
    body = got.json()
    assert body["period"] == {"name": "2026Q3", "from": "2026-07-01T00:00:00Z",
                              "to": "2026-10-01T00:00:00Z"}  # fmt: skip
    assert (body["empty"], body["incidents"], body["reopened"], body["unresolved"]) == (
        False, 4, 1, 1,
    )  # fmt: skip
    p1 = body["by_severity"][0]
    assert p1 == {
        "severity": "P1", "incidents": 3, "response_target_s": 300.0,
        "mtta": {"count": 2, "median_s": 420.0, "p90_s": 600.0},
        "mttr": {"count": 3, "median_s": 7200.0, "p90_s": 18000.0},
        "target_met": 1, "target_missed": 2, "target_met_share": 1 / 3,
        "unresolved": 0, "reopened": 1,
    }  # fmt: skip
    assert body["by_service"] == [{"name": "api", "incidents": 3}, {"name": "db", "incidents": 1}]
    assert [m["month"] for m in body["months"]] == ["2026-07", "2026-08", "2026-09"]
    assert body["recurring"]["services"] == [{"name": "api", "incidents": 3}]
    assert body["runbooks"]["no_runbook"] == 4
    # P1 post-mortems are required: INC-1..3 resolved, none published, all due by now.
    assert body["postmortems"][0] == {
        "severity": "P1", "required": 3, "on_time": 0, "late": 0, "overdue": 3, "pending": 0,
        "on_time_share": 0.0,
    }  # fmt: skip
    days = api.get("/api/v1/insights?from=2026-07-01&to=2026-09-30",
                   headers=bearer(role_tokens["viewer"]))  # fmt: skip
    assert days.json()["by_severity"] == body["by_severity"]


def test_an_empty_range_says_so(api: TestClient, role_tokens: dict[str, str]) -> None:
    got = api.get("/api/v1/insights?quarter=2020Q1", headers=bearer(role_tokens["viewer"]))
    assert got.status_code == 200
    assert (got.json()["empty"], got.json()["incidents"]) == (True, 0)


def test_bad_periods_are_refused_with_the_fix_and_strangers_with_401(
    api: TestClient, role_tokens: dict[str, str]
) -> None:
    viewer = bearer(role_tokens["viewer"])
    bad = api.get("/api/v1/insights?quarter=2026Q5", headers=viewer)
    assert bad.status_code == 422
    assert "2026Q3" in bad.text  # the shape to write
    half = api.get("/api/v1/insights?from=2026-07-01", headers=viewer)
    assert (half.status_code, "go together" in half.text) == (422, True)
    backwards = api.get("/api/v1/insights?from=2026-07-02&to=2026-07-01", headers=viewer)
    assert backwards.status_code == 422
    assert api.get("/api/v1/insights").status_code == 401
