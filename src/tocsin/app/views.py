"""The JSON shape of an incident, shared by the CLI's --json and the API."""

from __future__ import annotations

from typing import Any

from tocsin.app.accounts import ApiToken, User
from tocsin.app.alert_records import AlertRow
from tocsin.core import snapshot
from tocsin.core.incident import Incident
from tocsin.core.silences import MaintenanceWindow, Silence
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
        "owner": token.owner,
    }


def alert_json(a: AlertRow) -> dict[str, Any]:
    return {
        "integration": a.integration,
        "dedup_key": a.dedup_key,
        "status": a.status.value,
        "summary": a.summary,
        "severity": a.severity,
        "source_severity": a.source_severity,
        "service": a.service,
        "labels": a.labels,
        "annotations": a.annotations,
        "first_seen": iso(a.first_seen),
        "last_seen": iso(a.last_seen),
        "count": a.count,
        "flaps": a.flaps,
        "incident": f"INC-{a.incident}" if a.incident else None,
        "suppressed_by": a.suppressed_by,
        "acknowledged": a.acknowledged,
    }


def silence_json(s: Silence) -> dict[str, Any]:
    return {
        "id": s.id,
        "matchers": [str(m) for m in s.matchers],
        "starts_at": iso(s.starts_at),
        "ends_at": iso(s.ends_at),
        "author": s.author,
        "comment": s.comment,
    }


def window_json(w: MaintenanceWindow) -> dict[str, Any]:
    return {
        "id": w.id,
        "service": w.service,
        "starts_at": iso(w.starts_at),
        "ends_at": iso(w.ends_at),
        "author": w.author,
        "comment": w.comment,
    }
