"""/login and /logout. A wrong password and an unknown user get the same answer."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tocsin.api.deps import SESSION_COOKIE, App
from tocsin.app.accounts import User
from tocsin.app.answers import ANSWERS, status_of
from tocsin.app.throttle import Throttled, wait_text
from tocsin.bootstrap import Tocsin
from tocsin.core.access import Unauthenticated
from tocsin.core.errors import ErrorKind
from tocsin.web.auth import FormFields, PageRefused, find_session
from tocsin.web.format import safe_next
from tocsin.web.rendering import page

router = APIRouter()
LOGIN_COOKIE = "tocsin_login"  # double-submit token: nobody can be logged in from elsewhere
WRONG = "Wrong username or password."


@router.get("/login", response_model=None)
def login_form(
    request: Request, tocsin: App, next_: Annotated[str, Query(alias="next")] = "/"
) -> Response:
    target = safe_next(next_)
    if find_session(request, tocsin) is not None:
        return RedirectResponse(target, 303)
    return _login_page(request, target)


@router.post("/login", response_model=None)
def login(request: Request, tocsin: App, form: FormFields) -> Response:
    username, target = form.get("username", "")[:200], safe_next(form.get("next"))
    sent = form.get("csrf", "").encode()
    if not secrets.compare_digest(sent, request.cookies.get(LOGIN_COOKIE, "-").encode()):
        expired = "The form expired; try again."
        return _login_page(request, target, username, expired, ANSWERS[ErrorKind.FORBIDDEN].status)
    try:
        user = tocsin.accounts.login(username, form.get("password", ""), client_address(request))
    except Throttled as exc:
        return _too_many(request, target, username, exc.retry_after)
    except Unauthenticated as exc:
        return _login_page(request, target, username, WRONG, status_of(exc))
    return signed_in(request, tocsin, user, target)


@router.post("/logout")
def logout(request: Request, tocsin: App, form: FormFields) -> RedirectResponse:
    session = find_session(request, tocsin)
    if session is not None:
        if not secrets.compare_digest(form.get("csrf", "").encode(), session.csrf.encode()):
            raise PageRefused(
                ErrorKind.FORBIDDEN, "This form has expired; reload the page and log out again."
            )
        tocsin.accounts.end_session(session.secret)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def client_address(request: Request) -> str:
    """The client's address (the proxy's X-Forwarded-For when the proxy is trusted)."""
    return request.client.host if request.client else "unknown"


def _too_many(request: Request, target: str, username: str, wait: int) -> Response:
    message = f"Too many failed logins. Try again in {wait_text(wait)}."
    status = ANSWERS[ErrorKind.RATE_LIMITED].status
    response = _login_page(request, target, username, message, status)
    response.headers["Retry-After"] = str(wait)
    return response


def signed_in(request: Request, tocsin: Tocsin, user: User, target: str) -> Response:
    """A new session for `user`, its cookie set, and on to `target`."""
    secret, session = tocsin.accounts.start_session(user)
    response = RedirectResponse(target, 303)
    lifetime = int((session.expires_at - tocsin.clock.now()).total_seconds())
    set_cookie(request, response, SESSION_COOKIE, secret, lifetime)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


def _login_page(
    request: Request,
    target: str,
    username: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    context = {"next": target, "username": username, "error": error, "csrf": token}
    response = page(request, "login.html", context, status)
    set_cookie(request, response, LOGIN_COOKIE, token, 3600, path="/login")
    return response


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int, path: str = "/"
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
