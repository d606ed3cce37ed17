"""Charts as inline SVG, drawn here on the server: no script, no stylesheet, no font or
image fetched from anywhere, so a report reads the same in a browser, saved to disk, or in
an e-mail client that shows SVG. Each chart is an `<svg role="img">` with a `<title>` and a
`<desc>` that says what it shows in words, and every bar and point carries its number as
text; the report prints the same numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 640
BAR = 22  # height of one bar
GAP = 8
LABEL_W = 170  # room for the labels left of the bars
HEAD = 26  # the visible title above the chart
MAX_BARS = 15
COLOURS = ("#b91c1c", "#c2410c", "#a16207", "#15803d", "#1d4ed8", "#6d28d9", "#475569")
INK = "#1f2937"
GRID = "#d1d5db"


def _x(text: str) -> str:
    return escape(text, quote=True)


def _cut(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, float]],
    shown: Sequence[str] | None = None,
    colour: str = COLOURS[4],
    maximum: float | None = None,
) -> str:
    """Horizontal bars in the order given, the title above them; `shown` is each bar's value
    as text (default: the number). Past MAX_BARS the rest are left to the table, and a
    last line says how many."""
    items = list(items)
    labels = list(shown) if shown is not None else [f"{v:g}" for _, v in items]
    more = max(len(items) - MAX_BARS, 0)
    items, labels = items[:MAX_BARS], labels[:MAX_BARS]
    top = maximum if maximum is not None else max((v for _, v in items), default=0.0)
    top = top or 1.0
    value_w = min(max((len(label) for label in labels), default=4) * 7 + 12, 220)
    span = WIDTH - LABEL_W - value_w
    height = HEAD + len(items) * (BAR + GAP) + GAP + (BAR if more else 0)
    desc = "; ".join(f"{name}: {label}" for (name, _), label in zip(items, labels, strict=True))
    if more:
        desc += f"; and {more} more, in the table"
    parts = [_open(chart_id, title, desc, height)]
    for i, ((name, value), label) in enumerate(zip(items, labels, strict=True)):
        y = HEAD + GAP + i * (BAR + GAP)
        w = max(round(span * value / top), 1 if value > 0 else 0)
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y + BAR - 6}" text-anchor="end" font-size="13" '
            f'fill="{INK}">{_x(_cut(name))}</text>'
            f'<rect x="{LABEL_W}" y="{y}" width="{w}" height="{BAR}" fill="{colour}"/>'
            f'<text x="{LABEL_W + w + 6}" y="{y + BAR - 6}" font-size="13" '
            f'fill="{INK}">{_x(label)}</text>'
        )
    if more:
        y = HEAD + GAP + len(items) * (BAR + GAP) + BAR - 10
        parts.append(
            f'<text x="{LABEL_W}" y="{y}" font-size="12" fill="{INK}">'
            f"… and {more} more, in the table below</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    chart_id: str,
    title: str,
    series: Sequence[tuple[str, Sequence[float]]],
    x_labels: Sequence[str],
) -> str:
    """One line per series over the x labels (months), each point labelled with its value,
    a legend naming the series in their colours."""
    height, left, right, top_pad, bottom = 260 + HEAD, 50, 20, 20 + HEAD, 60
    inner_w, inner_h = WIDTH - left - right, height - top_pad - bottom
    top = max((v for _, vs in series for v in vs), default=0.0) or 1.0
    n = max(len(x_labels), 1)
    step = inner_w / max(n - 1, 1)

    def point(i: int, v: float) -> tuple[float, float]:
        x = left + (i * step if n > 1 else inner_w / 2)
        return round(x, 1), round(top_pad + inner_h - inner_h * v / top, 1)

    desc = "; ".join(
        f"{name}: " + ", ".join(f"{m} {v:g}" for m, v in zip(x_labels, vs, strict=True))
        for name, vs in series
    )
    parts = [_open(chart_id, title, desc, height)]
    base = top_pad + inner_h
    parts.append(
        f'<line x1="{left}" y1="{base}" x2="{WIDTH - right}" y2="{base}" stroke="{GRID}"/>'
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" font-size="11" '
        f'fill="{INK}">{top:g}</text>'
        f'<text x="{left - 6}" y="{base}" text-anchor="end" font-size="11" fill="{INK}">0</text>'
    )
    for i, label in enumerate(x_labels):
        x, _ = point(i, 0)
        parts.append(
            f'<text x="{x}" y="{base + 18}" text-anchor="middle" font-size="11" '
            f'fill="{INK}">{_x(label)}</text>'
        )
    for k, (name, values) in enumerate(series):
        colour = COLOURS[(k + 4) % len(COLOURS)] if len(series) == 1 else COLOURS[k % 7]
        points = [point(i, v) for i, v in enumerate(values)]
        path = " ".join(f"{x},{y}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), v in zip(points, values, strict=True):
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>'
                f'<text x="{x}" y="{y - 6}" text-anchor="middle" font-size="10" '
                f'fill="{INK}">{v:g}</text>'
            )
        lx = left + k * 110
        parts.append(
            f'<rect x="{lx}" y="{height - 22}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{height - 13}" font-size="11" '
            f'fill="{INK}">{_x(_cut(name, 14))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _open(chart_id: str, title: str, desc: str, height: int) -> str:
    cid = _x(chart_id)
    return (
        f'<svg role="img" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="sans-serif">'
        f'<title id="{cid}-title">{_x(title)}</title><desc id="{cid}-desc">{_x(desc)}</desc>'
        f'<text x="0" y="18" font-size="15" font-weight="bold" fill="{INK}" '
        f'aria-hidden="true">{_x(title)}</text>'
    )
