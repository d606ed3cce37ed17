"""What clients see: the one JSON encoder of each thing, shared by the API, the CLI's --json,
the message templates and the read models' stored copies.

`incident_json` is the public shape of an incident. It is not the storage format
(`core/snapshot.py`): that one is versioned and upgraded on read, this one changes only when
the API does. The read models keep `incident_text` of each incident beside its state
(`incidents.public`, written with every change) and serve it as it is, so a change to
`incident_json` must bump `PUBLIC_VERSION`: copies written by an older encoder are then
encoded again when read (and stored again), never served stale.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tocsin.app.accounts import ApiToken, User
from tocsin.app.alert_records import AlertRow, Dismissal, Suggestion
from tocsin.core.incident import Incident
from tocsin.core.lifecycle import Status
from tocsin.core.scope import Impact, Scope
from tocsin.core.silences import MaintenanceWindow, Silence
from tocsin.core.timeline import TimelineEntry, iso, parse_iso

PUBLIC_VERSION = 1
"""The version of `incident_json`'s output; bump it with every change to that output."""


def incident_json(
    incident: Incident, timeline: list[TimelineEntry] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": incident.id,
        "number": incident.number,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status.value,
        "declared_at": iso(incident.declared_at),
        "declared_by": incident.declared_by,
        "acknowledged_at": iso(incident.acknowledged_at),
        "acknowledged_by": incident.acknowledged_by,
        "mitigated_at": iso(incident.mitigated_at),
        "mitigation": incident.mitigation,
        "resolved_at": iso(incident.resolved_at),
        "closed_at": iso(incident.closed_at),
        "updated_at": iso(incident.updated_at),
        "roles": dict(sorted(incident.roles.items())),
        "scope": incident.scope.to_dict(),
        "impact": incident.impact.to_dict(),
        "root_cause": incident.root_cause,
        "fix": incident.fix,
        "labels": list(incident.labels),
        "postmortem_due": iso(incident.postmortem_due),
        "last_update_at": iso(incident.last_update_at),
        "version": incident.version,
    }
    if timeline is not None:
        data["timeline"] = [entry.to_dict() for entry in timeline]
    return data


def incident_text(incident: Incident) -> str:
    """`incident_json` as the JSON text the read models store and splice into answers."""
    return json.dumps(incident_json(incident), separators=(",", ":"))


def incident_from_json(data: dict[str, Any]) -> Incident:
    """An incident from `incident_json`'s output (the CLI reading a server's answers)."""
    incident = Incident(
        number=data["number"],
        title=data["title"],
        severity=data["severity"],
        status=Status(data["status"]),
        declared_at=_time(data["declared_at"]),
        declared_by=data["declared_by"],
        updated_at=_time(data["updated_at"]),
        acknowledged_at=parse_iso(data["acknowledged_at"]),
        acknowledged_by=data["acknowledged_by"],
        mitigated_at=parse_iso(data["mitigated_at"]),
        mitigation=data["mitigation"],
        resolved_at=parse_iso(data["resolved_at"]),
        closed_at=parse_iso(data["closed_at"]),
        roles=dict(data["roles"]),
        scope=Scope.from_dict(data["scope"]),
        impact=Impact.from_dict(data["impact"]),
        root_cause=data["root_cause"],
        fix=data["fix"],
        labels=tuple(data["labels"]),
        postmortem_due=parse_iso(data["postmortem_due"]),
        last_update_at=parse_iso(data["last_update_at"]),
        version=data["version"],
    )
    incident.loaded_version = incident.version
    return incident


def _time(text: str) -> datetime:
    moment = parse_iso(text)
    if moment is None:
        raise ValueError("a required time is null")
    return moment


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
        "id": a.id,
        "group_key": a.group_key,
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
        "starts_at": iso(a.starts_at),
        "ends_at": iso(a.ends_at),
        "source_url": a.source_url,
        "count": a.count,
        "flaps": a.flaps,
        "incident": f"INC-{a.incident}" if a.incident else None,
        "suppressed_by": a.suppressed_by,
        "acknowledged": a.acknowledged,
    }


def suggestion_json(s: Suggestion) -> dict[str, Any]:
    """A suggested incident: the group, and its worst firing alert (severity, summary)."""
    g, worst = s.group, s.worst
    return {
        "group_key": g.group_key,
        "service": g.service,
        "severity": worst.severity,
        "summary": worst.summary,
        "alert_id": worst.id,
        "integration": worst.integration,
        "alerts": g.alerts,
        "firing": g.firing,
        "first_at": iso(g.first_at),
        "firing_since": iso(g.firing_since),
        "last_at": iso(g.last_at),
        "dismissed_at": iso(g.dismissed_at),
        "dismissed_by": g.dismissed_by,
    }


def dismissal_json(d: Dismissal) -> dict[str, Any]:
    return {
        "group_key": d.group_key,
        "service": d.service,
        "dismissed_at": iso(d.dismissed_at),
        "dismissed_by": d.dismissed_by,
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
