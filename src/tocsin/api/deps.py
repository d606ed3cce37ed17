"""Annotated dependencies: the wired app, and the principal a request acts as."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer
from fastapi.security.base import SecurityBase
from starlette.concurrency import run_in_threadpool

from tocsin.bootstrap import Tocsin
from tocsin.core.access import AccessRole, Principal, Unauthenticated

SESSION_COOKIE = "tocsin_session"
CSRF_HEADER = "x-csrf-token"
ACTOR_HEADER = "x-tocsin-actor"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BEARER_HELP = (
    "An API token (`tocsin token create`). A script or the CLI may add "
    "`X-Tocsin-Actor: NAME` to say on whose behalf it acts: the timeline records "
    "`NAME via token:TOKEN`. The web UI's session cookie is accepted too; its writes "
    "must carry the session's CSRF token in `X-CSRF-Token`."
)


async def get_tocsin(request: Request) -> Tocsin:
    tocsin: Tocsin = request.app.state.tocsin
    return tocsin


App = Annotated[Tocsin, Depends(get_tocsin)]


class Credentials(SecurityBase):
    """The principal a request acts as, holding at least `role`; the `bearer` security
    scheme in OpenAPI. One dependency that reads the headers itself: FastAPI solves it
    with no sub-dependency and no parameter to validate, on every authenticated request."""

    def __init__(self, role: AccessRole) -> None:
        self.role = role
        self.model = HTTPBearer(description=BEARER_HELP)
        self.scheme_name = "bearer"

    async def __call__(self, request: Request) -> Principal:
        principal = await current_principal(request)
        principal.require(self.role)
        return principal


async def current_principal(request: Request) -> Principal:
    """A bearer token, or a web session (whose writes must carry its CSRF token). A read
    with a token seen in the last TOKEN_CACHE is answered on the event loop; a write checks
    its token in the database (a revoke counts at once), in a thread."""
    tocsin: Tocsin = request.app.state.tocsin
    headers = request.headers
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise Unauthenticated("use Authorization: Bearer <token>")
        accounts = tocsin.accounts
        fresh = request.method not in SAFE_METHODS
        principal = None if fresh else accounts.cached_principal(secret)
        if principal is None:
            principal = await run_in_threadpool(accounts.principal_for_token, secret, fresh=fresh)
        actor = _utf8(headers.get(ACTOR_HEADER))
        if actor:
            # A script or the CLI may say on whose behalf it acts; the token stays on record.
            principal = replace(principal, name=f"{actor[:100]} via {principal.name}")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        session = await run_in_threadpool(tocsin.accounts.session, cookie)
        if request.method not in SAFE_METHODS:
            sent = headers.get(CSRF_HEADER)
            if sent != session.csrf:
                raise Unauthenticated("missing or wrong CSRF token; reload the page")
        return session.principal
    raise Unauthenticated("credentials required: Authorization: Bearer <token>")


def _utf8(header: str | None) -> str:
    """HTTP headers arrive decoded as latin-1; clients send UTF-8 (alice, Zoë, 太郎)."""
    if not header:
        return ""
    try:
        return header.encode("latin-1").decode("utf-8").strip()
    except UnicodeError:
        return header.strip()


Viewer = Annotated[Principal, Depends(Credentials(AccessRole.VIEWER))]
Responder = Annotated[Principal, Depends(Credentials(AccessRole.RESPONDER))]
Admin = Annotated[Principal, Depends(Credentials(AccessRole.ADMIN))]
