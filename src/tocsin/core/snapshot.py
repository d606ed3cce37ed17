"""An incident as plain JSON-ready data, and back: the projection row and the API's shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tocsin.core.incident import Incident
from tocsin.core.lifecycle import Status
from tocsin.core.scope import Impact, Scope
from tocsin.core.timeline import iso, parse_iso


def to_dict(incident: Incident) -> dict[str, Any]:
    return {
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


def from_dict(data: dict[str, Any]) -> Incident:
    declared_at = _required_time(data, "declared_at")
    updated_at = _required_time(data, "updated_at")
    incident = Incident(
        number=data["number"],
        title=data["title"],
        severity=data["severity"],
        status=Status(data["status"]),
        declared_at=declared_at,
        declared_by=data["declared_by"],
        updated_at=updated_at,
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


def _required_time(data: dict[str, Any], key: str) -> datetime:
    moment = parse_iso(data.get(key))
    if moment is None:
        raise ValueError(f"incident snapshot lacks {key}")
    return moment
