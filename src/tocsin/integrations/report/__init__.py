"""The quarterly review rendered: Markdown, and HTML with inline SVG charts."""
