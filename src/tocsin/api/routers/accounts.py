"""/api/v1/me, /users and /tokens. Managing users and tokens needs admin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from tocsin.api import models as m
from tocsin.api import responses as r
from tocsin.api import schemas as s
from tocsin.api.deps import Admin, App, Viewer
from tocsin.app.views import token_json, user_json

router = APIRouter(tags=["accounts"], responses=r.ERRORS)
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # the column's range: beyond it, a 422
Username = Annotated[str, Path(max_length=100)]


@router.get("/me", response_model=m.Me)
def me(who: Viewer) -> dict[str, Any]:
    return {"name": who.name, "role": who.role.value, "kind": who.kind, "user": who.user}


@router.post(
    "/me/password",
    response_model=m.UserOut,
    responses=r.own(
        e403="The token acts for another user",
        e404="The token belongs to no user",
        e429="Too many wrong passwords; wait",
    ),
)
def change_own_password(
    request: Request, body: s.PasswordChange, tocsin: App, who: Viewer
) -> dict[str, Any]:
    """The caller's own password (a session's user, or the user a token acts for): the
    current one is checked and throttled like a login. Every session of the user ends."""
    user = tocsin.accounts.user_of(who, body.username)
    address = request.client.host if request.client else "unknown"
    changed = tocsin.accounts.change_password(
        user.username, body.current_password, body.new_password, address
    )
    return user_json(changed)


@router.get("/severities", response_model=m.Severities)
def severities(tocsin: App, _: Viewer) -> dict[str, Any]:
    """The severity model, so clients can validate and colour without reading tocsin.yaml."""
    model = tocsin.incidents.severities
    return {
        "default": tocsin.incidents.default_severity,
        "items": [
            {"key": sev.key, "label": sev.label, "emoji": sev.emoji, "title": sev.title}
            for sev in model.severities
        ],
    }


@router.get("/users", response_model=list[m.UserOut])
def list_users(tocsin: App, _: Admin) -> list[dict[str, Any]]:
    return [user_json(u) for u in tocsin.accounts.users()]


@router.post("/users", status_code=201, response_model=m.UserOut)
def create_user(body: s.UserIn, tocsin: App, _: Admin) -> dict[str, Any]:
    return user_json(tocsin.accounts.create_user(body.username, body.password, body.role))


@router.patch("/users/{username}", response_model=m.UserOut)
def change_user(username: Username, body: s.UserPatch, tocsin: App, _: Admin) -> dict[str, Any]:
    """A new role, or `disabled`. The last enabled admin can be neither demoted nor disabled."""
    user = None
    if body.role is not None:
        user = tocsin.accounts.set_role(username, body.role)
    if body.disabled is True:
        user = tocsin.accounts.disable(username)
    elif body.disabled is False:
        user = tocsin.accounts.enable(username)
    return user_json(user or tocsin.accounts.user(username))


@router.post("/users/{username}/password", response_model=m.UserOut)
def reset_password(
    username: Username, body: s.PasswordReset, tocsin: App, _: Admin
) -> dict[str, Any]:
    """An admin sets a user's password; every session of the user ends."""
    return user_json(tocsin.accounts.reset_password(username, body.password))


@router.get("/tokens", response_model=list[m.TokenOut])
def list_tokens(tocsin: App, _: Admin) -> list[dict[str, Any]]:
    return [token_json(t) for t in tocsin.accounts.tokens()]


@router.post("/tokens", status_code=201, response_model=m.NewToken)
def create_token(body: s.TokenIn, tocsin: App, who: Admin) -> dict[str, Any]:
    """The answer's `token` is the secret: it is shown this once and stored hashed. It acts
    for the caller's user (for a session, that user; for a token, the user it acts for)."""
    owner = tocsin.accounts.person(who)
    token, secret = tocsin.accounts.create_token(body.name, body.role, who.name, owner)
    return {**token_json(token), "token": secret}


@router.delete("/tokens/{token_id}", response_model=m.TokenOut)
def revoke_token(token_id: TokenId, tocsin: App, _: Admin) -> dict[str, Any]:
    return token_json(tocsin.accounts.revoke_token(token_id))
