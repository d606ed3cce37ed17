"""The server-rendered web UI: Jinja2 pages and a little plain JavaScript, no build step."""
