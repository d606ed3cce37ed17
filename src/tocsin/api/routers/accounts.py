"""/api/v1/me, /users and /tokens. Managing users and tokens needs admin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from tocsin.api import models as m
from tocsin.api import responses as r
from tocsin.api import schemas as s
from tocsin.api.deps import Admin, App, Viewer
from tocsin.app.views import token_json, user_json
from tocsin.core.errors import NotFound

router = APIRouter(tags=["accounts"], responses=r.ERRORS)
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # the column's range: beyond it, a 422


@router.get("/me", response_model=m.Me)
def me(who: Viewer) -> dict[str, Any]:
    return {"name": who.name, "role": who.role.value, "kind": who.kind}


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
def change_user(username: str, body: s.UserPatch, tocsin: App, _: Admin) -> dict[str, Any]:
    if body.role is not None:
        tocsin.accounts.set_role(username, body.role)
    if body.disabled:
        tocsin.accounts.disable(username)
    name = username.strip().lstrip("@")
    found = [u for u in tocsin.accounts.users() if u.username == name]
    if not found:
        raise NotFound(f"no user {username}; list them with `tocsin user list`")
    return user_json(found[0])


@router.get("/tokens", response_model=list[m.TokenOut])
def list_tokens(tocsin: App, _: Admin) -> list[dict[str, Any]]:
    return [token_json(t) for t in tocsin.accounts.tokens()]


@router.post("/tokens", status_code=201, response_model=m.NewToken)
def create_token(body: s.TokenIn, tocsin: App, who: Admin) -> dict[str, Any]:
    """The answer's `token` is the secret: it is shown this once and stored hashed."""
    token, secret = tocsin.accounts.create_token(body.name, body.role, who.name)
    return {**token_json(token), "token": secret}


@router.delete("/tokens/{token_id}", response_model=m.TokenOut)
def revoke_token(token_id: TokenId, tocsin: App, _: Admin) -> dict[str, Any]:
    return token_json(tocsin.accounts.revoke_token(token_id))
