"""/password: a person changes their own password. The current one is checked and throttled
as a login; the new one must pass the password rule. Every other session of theirs ends."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tocsin.api.deps import App
from tocsin.app.accounts import WrongPassword
from tocsin.app.answers import ANSWERS, status_of
from tocsin.app.throttle import Throttled, wait_text
from tocsin.core import passwords
from tocsin.core.errors import DomainError, ErrorKind
from tocsin.web.auth import FormFields, PageSession, WebSession, check_csrf
from tocsin.web.login import client_address, signed_in
from tocsin.web.rendering import page

router = APIRouter()
RULE = (
    f"At least {passwords.MIN_LENGTH} characters. Not only spaces, not your username, and "
    "not built on a common password or on repeats and runs such as 'aaaa', 'abcd' or "
    "'qwerty'. A few unrelated words work well."
)


@router.get("/password")
def password_form(
    request: Request, session: PageSession, changed: str | None = None
) -> HTMLResponse:
    return _form(request, session, None, 200, changed=changed == "1")


@router.post("/password", response_model=None)
def change_password(
    request: Request, tocsin: App, session: PageSession, form: FormFields
) -> Response:
    check_csrf(session, form)
    new = form.get("new", "")
    if new != form.get("again", ""):
        differ = "The two new passwords differ; type the same one twice."
        return _form(request, session, differ, ANSWERS[ErrorKind.INVALID_INPUT].status)
    name = session.principal.user or session.principal.name
    try:
        user = tocsin.accounts.change_password(
            name, form.get("current", ""), new, client_address(request)
        )
    except WrongPassword as exc:
        wrong = "Current password is wrong; type the one you log in with."
        return _form(request, session, wrong, status_of(exc))
    except Throttled as exc:
        later = wait_text(exc.retry_after)
        message = f"Too many wrong passwords. Try again in {later}."
        return _form(request, session, message, status_of(exc))
    except DomainError as exc:  # the rule's message names the API's field
        return _form(request, session, f"The new password {_reason(exc)}.", status_of(exc))
    return signed_in(request, tocsin, user, "/password?changed=1")


def _reason(exc: DomainError) -> str:
    return str(exc).removeprefix("new_password ")


def _form(
    request: Request,
    session: WebSession,
    error: str | None,
    status: int,
    changed: bool = False,
) -> HTMLResponse:
    context = {
        "session": session,
        "error": error,
        "changed": changed,
        "rule": RULE,
        "min_length": passwords.MIN_LENGTH,
        "max_length": passwords.MAX_LENGTH,
    }
    return page(request, "password.html", context, status)
