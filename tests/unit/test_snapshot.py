"""The stored incident state: versioned, upgraded on read; the public JSON apart from it."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.payloads import load
from tocsin.app.views import incident_from_json, incident_json, incident_text
from tocsin.core import snapshot
from tocsin.core.incident import Incident
from tocsin.core.lifecycle import Status
from tocsin.core.scope import Impact, Scope
from tocsin.core.severity import SeverityModel


def v0_row() -> dict[str, Any]:
    """INC-1's `state` as Tocsin wrote it before stored states had a version (schema 0003)."""
    value = load("stored", "incident_state_v0.json")
    assert isinstance(value, dict)
    return value


def test_a_recorded_v0_row_loads_into_the_incident_it_described() -> None:
    incident = snapshot.from_dict(v0_row())
    assert (incident.number, incident.status, incident.version) == (1, Status.RESOLVED, 10)
    assert incident.acknowledged_at == datetime(2026, 11, 22, 3, 3, 0, 250, tzinfo=UTC)
    assert incident.scope == Scope(("checkout", "api"), ("acme", "globex"), ("/checkout",))
    assert incident.impact == Impact("EU checkout fails", True, "about 1200", None)
    assert incident.roles == {"commander": "bob", "comms": "carol"}
    assert incident.loaded_version == 10
    # The v0 row was also the API's item shape: the public encoder still gives exactly it.
    assert incident_json(incident) == v0_row()


def test_the_current_format_is_versioned_and_round_trips_to_the_same_incident() -> None:
    incident = snapshot.from_dict(v0_row())
    stored = snapshot.to_dict(incident)
    assert stored["v"] == snapshot.VERSION == len(snapshot.UPGRADES)
    assert "id" not in stored  # derived from the number: not stored since v1
    assert snapshot.from_dict(json.loads(json.dumps(stored))) == incident


def test_upgrading_leaves_the_row_it_was_given_alone() -> None:
    row = v0_row()
    before = copy.deepcopy(row)
    upgraded = snapshot.upgrade(row)
    assert row == before
    assert upgraded["v"] == snapshot.VERSION
    assert snapshot.upgrade(upgraded) == upgraded  # a current row goes through untouched


def test_a_later_version_fills_in_a_field_older_rows_lack() -> None:
    """How the next feature adds a field: a step appended to the chain, no data migration."""

    def add_responders(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "v": data["v"] + 1, "responders": []}

    steps = (*snapshot.UPGRADES, add_responders)
    from_v0 = snapshot.upgrade(v0_row(), steps)
    assert (from_v0["v"], from_v0["responders"]) == (len(steps), [])
    from_v1 = snapshot.upgrade(snapshot.upgrade(v0_row()), steps)
    assert from_v1 == from_v0


def test_a_state_from_a_newer_tocsin_is_refused_by_name() -> None:
    row = {**v0_row(), "v": snapshot.VERSION + 1}
    with pytest.raises(snapshot.SnapshotTooNew, match=r"INC-1 was stored by a newer Tocsin"):
        snapshot.from_dict(row)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"v": "1"}, "INC-1's stored state has a bad version '1'"),
        ({"v": -1}, "bad version -1"),
        ({"v": 1, "title": None, "status": "lost"}, "unreadable: 'lost' is not a valid Status"),
        ({"v": 1, "updated_at": None}, "INC-1's stored state \\(v1\\) lacks 'updated_at'"),
    ],
)
def test_an_unreadable_state_names_the_incident_and_the_problem(
    change: dict[str, Any], message: str
) -> None:
    row = {**snapshot.upgrade(v0_row()), **change}
    with pytest.raises(snapshot.SnapshotError, match=message):
        snapshot.from_dict(row)


def test_a_missing_field_is_a_snapshot_error_not_a_key_error() -> None:
    row = snapshot.upgrade(v0_row())
    del row["labels"]
    with pytest.raises(snapshot.SnapshotError, match="lacks 'labels'"):
        snapshot.from_dict(row)
    with pytest.raises(snapshot.SnapshotError, match="not an object"):
        snapshot.from_dict([])  # type: ignore[arg-type]


def test_the_public_json_reads_back_into_the_same_incident(severities: SeverityModel) -> None:
    t0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    incident = Incident.declare(4, "Queue stuck", severities.get("P2"), t0, "alice")
    incident.acknowledge(t0 + timedelta(seconds=1, microseconds=5), "bob")
    assert incident_from_json(incident_json(incident)) == incident
    assert incident_from_json(json.loads(incident_text(incident))) == incident
    assert json.loads(incident_text(incident)) == incident_json(incident)
