"""/insights: the incident review in the browser (the same figures and charts as `tocsin
report` and /api/v1/insights), for a quarter or a range of days; the report's Markdown and
HTML files to download. Charts are inline SVG drawn on the server: no script."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tocsin.api.deps import App
from tocsin.app.answers import status_of
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import DomainError, InvalidInput
from tocsin.core.insights import Period
from tocsin.web.auth import PageSession
from tocsin.web.rendering import page

router = APIRouter()


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} {text!r}: write a day as YYYY-MM-DD") from None


def _period(tocsin: Tocsin, request: Request) -> Period:
    q = request.query_params
    return tocsin.insights.period(
        q.get("quarter") or None, _day(q.get("from"), "from"), _day(q.get("to"), "to")
    )


@router.get("/insights")
def insights_page(request: Request, tocsin: App, session: PageSession) -> HTMLResponse:
    q = request.query_params
    context = {"session": session, "quarter": q.get("quarter", ""), "first": q.get("from", ""),
               "last": q.get("to", ""), "body": "", "error": "", "query": ""}  # fmt: skip
    try:
        period = _period(tocsin, request)
        review = tocsin.insights.review(period)
    except DomainError as exc:
        context["error"] = str(exc)
        return page(request, "insights.html", context, status_of(exc))
    context["body"] = tocsin.insights.renderer.fragment(review)
    context["query"] = request.url.query
    return page(request, "insights.html", context)


@router.get("/insights/report.{kind}", response_model=None)
def download(request: Request, kind: str, tocsin: App, session: PageSession) -> Response:
    """The report as a file: review-PERIOD.md or .html."""
    if kind not in ("md", "html"):
        return Response("no such report format: use .md or .html", 404)
    try:
        made = tocsin.insights.report(_period(tocsin, request))
    except DomainError as exc:
        return Response(str(exc), status_of(exc), media_type="text/plain; charset=utf-8")
    name = "review-" + made.review.period.name.replace(" – ", "_")
    body, media = (made.markdown, "text/markdown") if kind == "md" else (made.html, "text/html")
    disposition = f'attachment; filename="{name}.{kind}"'
    return Response(body, media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@router.get("/insights/reviews/{quarter}", response_model=None)
def stored_review(request: Request, quarter: str, tocsin: App, session: PageSession) -> Response:
    """A quarter's review as it was made and sent when the quarter ended."""
    try:
        found = tocsin.insights.stored_review(quarter)
    except DomainError as exc:
        return Response(str(exc), status_of(exc), media_type="text/plain; charset=utf-8")
    if found is None:
        text = f"no review of {quarter} was made at its end; see /insights?quarter={quarter}"
        return Response(text, 404, media_type="text/plain; charset=utf-8")
    return HTMLResponse(found.html)
