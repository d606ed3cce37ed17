"""Who is on the page: the session cookie, its CSRF token, and the role forms need."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from tocsin.api.deps import SESSION_COOKIE, App
from tocsin.core.access import AccessRole, Principal, Unauthenticated
from tocsin.core.errors import ErrorKind, TocsinError
from tocsin.web.format import safe_next


@dataclass(frozen=True, slots=True)
class WebSession:
    secret: str
    principal: Principal
    csrf: str

    @property
    def can_respond(self) -> bool:
        return self.principal.role.allows(AccessRole.RESPONDER)


class LoginRequired(TocsinError):
    """Answered with a redirect to /login?next=…"""

    kind = ErrorKind.UNAUTHENTICATED

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageRefused(TocsinError):
    """Answered with the error page, its status and title from the kind."""

    kind = ErrorKind.REFUSED

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def find_session(request: Request, tocsin: App) -> WebSession | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    try:
        found = tocsin.accounts.session(secret)
    except Unauthenticated:
        return None
    return WebSession(secret, found.principal, found.csrf)


def page_session(request: Request, tocsin: App) -> WebSession:
    session = find_session(request, tocsin)
    if session is None:
        raise LoginRequired(_come_back_to(request))
    return session


def stream_session(request: Request, tocsin: App) -> WebSession:
    """An event stream cannot follow a redirect to a form: it gets a plain 401."""
    session = find_session(request, tocsin)
    if session is None:
        raise PageRefused(ErrorKind.UNAUTHENTICATED, "log in again to follow this incident live")
    return session


PageSession = Annotated[WebSession, Depends(page_session)]
StreamSession = Annotated[WebSession, Depends(stream_session)]


async def form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(form_fields)]


def check_csrf(session: WebSession, form: dict[str, str]) -> None:
    sent = form.get("csrf", "").encode()
    if not secrets.compare_digest(sent, session.csrf.encode()):
        raise PageRefused(
            ErrorKind.FORBIDDEN, "This form has expired or came from another site; reload the page."
        )


def responder(session: PageSession, form: FormFields) -> WebSession:
    """A form that changes an incident: the session's CSRF token, and responder or admin."""
    check_csrf(session, form)
    if not session.can_respond:
        name, role = session.principal.name, session.principal.role.value
        raise PageRefused(
            ErrorKind.FORBIDDEN, f"{name} is {role}; changing incidents needs responder or admin."
        )
    return session


ResponderSession = Annotated[WebSession, Depends(responder)]


def _come_back_to(request: Request) -> str:
    """After login: this page, or for a form post the page the form was on."""
    if request.method == "GET":
        query = f"?{request.url.query}" if request.url.query else ""
        return safe_next(request.url.path + query)
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc:
        return "/"
    return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
