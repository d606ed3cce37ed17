"""/api/v1/me, /users and /tokens. Managing users and tokens needs admin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tocsin.api import schemas as s
from tocsin.api.deps import Admin, App, Viewer
from tocsin.app.views import token_json, user_json

router = APIRouter(tags=["accounts"])


@router.get("/me")
def me(who: Viewer) -> dict[str, Any]:
    return {"name": who.name, "role": who.role.value, "kind": who.kind}


@router.get("/severities")
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


@router.get("/users")
def list_users(tocsin: App, _: Admin) -> list[dict[str, Any]]:
    return [user_json(u) for u in tocsin.accounts.users()]


@router.post("/users", status_code=201)
def create_user(body: s.UserIn, tocsin: App, _: Admin) -> dict[str, Any]:
    return user_json(tocsin.accounts.create_user(body.username, body.password, body.role))


@router.patch("/users/{username}")
def change_user(username: str, body: s.UserPatch, tocsin: App, _: Admin) -> dict[str, Any]:
    if body.role is not None:
        tocsin.accounts.set_role(username, body.role)
    if body.disabled:
        tocsin.accounts.disable(username)
    found = [u for u in tocsin.accounts.users() if u.username == username.lstrip("@")]
    return user_json(found[0])


@router.get("/tokens")
def list_tokens(tocsin: App, _: Admin) -> list[dict[str, Any]]:
    return [token_json(t) for t in tocsin.accounts.tokens()]


@router.post("/tokens", status_code=201)
def create_token(body: s.TokenIn, tocsin: App, who: Admin) -> dict[str, Any]:
    """The answer's `token` is the secret: it is shown this once and stored hashed."""
    token, secret = tocsin.accounts.create_token(body.name, body.role, who.name)
    return {**token_json(token), "token": secret}


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: int, tocsin: App, _: Admin) -> dict[str, Any]:
    return token_json(tocsin.accounts.revoke_token(token_id))
