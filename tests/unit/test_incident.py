"""The incident aggregate: lifecycle rules, errors that name what is allowed, the fold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.core import snapshot
from tocsin.core.errors import DomainError, IllegalTransition, InvalidInput
from tocsin.core.incident import Incident
from tocsin.core.lifecycle import Status
from tocsin.core.scope import ALL_TENANTS, Impact, Role, Scope
from tocsin.core.severity import SeverityModel
from tocsin.core.timeline import EntryKind

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def declare(severities: SeverityModel, key: str = "P1") -> Incident:
    return Incident.declare(
        7,
        "API returning 500s",
        severities.get(key),
        T0,
        "alice",
        Scope(services=("api",), tenants=ALL_TENANTS),
        Impact(summary="All tenants", customer_impact=True),
        labels=["Database"],
        commander="bob",
    )


def test_declare_records_the_first_entry_and_the_state(severities: SeverityModel) -> None:
    incident = declare(severities)
    assert incident.id == "INC-7"
    assert incident.status is Status.INVESTIGATING
    assert incident.roles == {"commander": "bob"}
    assert incident.labels == ("database",)
    [entry] = incident.pending
    assert (entry.seq, entry.kind, entry.at, entry.actor) == (1, EntryKind.DECLARED, T0, "alice")
    assert entry.data["scope"]["tenants"] == "all"


def test_full_lifecycle_sets_each_time_once(severities: SeverityModel) -> None:
    incident = declare(severities)
    incident.acknowledge(T0 + MIN, "alice")
    incident.mitigate(T0 + 10 * MIN, "alice", "rolled back to v41")
    incident.resolve(T0 + 30 * MIN, "alice", severities.get("P1"), "bad migration", "revert")
    incident.close(T0 + 40 * MIN, "alice")
    assert incident.acknowledged_at == T0 + MIN
    assert incident.mitigated_at == T0 + 10 * MIN
    assert incident.resolved_at == T0 + 30 * MIN
    assert incident.closed_at == T0 + 40 * MIN
    assert incident.postmortem_due == T0 + 30 * MIN + timedelta(hours=48)
    assert [e.seq for e in incident.pending] == [1, 2, 3, 4, 5]


def test_post_mortem_due_only_when_the_severity_requires_one(severities: SeverityModel) -> None:
    incident = declare(severities, "P3")
    incident.resolve(T0 + MIN, "alice", severities.get("P3"))
    assert incident.postmortem_due is None


def test_illegal_transition_names_the_allowed_actions(severities: SeverityModel) -> None:
    incident = declare(severities)
    incident.resolve(T0 + MIN, "alice", severities.get("P1"))
    with pytest.raises(IllegalTransition) as caught:
        incident.mitigate(T0 + 2 * MIN, "alice", "too late")
    assert "cannot mitigate INC-7: it is resolved" in str(caught.value)
    assert {"close", "reopen"} <= set(caught.value.allowed)
    assert "message" not in caught.value.allowed


def test_a_closed_incident_changes_only_by_reopen(severities: SeverityModel) -> None:
    incident = declare(severities)
    incident.resolve(T0 + MIN, "alice", severities.get("P1"))
    incident.close(T0 + 2 * MIN, "alice")
    version = incident.version
    with pytest.raises(IllegalTransition, match=r"allowed now: reopen$"):
        incident.note(T0 + 3 * MIN, "alice", "one more thing")
    assert incident.version == version
    incident.reopen(T0 + 4 * MIN, "alice", "errors are back")
    assert incident.status is Status.INVESTIGATING
    assert incident.resolved_at is None
    assert incident.closed_at is None
    assert incident.postmortem_due is None


def test_acknowledging_twice_says_who_did_it_first(severities: SeverityModel) -> None:
    incident = declare(severities)
    incident.acknowledge(T0 + MIN, "alice")
    with pytest.raises(DomainError, match="already acknowledged by alice"):
        incident.acknowledge(T0 + 2 * MIN, "bob")


def test_entry_times_never_go_backwards_when_the_clock_does(severities: SeverityModel) -> None:
    incident = declare(severities)
    incident.note(T0 + 5 * MIN, "alice", "later")
    entry = incident.note(T0 + 2 * MIN, "alice", "clock stepped back")
    assert entry.at == T0 + 5 * MIN


def test_naive_times_are_refused(severities: SeverityModel) -> None:
    with pytest.raises(ValueError, match="timezone"):
        Incident.declare(1, "x", severities.get("P1"), datetime(2026, 1, 1), "alice")  # noqa: DTZ001


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda i: i.post_update(T0, "a", "   "), "update is empty"),
        (lambda i: i.note(T0, "a", "x" * 10_001), "note is 10001 characters; the limit is 10000"),
        (lambda i: i.relabel(T0, "a", add=["Not A Label!"]), "label 'Not A Label!' is not valid"),
        (
            lambda i: i.assign(T0, "a", Role.SCRIBE, "no spaces"),
            "scribe 'no spaces' is not a handle",
        ),
        (lambda i: i.acknowledge(T0, " "), "actor is empty"),
    ],
)
def test_bad_input_names_the_field(severities: SeverityModel, call: object, message: str) -> None:
    incident = declare(severities)
    with pytest.raises(InvalidInput, match=message):
        call(incident)  # type: ignore[operator]
    assert incident.version == 1


def test_changing_to_the_same_severity_is_refused(severities: SeverityModel) -> None:
    incident = declare(severities)
    with pytest.raises(InvalidInput, match="already P1"):
        incident.change_severity(T0, "alice", severities.get("p1"))


def test_roles_assign_and_unassign(severities: SeverityModel) -> None:
    incident = declare(severities)
    incident.assign(T0, "alice", Role.parse("comms-lead"), "@carol")
    incident.assign(T0, "alice", Role.COMMANDER, None)
    assert incident.roles == {"comms": "carol"}
    with pytest.raises(InvalidInput, match="valid roles: commander, comms, scribe"):
        Role.parse("captain")


def test_replay_of_the_timeline_rebuilds_the_state(severities: SeverityModel) -> None:
    incident = declare(severities)
    incident.acknowledge(T0 + MIN, "alice")
    incident.change_severity(T0 + 2 * MIN, "alice", severities.get("P2"), "fewer tenants")
    incident.change_scope(T0 + 3 * MIN, "alice", Scope(services=("api", "db"), tenants=("acme",)))
    incident.change_impact(T0 + 4 * MIN, "alice", Impact("acme only", True, "120", None))
    incident.relabel(T0 + 5 * MIN, "alice", add=["db"], remove=["database"])
    incident.mitigate(T0 + 6 * MIN, "alice", "failover")
    incident.resolve(T0 + 7 * MIN, "alice", severities.get("P2"), "disk full", "bigger disk")
    rebuilt = Incident.replay(incident.pending)
    assert rebuilt == incident
    assert snapshot.from_dict(snapshot.to_dict(incident)) == incident


def test_replay_refuses_a_gap_in_the_timeline(severities: SeverityModel) -> None:
    incident = declare(severities)
    incident.note(T0, "alice", "one")
    incident.note(T0, "alice", "two")
    with pytest.raises(DomainError, match="entry 3 follows 1"):
        Incident.replay([incident.pending[0], incident.pending[2]])


def test_control_characters_are_refused_before_they_reach_storage(
    severities: SeverityModel,
) -> None:
    with pytest.raises(InvalidInput, match="title contains the control character U\\+0000"):
        Incident.declare(1, "bad\x00title", severities.get("P1"), T0, "alice")
    with pytest.raises(InvalidInput, match="tenant contains the control character"):
        Scope(tenants=("acme\x07",))
    with pytest.raises(InvalidInput, match="impact summary is 1001 characters"):
        Impact(summary="x" * 1001)
    assert Scope(services=(" api ", "api", "db")).services == ("api", "db")
