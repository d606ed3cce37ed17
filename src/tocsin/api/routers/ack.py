"""/ack/{token}: acknowledge from a page, with no login: the signed token is the credential.

GET shows what would be acknowledged and a button (link previews and mail scanners fetch
links; a GET never changes anything). POST acknowledges: the button, and ntfy's http action.
A forged, altered, expired or already used token answers 403 and changes nothing.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from tocsin.api.deps import App
from tocsin.core.acklinks import BadAckLink

router = APIRouter(tags=["acknowledge"])
VIA = {"link": "link", "sms": "SMS link", "email": "email link", "ntfy": "ntfy", "push": "push"}
Via = Annotated[str, Query(max_length=10, description="how the link was opened")]


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><main><h1>{escape(title)}</h1>{body}</main></html>"
    )
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(html, status, headers=headers)


REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "forged, altered, expired or used link; nothing changed"}
}


@router.get("/ack/{token}", response_class=HTMLResponse, responses=REFUSED)
def ack_form(token: str, tocsin: App, via: Via = "link") -> HTMLResponse:
    """What the link acknowledges, and the button that does it."""
    try:
        claim = tocsin.ack_links.claim(token)
        incident = tocsin.incidents.get(claim.incident)
    except BadAckLink as exc:
        return _page("Link refused", f"<p>{escape(str(exc))}</p>", 403)
    if incident.acknowledged_at is not None:
        who = escape(incident.acknowledged_by or "")
        return _page(f"{incident.id} is acknowledged", f"<p>Acknowledged by {who}.</p>")
    form = (
        f"<p>{escape(incident.severity)} · {escape(incident.title)}</p>"
        f'<form method=post action="/ack/{escape(token)}?via={escape(via)}">'
        f"<button type=submit>Acknowledge as {escape(claim.who)}</button></form>"
    )
    return _page(f"Acknowledge {incident.id}?", form)


@router.post("/ack/{token}", response_class=HTMLResponse, responses=REFUSED)
def ack(token: str, tocsin: App, via: Via = "link") -> HTMLResponse:
    """Acknowledge as the person paged; the timeline says through what."""
    try:
        outcome = tocsin.ack_links.acknowledge(token, VIA.get(via, "link"))
    except BadAckLink as exc:
        return _page("Link refused", f"<p>{escape(str(exc))}</p>", 403)
    incident = outcome.incident
    return _page(
        f"{incident.id} acknowledged",
        f"<p>Thank you, {escape(incident.acknowledged_by or '')}.</p>",
    )
