"""Annotated dependencies: the wired app, and the principal a request acts as."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Header, Request

from tocsin.bootstrap import Tocsin
from tocsin.core.access import AccessRole, Principal, Unauthenticated

SESSION_COOKIE = "tocsin_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_tocsin(request: Request) -> Tocsin:
    tocsin: Tocsin = request.app.state.tocsin
    return tocsin


App = Annotated[Tocsin, Depends(get_tocsin)]


def current_principal(
    request: Request,
    tocsin: App,
    authorization: Annotated[str | None, Header()] = None,
    x_tocsin_actor: Annotated[str | None, Header()] = None,
) -> Principal:
    """A bearer token, or a web session (whose writes must carry its CSRF token). A write
    checks its token in the database, never the cache: a revoke counts at once."""
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("use Authorization: Bearer <token>")
        fresh = request.method not in SAFE_METHODS
        principal = tocsin.accounts.principal_for_token(secret.strip(), fresh=fresh)
        actor = _utf8(x_tocsin_actor)
        if actor:
            # A script or the CLI may say on whose behalf it acts; the token stays on record.
            principal = replace(principal, name=f"{actor[:100]} via {principal.name}")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        session = tocsin.accounts.session(cookie)
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER)
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


def _needs(role: AccessRole) -> object:
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        principal.require(role)
        return principal

    return Depends(check)


Viewer = Annotated[Principal, _needs(AccessRole.VIEWER)]
Responder = Annotated[Principal, _needs(AccessRole.RESPONDER)]
Admin = Annotated[Principal, _needs(AccessRole.ADMIN)]
