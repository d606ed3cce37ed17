"""A review as Markdown and as one self-contained HTML page.

Both are made from the same sections (a heading, a few sentences, a table, and for HTML a
chart), so the two never disagree. The HTML carries its charts inline (charts.py) and its
style in one `<style>` element: no script, no external stylesheet, font or image. A period
without incidents says so and draws nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import Environment, select_autoescape

from tocsin.core.insights import Review, RunbookGap, share, short
from tocsin.core.timeline import iso
from tocsin.integrations.report import charts

DOCS = "docs/insights.md"


@dataclass(frozen=True)
class Section:
    heading: str
    lines: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # SVG, HTML only


def title(review: Review) -> str:
    return f"Incident review {review.period.name}"


def span(review: Review) -> str:
    p = review.period
    last = (p.end.date()).fromordinal(p.end.date().toordinal() - 1)
    return f"{p.start.date().isoformat()} to {last.isoformat()} (UTC), as of {iso(review.as_of)}"


def empty_line(review: Review) -> str:
    return (
        f"No incidents were declared in {review.period.name} "
        f"({span(review)}): there is nothing to chart."
    )


def sections(review: Review) -> list[Section]:
    if review.empty:
        return []
    return [
        _summary(review),
        _severity(review),
        _postmortems(review),
        _action_items(review),
        _counts(
            "Incidents by service",
            "service",
            review.by_service,
            "by-service",
            "An incident with several services counts once under each.",
        ),
        _counts(
            "Incidents by tenant",
            "tenant",
            review.by_tenant,
            "by-tenant",
            "An incident with several tenants counts once under each.",
        ),
        _counts(
            "Incidents by root-cause category",
            "category",
            review.by_cause,
            "by-cause",
            "The category comes from the incident's post-mortem; without one it is uncategorised.",
        ),
        _months(review),
        _recurring(review),
        _runbooks(review),
    ]


def _summary(r: Review) -> Section:
    return Section(
        "Summary",
        [
            f"{r.total} incident(s) declared; {r.reopened} reopened; "
            f"{r.unresolved} not resolved as of {iso(r.as_of)}.",
            f"How each figure is counted: {DOCS}.",
        ],
    )


def _severity(r: Review) -> Section:
    header = ["Severity", "Incidents", "MTTA median", "MTTA p90", "MTTR median", "MTTR p90",
              "Target", "Met target", "Unresolved", "Reopened"]  # fmt: skip
    rows = [
        [
            s.severity,
            str(s.incidents),
            short(s.mtta.median),
            short(s.mtta.p90),
            short(s.mttr.median),
            short(s.mttr.p90),
            short(s.target_s),
            "–" if s.met_share is None else f"{share(s.met_share)} ({s.met}/{s.met + s.missed})",
            str(s.unresolved),
            str(s.reopened),
        ]
        for s in r.by_severity
    ]
    sev = r.by_severity
    made = [
        charts.bar_chart(
            "by-severity",
            "Incidents by severity",
            [(s.severity, s.incidents) for s in sev],
            colour=charts.COLOURS[0],
        ),
        charts.bar_chart(
            "mtta",
            "MTTA median by severity (declared to acknowledged)",
            [(s.severity, s.mtta.median or 0) for s in sev],
            [f"{short(s.mtta.median)} (p90 {short(s.mtta.p90)})" for s in sev],
            colour=charts.COLOURS[1],
        ),
        charts.bar_chart(
            "mttr",
            "MTTR median by severity (declared to last resolved)",
            [(s.severity, s.mttr.median or 0) for s in sev],
            [f"{short(s.mttr.median)} (p90 {short(s.mttr.p90)})" for s in sev],
            colour=charts.COLOURS[3],
        ),
    ]
    target = _share_chart(
        "target",
        "Share acknowledged within the response target",
        [(s.severity, s.met_share) for s in sev],
        charts.COLOURS[4],
    )
    made += [target] if target else []
    lines = [
        "MTTA: declared to first acknowledged. MTTR: declared to resolved (the last resolve "
        "of a reopened incident). Never-acknowledged incidents are not in MTTA and count as "
        "having missed the target."
    ]
    return Section("By severity: response and resolution", lines, header, rows, made)


def _share_chart(
    chart_id: str, title: str, shares: list[tuple[str, float | None]], colour: str
) -> str | None:
    """A 0-100 % bar per severity that has a share (None: nothing to judge); None when no
    severity has one."""
    judged = [(severity, value) for severity, value in shares if value is not None]
    if not judged:
        return None
    return charts.bar_chart(
        chart_id,
        title,
        [(severity, 100 * value) for severity, value in judged],
        [share(value) for _, value in judged],
        colour=colour,
        maximum=100,
    )


def _postmortems(r: Review) -> Section:
    if not r.postmortems:
        return Section("Post-mortems on time", ["No incident of this period needed a post-mortem."])
    header = ["Severity", "Required", "On time", "Late", "Overdue", "Not due yet", "On time %"]
    rows = [
        [
            p.severity,
            str(p.required),
            str(p.on_time),
            str(p.late),
            str(p.overdue),
            str(p.pending),
            share(p.on_time_share),
        ]
        for p in r.postmortems
    ]
    chart = _share_chart(
        "postmortems",
        "Post-mortems published by their due time",
        [(p.severity, p.on_time_share) for p in r.postmortems],
        charts.COLOURS[5],
    )
    lines = [
        "For incidents whose severity requires a post-mortem: on time when a version was first "
        "published by the due date set at resolve; overdue when none is published and the due "
        "date has passed."
    ]
    return Section("Post-mortems on time", lines, header, rows, [chart] if chart else [])


def _action_items(r: Review) -> Section:
    heading = "Action items"
    items = r.action_items
    if items is None:
        return Section(heading, ["No action item was recorded for this period's incidents."])
    header = ["Items", "Done", "Won't do", "Open", "Overdue", "Closed on time", "Closed %"]
    row = [str(items.total), str(items.done), str(items.wont_do), str(items.open),
           str(items.overdue), str(items.closed_on_time), share(items.closed_share)]  # fmt: skip
    counts = [("Done", items.done), ("Won't do", items.wont_do), ("Open", items.open),
              ("Overdue", items.overdue)]  # fmt: skip
    chart = charts.bar_chart(
        "action-items", "Action items of this period's incidents",
        [(name, float(n)) for name, n in counts], colour=charts.COLOURS[3],
    )  # fmt: skip
    lines = [
        "The action items of the incidents declared in the period, as they stand now: closed "
        "is done or won't do; overdue is still open after its deadline's day; on time is "
        "closed by the end of that day (or with no deadline)."
    ]
    return Section(heading, lines, header, [row], [chart])


def _counts(
    heading: str, what: str, pairs: list[tuple[str, int]], chart_id: str, note: str
) -> Section:
    chart = charts.bar_chart(chart_id, heading, [(n, float(c)) for n, c in pairs])
    rows = [[n, str(c)] for n, c in pairs]
    return Section(heading, [note], [what.capitalize(), "Incidents"], rows, [chart])


def _months(r: Review) -> Section:
    keys = [s.severity for s in r.by_severity]
    header = ["Month", "Incidents", *keys, "MTTA median", "MTTR median"]
    rows = [
        [
            m.month,
            str(m.incidents),
            *(str(m.by_severity.get(k, 0)) for k in keys),
            short(m.mtta_median_s),
            short(m.mttr_median_s),
        ]
        for m in r.months
    ]
    labels = [m.month for m in r.months]
    series = [("all", [float(m.incidents) for m in r.months])]
    series += [(k, [float(m.by_severity.get(k, 0)) for m in r.months]) for k in keys]
    chart = charts.line_chart("months", "Incidents declared per month", series, labels)
    return Section("Trends by month", ["By the month each incident was declared."], header,
                   rows, [chart])  # fmt: skip


def _recurring(r: Review) -> Section:
    lines = []
    rows: list[list[str]] = []
    for name, n in r.recurring_services:
        rows.append(["service", name, f"{n} incidents"])
    for name, n in r.recurring_causes:
        rows.append(["root cause", name, f"{n} incidents"])
    for a in r.recurring_alerts:
        where = f" (last INC-{a.incident})" if a.incident else ""
        rows.append(["alert", f"{a.service}: {a.summary}{where}", f"fired {a.fired} times"])
    if not rows:
        lines.append("No service or cause had three incidents, and no alert fired three times.")
    else:
        lines.append(
            "A service or root-cause category with three or more incidents; an alert that "
            "fired three or more times (it came back after resolving)."
        )
    return Section("Recurring patterns", lines, ["Kind", "What", "How often"], rows)


def _runbooks(r: Review) -> Section:
    lines = [
        f"{r.no_runbook_total} incident(s) had services with no runbook; "
        f"{r.runbook_unused_total} had a runbook whose steps nobody ran "
        "(diagnostics Tocsin ran by itself do not count)."
    ]
    shown = len(r.no_runbook) + len(r.runbook_unused)
    if shown < r.no_runbook_total + r.runbook_unused_total:
        lines.append(f"The first {len(r.no_runbook)} and {len(r.runbook_unused)} are listed.")
    rows = [_gap(g) for g in (*r.no_runbook, *r.runbook_unused)]
    return Section("Runbook feedback", lines, ["Incident", "Title", "Services", "Finding"], rows)


def _gap(g: RunbookGap) -> list[str]:
    finding = g.reason if not g.runbooks else f"{g.reason}: {', '.join(g.runbooks)}"
    return [f"INC-{g.number}", g.title, ", ".join(g.services), finding]


# -- Markdown ------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown(review: Review) -> str:
    out = [f"# {title(review)}", "", span(review), ""]
    if review.empty:
        return "\n".join([*out, empty_line(review), ""])
    for s in sections(review):
        out += [f"## {s.heading}", ""]
        out += [*(line for line in s.lines), ""] if s.lines else []
        if s.header and s.rows:
            out.append("| " + " | ".join(_md_cell(h) for h in s.header) + " |")
            out.append("|" + "|".join(" --- " for _ in s.header) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in s.rows]
            out.append("")
    return "\n".join(out)


# -- HTML ----------------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: sans-serif; color: #1f2937; max-width: 60rem; margin: 1rem auto;
       padding: 0 1rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
th, td { border: 1px solid #d1d5db; padding: .25rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f3f4f6; }
svg { display: block; max-width: 100%; height: auto; margin: .5rem 0; }
</style></head>
<body>
{{ body|safe }}
</body></html>
"""

_BODY = """<h1>{{ title }}</h1>
<p>{{ span }}</p>
{% if empty %}<p><strong>{{ empty }}</strong></p>{% endif %}
{% for s in sections %}
<section>
<h2>{{ s.heading }}</h2>
{% for line in s.lines %}<p>{{ line }}</p>
{% endfor %}{% for chart in s.charts %}{{ chart|safe }}
{% endfor %}{% if s.header and s.rows %}<table>
<thead><tr>{% for h in s.header %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in s.rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>{% endif %}
</section>
{% endfor %}"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_page = _env.from_string(_PAGE)
_body = _env.from_string(_BODY)


def html_fragment(review: Review) -> str:
    """The report's body, for a page that has its own layout (the web Insights page)."""
    made = sections(review)  # the charts are SVG that charts.py escaped: inserted as they are
    return _body.render(
        title=title(review),
        span=span(review),
        empty=empty_line(review) if review.empty else "",
        sections=made,
    )


def html(review: Review) -> str:
    """The whole report as one HTML document."""
    return _page.render(title=title(review), body=html_fragment(review))


class ReportRenderer:
    """The app's `ReportRenderer` port."""

    def markdown(self, review: Review) -> str:
        return markdown(review)

    def html(self, review: Review) -> str:
        return html(review)

    def fragment(self, review: Review) -> str:
        return html_fragment(review)
