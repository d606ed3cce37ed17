"""/api/v1/insights: the incident review's figures, the same as `tocsin report --json` and the
web Insights page (docs/insights.md defines each one)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from tocsin.api.deps import App, Viewer
from tocsin.api.responses import ERRORS

router = APIRouter(tags=["insights"], responses=ERRORS)
FIGURES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The review: period, counts by severity, service, tenant and root-cause "
        "category, MTTA/MTTR (median, p90) and the response target per severity, months, "
        "recurring patterns, runbook feedback; `empty` when nothing was declared",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.get("/insights", response_model=None, responses=FIGURES)
async def insights(
    tocsin: App,
    _: Viewer,
    quarter: Annotated[str | None, Query(max_length=20, description="e.g. 2026Q3")] = None,
    first: Annotated[date | None, Query(alias="from", description="first day (UTC)")] = None,
    last: Annotated[date | None, Query(alias="to", description="last day, included")] = None,
) -> dict[str, Any]:
    """The review of `quarter`, or of the days `from`..`to`; neither: the last whole quarter."""
    period = tocsin.insights.period(quarter, first, last)
    review = await run_in_threadpool(tocsin.insights.review, period)
    return review.to_dict()
