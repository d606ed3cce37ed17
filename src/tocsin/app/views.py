"""The JSON shape of an incident, shared by the CLI's --json and the API."""

from __future__ import annotations

from typing import Any

from tocsin.core import snapshot
from tocsin.core.incident import Incident
from tocsin.core.timeline import TimelineEntry


def incident_json(
    incident: Incident, timeline: list[TimelineEntry] | None = None
) -> dict[str, Any]:
    data = snapshot.to_dict(incident)
    if timeline is not None:
        data["timeline"] = [entry.to_dict() for entry in timeline]
    return data
