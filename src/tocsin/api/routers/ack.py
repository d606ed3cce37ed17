"""/ack/{token}: acknowledge from a page, with no login: the signed token is the credential.

GET shows what would be acknowledged and a button (link previews and mail scanners fetch
links; a GET never changes anything). POST acknowledges: the button, and ntfy's http action.
A forged, altered, expired or already used token answers 403 and changes nothing.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.api.deps import App
from tocsin.app.notices import tested_notice
from tocsin.core.acklinks import BadAckLink
from tocsin.core.callbacks import twilio_ok

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
        test = tested_notice(claim.page)
        if test is not None:
            return _test_form(tocsin, token, via, test)
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
async def ack(request: Request, token: str, tocsin: App, via: Via = "link") -> Response:
    """Acknowledge as the person paged; the timeline says through what. Twilio's keypress
    (the voice call's Gather posts `Digits`) is checked by its signature and answered in
    TwiML: 1 acknowledges, anything else does not."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = {k: str(v) for k, v in (await request.form()).items()}
        if "Digits" in form:
            return await _keypress(request, tocsin, token, form)
    return await run_in_threadpool(_acknowledge, tocsin, token, VIA.get(via, "link"))


async def _keypress(request: Request, tocsin: App, token: str, form: dict[str, str]) -> Response:
    secret = tocsin.callback_secrets.twilio
    signature = request.headers.get("x-twilio-signature", "")
    if not secret or not twilio_ok(secret, str(request.url), form, signature):
        return Response("<Response><Reject/></Response>", 403, media_type="application/xml")
    if form["Digits"] != "1":
        return _twiml("Not acknowledged. Goodbye.")
    answer = await run_in_threadpool(_acknowledge, tocsin, token, "phone keypress")
    return _twiml("Acknowledged. Thank you." if answer.status_code == 200 else "Nothing changed.")


def _twiml(text: str) -> Response:
    return Response(f"<Response><Say>{escape(text)}</Say></Response>", media_type="application/xml")


def _test_form(tocsin: App, token: str, via: str, notice_id: int) -> HTMLResponse:
    """A test page's link: GET shows the button, and changes nothing."""
    notice = tocsin.page_tests.get(notice_id)
    if notice.acknowledged_at is not None:
        return _page("Test page acknowledged", "<p>This test page was acknowledged already.</p>")
    form = (
        f"<p>{escape(notice.title)}: {escape(notice.method.kind.value)}</p>"
        f'<form method=post action="/ack/{escape(token)}?via={escape(via)}">'
        "<button type=submit>Acknowledge the test page</button></form>"
    )
    return _page("Acknowledge this test page?", form)


def _acknowledge(tocsin: App, token: str, via: str) -> HTMLResponse:
    try:
        claim = tocsin.ack_links.claim(token)
        test = tested_notice(claim.page)
        if test is not None:
            notice = tocsin.page_tests.acknowledge(test, via)
            how = escape(notice.method.kind.value)
            return _page("Test page acknowledged", f"<p>Thank you: {how} reaches you.</p>")
        outcome = tocsin.ack_links.acknowledge(token, via)
    except BadAckLink as exc:
        return _page("Link refused", f"<p>{escape(str(exc))}</p>", 403)
    incident = outcome.incident
    return _page(
        f"{incident.id} acknowledged",
        f"<p>Thank you, {escape(incident.acknowledged_by or '')}.</p>",
    )
