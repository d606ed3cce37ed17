"""Escalation policies as pure data: order, rounds, conditions, freezing as JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.core.errors import InvalidInput
from tocsin.core.escalation import (
    Condition,
    Policy,
    Step,
    Target,
    TargetKind,
    first_seed_policy,
    second_seed_policy,
)

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def fired(policy: Policy, severity: str, impact: bool) -> list[tuple[int, str]]:
    """(minutes after start, targets) of every step that would fire, in order."""
    out, at = [], (0, 0)
    while at is not None:
        round_, index = at
        step = policy.steps[index]
        if step.when.holds(severity, impact):
            minutes = int((policy.due(T0, round_, index) - T0).total_seconds() // 60)
            out.append((minutes, ",".join(str(t) for t in step.targets)))
        at = policy.after(round_, index)
    return out


def test_the_first_runbook_path_exactly() -> None:
    policy = first_seed_policy("P1")
    assert fired(policy, "P1", True) == [
        (0, "schedule:primary"),
        (15, "person:engineering-lead"),
        (30, "person:cto"),
        (60, "person:ceo"),
    ]
    assert fired(policy, "P1", False) == [
        (0, "schedule:primary"),
        (15, "person:engineering-lead"),
        (30, "person:cto"),
    ]
    assert fired(policy, "P2", True) == [(0, "schedule:primary"), (15, "person:engineering-lead")]


def test_the_second_runbook_path_repeats_while_unacknowledged() -> None:
    policy = second_seed_policy()
    assert fired(policy, "SEV-2", False) == [
        (0, "schedule:primary,channel:team"),
        (15, "schedule:primary,channel:team"),
        (30, "schedule:primary,channel:team"),
    ]


def test_a_policy_refuses_steps_out_of_order_and_bad_targets() -> None:
    late, early = Step(timedelta(minutes=5), ()), Step(timedelta(0), ())
    with pytest.raises(InvalidInput, match="in order"):
        Policy("p", (late, early))
    with pytest.raises(InvalidInput, match="at least one step"):
        Policy("p", ())
    with pytest.raises(InvalidInput, match="schedule:NAME"):
        Target.parse("pager:alice")
    with pytest.raises(InvalidInput, match="schedule:NAME"):
        Target.parse("person:")


def test_conditions_describe_themselves() -> None:
    assert Condition(("P1",), True).describe() == "P1 with customer impact"
    assert Condition().holds("P4", False)


@given(
    st.lists(st.integers(0, 240), min_size=1, max_size=6).map(sorted),
    st.integers(0, 3),
    st.sampled_from(["P1", "P2"]),
    st.booleans(),
)
def test_frozen_policies_come_back_the_same(
    minutes: list[int], repeat: int, severity: str, impact: bool
) -> None:
    steps = tuple(
        Step(
            timedelta(minutes=m),
            (Target(TargetKind.PERSON, f"p{i}"), Target(TargetKind.CHANNEL, "team")),
            Condition((severity,), impact if i % 2 else None),
        )
        for i, m in enumerate(minutes)
    )
    policy = Policy("any", steps, repeat)
    assert Policy.from_dict(policy.to_dict()) == policy
    due = [policy.due(T0, r, i) for r in range(repeat + 1) for i in range(len(steps))]
    assert due == sorted(due)  # every round after the one before
