"""Markdown to HTML for the post-mortem preview: CommonMark with raw HTML off (what people
typed cannot add markup; `<script>` shows as text) and markdown-it's link check (no
`javascript:` links)."""

from __future__ import annotations

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def to_html(text: str) -> str:
    html: str = _MD.render(text)
    return html
