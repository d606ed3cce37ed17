"""The incident's stored state (the `incidents.state` column), versioned and upgraded on read.

This is the storage format only. What clients see is `app/views.py`'s `incident_json`; the two
may drift apart (a field kept for escalation need not be shown, a shown field need not be kept).

Every stored state carries `"v"`. `from_dict` first runs the upgrade steps from the row's
version to `VERSION`, each a pure function from one version's dict to the next one's, so rows
written by any earlier Tocsin load without a data migration. To add a field: write the step
that fills it in for older rows (`{**data, "v": 2, "responders": []}`), append it to
`UPGRADES`, and read the field in `from_dict`. A step is never edited once released.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from tocsin.core.errors import ErrorKind, TocsinError
from tocsin.core.incident import Incident
from tocsin.core.lifecycle import Status
from tocsin.core.scope import Impact, Scope
from tocsin.core.timeline import iso, parse_iso

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


class SnapshotError(TocsinError):
    """A stored state this Tocsin cannot read; the message names the incident and the field.
    The store raises it as DatabaseCorrupt or DatabaseTooNew."""

    kind = ErrorKind.UNAVAILABLE


class SnapshotTooNew(SnapshotError):
    """A stored state written by a newer Tocsin."""


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v0, before versioning (up to schema 0003), was the API's item shape: it carried the
    derived `id`. v1 drops it and says its version."""
    upgraded = {key: value for key, value in data.items() if key != "id"}
    upgraded["v"] = 1
    return upgraded


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v2 keeps the running escalation (the seq of its `started` entry); none before."""
    return {**data, "v": 2, "escalation": None}


UPGRADES: tuple[Upgrade, ...] = (_v0_to_v1, _v1_to_v2)
"""`UPGRADES[n]` turns a version-n state into version n+1. Append only."""
VERSION = len(UPGRADES)
"""The version `to_dict` writes."""


def to_dict(incident: Incident) -> dict[str, Any]:
    return {
        "v": VERSION,
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
        "escalation": incident.escalation,
        "version": incident.version,
    }


def upgrade(data: dict[str, Any], steps: Sequence[Upgrade] = UPGRADES) -> dict[str, Any]:
    """`data` brought to the newest version `steps` know; `data` itself is left as it was."""
    if not isinstance(data, dict):
        raise SnapshotError(f"a stored incident state is {type(data).__name__}, not an object")
    found = data.get("v", 0)
    if type(found) is not int or found < 0:
        raise SnapshotError(f"{_which(data)}'s stored state has a bad version {found!r}")
    if found > len(steps):
        raise SnapshotTooNew(
            f"{_which(data)} was stored by a newer Tocsin (incident state v{found}; this one "
            f"reads up to v{len(steps)}); upgrade Tocsin to read it"
        )
    for step in steps[found:]:
        data = step(data)
    return data


def from_dict(data: dict[str, Any]) -> Incident:
    """The incident a stored state of any version describes."""
    current = upgrade(data)
    try:
        incident = _incident(current)
    except KeyError as exc:
        raise SnapshotError(
            f"{_which(data)}'s stored state (v{data.get('v', 0)}) lacks {exc.args[0]!r}"
        ) from None
    except (TypeError, ValueError) as exc:
        raise SnapshotError(f"{_which(data)}'s stored state is unreadable: {exc}") from None
    incident.loaded_version = incident.version
    return incident


def _incident(data: dict[str, Any]) -> Incident:
    return Incident(
        number=data["number"],
        title=data["title"],
        severity=data["severity"],
        status=Status(data["status"]),
        declared_at=_required_time(data, "declared_at"),
        declared_by=data["declared_by"],
        updated_at=_required_time(data, "updated_at"),
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
        escalation=data["escalation"],
        version=data["version"],
    )


def _required_time(data: dict[str, Any], key: str) -> datetime:
    moment = parse_iso(data[key])
    if moment is None:
        raise KeyError(key)
    return moment


def _which(data: dict[str, Any]) -> str:
    number = data.get("number")
    return f"INC-{number}" if type(number) is int else "an incident"
