"""Jinja2 templates (autoescape on) and the headers every page goes out with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from tocsin.core.timeline import iso
from tocsin.web import format as fmt
from tocsin.web.views import entry_label

# Scripts and styles come only from /static: an injected <script> would not run.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass
class WebState:
    """What the pages share; tests may shorten `poll_interval` after create_app."""

    templates: jinja2.Environment
    poll_interval: float = 0.5
    heartbeat: float = 15.0


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tocsin.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = fmt.duration
    env.filters["utc"] = fmt.utc_text
    env.filters["wall"] = fmt.wall_text
    env.filters["iso"] = iso
    env.filters["link"] = fmt.link
    env.globals["entry_label"] = entry_label
    return env


def get_web(request: Request) -> WebState:
    web: WebState = request.app.state.web
    return web


Web = Annotated[WebState, Depends(get_web)]


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    web = get_web(request)
    tocsin = request.app.state.tocsin
    full = {"organization": tocsin.config.organization, "path": request.url.path, **context}
    full.setdefault("session", None)
    html = web.templates.get_template(name).render(full)
    return HTMLResponse(html, status, headers=PAGE_HEADERS)


def fragment(web: WebState, name: str, **context: Any) -> str:
    return web.templates.get_template(name).render(context)
