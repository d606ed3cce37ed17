"""`tocsin report`: the incident review of a quarter (or any days) as Markdown and HTML;
`tocsin report rebuild`: the per-incident facts written again from the incidents.

Both act on the local database (TOCSIN_DATABASE_URL or tocsin.yaml). The figures and how each
is counted: docs/insights.md."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from tocsin.cli.common import JsonOpt, handled, local_app, out, print_json
from tocsin.core.errors import InvalidInput

report_commands = typer.Typer(
    help="The incident review: counts, MTTA/MTTR, trends, recurring patterns, runbook gaps.",
    invoke_without_command=True,
)


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()  # noqa: DTZ007 - a day, no time
    except ValueError:
        raise InvalidInput(f"{option} {text!r}: write a day as YYYY-MM-DD") from None


@report_commands.callback()
@handled
def report(
    ctx: typer.Context,
    quarter: Annotated[
        str | None, typer.Option("--quarter", "-q", help="A quarter, e.g. 2026Q3 (UTC).")
    ] = None,
    first: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD (UTC), with --to.")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (UTC), included.")
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for the .md and .html files.")
    ] = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Write the review of --quarter (or --from/--to; default: the last whole quarter) as
    review-PERIOD.md and review-PERIOD.html, and print where; --json prints the figures."""
    if ctx.invoked_subcommand is not None:
        return
    insights = local_app().insights
    period = insights.period(quarter, _day(first, "--from"), _day(last, "--to"))
    made = insights.report(period)
    if as_json:
        print_json(made.review.to_dict())
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "review-" + period.name.replace(" – ", "_")
    md, html = out_dir / f"{stem}.md", out_dir / f"{stem}.html"
    md.write_text(made.markdown, encoding="utf-8")
    html.write_text(made.html, encoding="utf-8")
    if made.review.empty:
        out.print(f"No incidents were declared in {period.name}: the report says so.")
    else:
        out.print(f"{made.review.total} incident(s) in {period.name}.")
    out.print(f"Wrote {md} and {html}")


@report_commands.command("rebuild")
@handled
def rebuild() -> None:
    """Write every incident's facts row again from its state and timeline (after restoring
    a backup made by an older Tocsin, for instance). Safe to run at any time."""
    written = local_app().insights.rebuild()
    out.print(f"Rebuilt the facts of {written} incident(s).")
