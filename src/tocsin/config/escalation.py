"""`escalation:` in tocsin.yaml: the policies, and which one an incident gets.

```yaml
escalation:
  policies:
    - name: default
      steps:
        - {after: 0m, notify: [schedule:primary]}
        - {after: 15m, notify: [person:engineering-lead]}
        - {after: 30m, notify: [person:cto], severities: [P1]}
        - {after: 60m, notify: [person:ceo], severities: [P1], customer_impact: true}
  routes:                      # the first whose services and severities match wins
    - {services: [api], severities: [P1, P2], policy: default}
  default_policy: default      # when no route matches; empty: nobody is paged
```
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tocsin.config.duration import Duration, Offset
from tocsin.config.fields import Slug, check_unique
from tocsin.core.errors import InvalidInput
from tocsin.core.escalation import Condition, Policy, Step, Target, TargetKind


class StepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: Offset = Field(description="from the start of the round: 0m, 15m, 1h")
    notify: list[str] = Field(
        min_length=1, description="schedule:NAME (whoever is on call), person:NAME, channel:NAME"
    )
    severities: list[str] = Field(default_factory=list, description="empty: any severity")
    customer_impact: bool | None = Field(
        default=None, description="true: only with customer impact; empty: either"
    )

    @field_validator("notify")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        for text in value:
            try:
                Target.parse(text)
            except InvalidInput as exc:
                raise PydanticCustomError("target", str(exc)) from None
        return value


class PolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Slug
    steps: list[StepConfig] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=10, description="rounds again while unacknowledged")
    repeat_gap: Duration = Field(default=timedelta(minutes=15), description="between rounds")

    def to_core(self, keys: dict[str, str]) -> Policy:
        steps = tuple(
            Step(
                s.after,
                tuple(Target.parse(t) for t in s.notify),
                Condition(tuple(_key(keys, k, self.name) for k in s.severities), s.customer_impact),
            )
            for s in self.steps
        )
        try:
            return Policy(self.name, steps, self.repeat, self.repeat_gap)
        except InvalidInput as exc:
            raise PydanticCustomError("policy", str(exc)) from None


class EscalationRoute(BaseModel):
    model_config = ConfigDict(extra="forbid")

    services: list[str] = Field(default_factory=list, description="empty: any service")
    severities: list[str] = Field(default_factory=list, description="empty: any severity")
    policy: str | None = Field(description="a policy's name; empty: page nobody")


class AnnounceRoute(BaseModel):
    """Where an incident's messages are posted: every route that matches adds its channels."""

    model_config = ConfigDict(extra="forbid")

    services: list[str] = Field(default_factory=list, description="empty: any service")
    severities: list[str] = Field(default_factory=list, description="empty: any severity")
    channels: list[str] = Field(min_length=1, description="names from `channels:`")


class EscalationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policies: list[PolicyConfig] = Field(default_factory=list)
    announce: list[AnnounceRoute] = Field(
        default_factory=list,
        description="the channels the announcement, updates and RESOLVED are posted to",
    )
    routes: list[EscalationRoute] = Field(default_factory=list)
    default_policy: str | None = Field(
        default=None, description="when no route matches; empty: nobody is paged"
    )

    @field_validator("policies")
    @classmethod
    def _unique(cls, value: list[PolicyConfig]) -> list[PolicyConfig]:
        check_unique(value, lambda p: p.name, "policies", "name", "policy name")
        return value

    @model_validator(mode="after")
    def _known_policies(self) -> EscalationConfig:
        names = {p.name for p in self.policies}
        wanted = [r.policy for r in self.routes] + [self.default_policy]
        for name in wanted:
            if name is not None and name not in names:
                raise PydanticCustomError(
                    "unknown_policy",
                    "policy {name} is not one of the policies: {names}",
                    {"name": repr(name), "names": ", ".join(sorted(names)) or "none defined"},
                )
        return self

    def chooser(self, keys: dict[str, str]) -> PolicyChooser:
        return PolicyChooser(self, {p.name: p.to_core(keys) for p in self.policies}, keys)

    def channels_for(self, keys: dict[str, str]) -> Callable[[Sequence[str], str], list[str]]:
        routes = [
            (set(r.services), {_key(keys, k, "announce") for k in r.severities}, r.channels)
            for r in self.announce
        ]

        def choose(services: Sequence[str], severity: str) -> list[str]:
            found: dict[str, None] = {}
            for wanted, severities, channels in routes:
                if (not wanted or wanted & set(services)) and (
                    not severities or severity in severities
                ):
                    found.update(dict.fromkeys(channels))
            return list(found)

        return choose

    def in_use(self) -> set[str]:
        """The policies a route or `default_policy` names: the ones that can page anyone."""
        return {name for name in [r.policy for r in self.routes] + [self.default_policy] if name}

    def targets(self, in_use: bool | None = None) -> Iterable[tuple[str, Target]]:
        """Every target every policy names (or only those in use, or only those not), with
        where it is named."""
        used = self.in_use()
        for i, policy in enumerate(self.policies):
            if in_use is not None and (policy.name in used) != in_use:
                continue
            for j, step in enumerate(policy.steps):
                for text in step.notify:
                    yield f"escalation.policies[{i}].steps[{j}].notify", Target.parse(text)


class PolicyChooser:
    """Routing: the policy for an incident's services and severity."""

    def __init__(
        self, config: EscalationConfig, policies: dict[str, Policy], keys: dict[str, str]
    ) -> None:
        self._config = config
        self._policies = policies
        self._keys = keys

    def __call__(self, services: Sequence[str], severity: str) -> Policy | None:
        for route in self._config.routes:
            wanted = {_key(self._keys, k, "route") for k in route.severities}
            if route.services and not set(route.services) & set(services):
                continue
            if wanted and severity not in wanted:
                continue
            return self._policies.get(route.policy) if route.policy else None
        default = self._config.default_policy
        return self._policies.get(default) if default else None


def _key(keys: dict[str, str], key: str, where: str) -> str:
    found = keys.get(key.casefold())
    if found is None:
        raise PydanticCustomError(
            "unknown_severity",
            "{where}: severity {key} is not one of the severities: {keys}",
            {"where": where, "key": repr(key), "keys": ", ".join(keys.values())},
        )
    return found


def unknown_targets(
    config: EscalationConfig,
    people: set[str],
    schedules: set[str],
    channels: set[str],
    in_use: bool | None = None,
) -> list[tuple[str, str]]:
    """(field, message) for every target that names nobody: found now, not at 3 a.m.
    `in_use`: only the policies a route or the default names (True), or only the others."""
    known = {
        TargetKind.PERSON: people,
        TargetKind.SCHEDULE: schedules,
        TargetKind.CHANNEL: channels,
    }
    return [
        (
            where,
            f"{target} names no {target.kind.value}; known: {', '.join(sorted(names)) or 'none'}",
        )
        for where, target in config.targets(in_use)
        if target.name not in (names := known[target.kind])
    ]
