"""The JSON shape of an incident, shared by the CLI's --json and the API."""

from __future__ import annotations

from typing import Any

from tocsin.app.accounts import ApiToken, User
from tocsin.core import snapshot
from tocsin.core.incident import Incident
from tocsin.core.timeline import TimelineEntry, iso


def incident_json(
    incident: Incident, timeline: list[TimelineEntry] | None = None
) -> dict[str, Any]:
    data = snapshot.to_dict(incident)
    if timeline is not None:
        data["timeline"] = [entry.to_dict() for entry in timeline]
    return data


def user_json(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role.value,
        "created_at": iso(user.created_at),
        "disabled": user.disabled,
    }


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role.value,
        "created_at": iso(token.created_at),
        "created_by": token.created_by,
        "revoked_at": iso(token.revoked_at),
    }
