"""Escalation policies: who is notified, when, and on what condition, while nobody has
acknowledged. Pure: the paging use case freezes a policy onto an incident when escalation
starts, and asks this module which steps are due; a step's condition is checked when it fires,
against the incident as it is then (its severity and customer impact may have changed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tocsin.core.errors import InvalidInput

REPEAT_GAP = timedelta(minutes=15)  # after the last step, before the policy starts again


class TargetKind(StrEnum):
    SCHEDULE = "schedule"  # whoever is on call in it when the step fires
    PERSON = "person"
    CHANNEL = "channel"  # a team channel: posted to, never "woken"


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    name: str

    @classmethod
    def parse(cls, text: str) -> Target:
        """`schedule:primary`, `person:alice`, `channel:team`."""
        kind, _, name = text.partition(":")
        try:
            return cls(TargetKind(kind.strip()), _name(name))
        except ValueError:
            raise InvalidInput(
                f"target {text!r}: write schedule:NAME, person:NAME or channel:NAME"
            ) from None

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.name}"


@dataclass(frozen=True, slots=True)
class Condition:
    """When a step applies: severities (empty: any) and customer impact (None: either)."""

    severities: tuple[str, ...] = ()
    customer_impact: bool | None = None

    def holds(self, severity: str, customer_impact: bool) -> bool:
        if self.severities and severity not in self.severities:
            return False
        return self.customer_impact is None or self.customer_impact == customer_impact

    def describe(self) -> str:
        parts = []
        if self.severities:
            parts.append("/".join(self.severities))
        if self.customer_impact is not None:
            parts.append("with" if self.customer_impact else "without")
            parts[-1] += " customer impact"
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Step:
    after: timedelta  # from the start of the round
    targets: tuple[Target, ...]
    when: Condition = Condition()


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    steps: tuple[Step, ...]
    repeat: int = 0  # rounds after the first, while still unacknowledged
    repeat_gap: timedelta = REPEAT_GAP

    def __post_init__(self) -> None:
        if not self.steps:
            raise InvalidInput(f"policy {self.name}: give at least one step")
        afters = [s.after for s in self.steps]
        if afters != sorted(afters) or afters[0] < timedelta(0):
            raise InvalidInput(f"policy {self.name}: steps must be in order of `after`, from 0m")
        if not 0 <= self.repeat <= 10:
            raise InvalidInput(f"policy {self.name}: repeat is 0 to 10 rounds")

    @property
    def round_length(self) -> timedelta:
        return self.steps[-1].after + self.repeat_gap

    def due(self, start: datetime, round_: int, index: int) -> datetime:
        return start + round_ * self.round_length + self.steps[index].after

    def after(self, round_: int, index: int) -> tuple[int, int] | None:
        """The step that follows (round, index), or None when the policy is exhausted."""
        if index + 1 < len(self.steps):
            return round_, index + 1
        if round_ < self.repeat:
            return round_ + 1, 0
        return None

    # -- frozen onto the incident, as JSON ----------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "repeat": self.repeat,
            "repeat_gap_s": int(self.repeat_gap.total_seconds()),
            "steps": [
                {
                    "after_s": int(s.after.total_seconds()),
                    "targets": [str(t) for t in s.targets],
                    "severities": list(s.when.severities),
                    "customer_impact": s.when.customer_impact,
                }
                for s in self.steps
            ],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Policy:
        steps = tuple(
            Step(
                timedelta(seconds=s["after_s"]),
                tuple(Target.parse(t) for t in s["targets"]),
                Condition(tuple(s["severities"]), s["customer_impact"]),
            )
            for s in d["steps"]
        )
        return cls(d["name"], steps, d["repeat"], timedelta(seconds=d["repeat_gap_s"]))


def _name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > 100 or any(c.isspace() or ord(c) < 32 for c in name):
        raise ValueError(name)
    return name


def first_seed_policy(top: str, on_call: str = "primary") -> Policy:
    """The first runbook's path: on-call engineer (0-15 min), engineering lead (15-30 min),
    CTO (30+ min for P1), CEO (60+ min for P1 with customer impact)."""
    return Policy(
        "first-seed",
        (
            Step(timedelta(0), (Target(TargetKind.SCHEDULE, on_call),)),
            Step(timedelta(minutes=15), (Target(TargetKind.PERSON, "engineering-lead"),)),
            Step(timedelta(minutes=30), (Target(TargetKind.PERSON, "cto"),), Condition((top,))),
            Step(
                timedelta(minutes=60),
                (Target(TargetKind.PERSON, "ceo"),),
                Condition((top,), customer_impact=True),
            ),
        ),
    )


def second_seed_policy(on_call: str = "primary", channel: str = "team") -> Policy:
    """The second runbook's path: page the on-call person who owns the alarm and post every
    step to the team channel."""
    targets = (Target(TargetKind.SCHEDULE, on_call), Target(TargetKind.CHANNEL, channel))
    return Policy("second-seed", (Step(timedelta(0), targets),), repeat=2)
