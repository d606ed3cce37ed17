"""Typed actions: the changes and reads a runbook's mitigation table names, with their
parameters checked before anything is called. The adapters (integrations/actions/) carry
them out; each mitigation can run dry (what would change) and records the state before it,
so it can be undone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tocsin.core.errors import InvalidInput, NotFound

VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")  # in a ```tocsin step's values


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str = "str"  # str, int, float, bool
    default: Any = None  # None: required
    help: str = ""

    def parse(self, text: str) -> Any:
        try:
            if self.type == "int":
                return int(text)
            if self.type == "float":
                return float(text)
        except ValueError:
            raise InvalidInput(f"{self.name}={text!r}: give a number") from None
        if self.type == "bool":
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "on", "off", "yes", "no", "1", "0"):
                raise InvalidInput(f"{self.name}={text!r}: give true or false")
            return lowered in ("true", "on", "yes", "1")
        return text


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    kind: str  # "diagnostic" or "mitigation"
    summary: str
    params: tuple[Param, ...] = ()

    def parse(self, given: Mapping[str, str]) -> dict[str, Any]:
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise InvalidInput(f"{self.name} takes no {', '.join(unknown)}; it takes "
                               + ", ".join(known))  # fmt: skip
        out: dict[str, Any] = {}
        missing = []
        for p in self.params:
            if p.name in given:
                out[p.name] = p.parse(given[p.name])
            elif p.default is None:
                missing.append(p.name)
            else:
                out[p.name] = p.default
        if missing:
            raise InvalidInput(f"{self.name} needs {', '.join(missing)}: --param NAME=VALUE")
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "summary": self.summary,
            "params": [
                {"name": p.name, "type": p.type, "default": p.default, "help": p.help}
                for p in self.params
            ],
        }


@dataclass(frozen=True)
class ActionResult:
    action: str
    dry_run: bool
    ok: bool
    summary: str  # one line: "modax-cluster/modax-internal desired count 2 → 10"
    before: dict[str, Any] = field(default_factory=dict)  # what to restore to undo it
    after: dict[str, Any] = field(default_factory=dict)
    output: str = ""  # what a diagnostic found, as text
    error: str = ""
    awaiting_approval: int | None = None  # nothing ran yet: this run waits for a second person


def _p(name: str, type_: str = "str", default: Any = None, help_: str = "") -> Param:
    return Param(name, type_, default, help_)


CLUSTER, SERVICE = _p("cluster"), _p("service")
API, STAGE = _p("rest_api_id", help_="the REST API's id"), _p("stage", help_="e.g. production")
ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec("ecs.scale", "mitigation", "ECS: set a service's desired count",
                   (CLUSTER, SERVICE, _p("desired_count", "int"))),
        ActionSpec("ecs.rollback", "mitigation",
                   "ECS: move a service to the previous task definition revision",
                   (CLUSTER, SERVICE)),
        ActionSpec("apigateway.throttle", "mitigation", "API Gateway: a stage's rate and burst",
                   (API, STAGE, _p("rate", "float"), _p("burst", "int"))),
        ActionSpec("apigateway.cache", "mitigation", "API Gateway: a stage's cache on or off",
                   (API, STAGE, _p("enabled", "bool"))),
        ActionSpec("ssm.switch", "mitigation",
                   "SSM: set a parameter (e.g. the AI provider) to another value",
                   (_p("name"), _p("value"))),
        ActionSpec("secretsmanager.rotate", "mitigation",
                   "Secrets Manager: rotate a secret now (its rotation function makes the new one)",
                   (_p("secret_id"),)),
        ActionSpec("ecs.deployments", "diagnostic", "ECS: a service's deployments",
                   (CLUSTER, SERVICE)),
        ActionSpec("cloudwatch.stats", "diagnostic", "CloudWatch: metric statistics",
                   (_p("namespace"), _p("metric"),
                    _p("dimensions", default="", help_="Name=Value,Name=Value"),
                    _p("minutes", "int", 60), _p("period", "int", 300),
                    _p("statistics", default="Average", help_="Average,Maximum,…"))),
        ActionSpec("logs.filter", "diagnostic", "CloudWatch Logs: recent events matching",
                   (_p("log_group"), _p("pattern", default=""), _p("minutes", "int", 60),
                    _p("limit", "int", 50))),
        ActionSpec("rds.status", "diagnostic", "RDS: an instance's status",
                   (_p("db_instance"),)),
        ActionSpec("cloudtrail.events", "diagnostic",
                   "CloudTrail: recent management events (who changed what)",
                   (_p("lookup", default="", help_="one Key=Value: EventName, EventSource, "
                       "ResourceName, ResourceType, Username, AccessKeyId, EventId, ReadOnly"),
                    _p("minutes", "int", 60), _p("limit", "int", 50),
                    _p("writes_only", "bool", True, "leave out read-only calls"))),
    )
}  # fmt: skip


def action_spec(name: str, actions: Mapping[str, ActionSpec] | None = None) -> ActionSpec:
    known = ACTIONS if actions is None else actions
    try:
        return known[name]
    except KeyError:
        raise NotFound(f"no action {name!r}; actions: {', '.join(known)}") from None


def action_params(body: str) -> tuple[str, dict[str, str]]:
    """A ```tocsin block's action name and parameters (values as written, `$VARS` and all)."""
    params: dict[str, str] = {}
    for number, raw in enumerate(body.split("\n"), 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        key, sep, value = text.partition(":")
        if not sep or not key.strip():
            raise InvalidInput(f"line {number} of the block: write `key: value`, got {text!r}")
        params[key.strip()] = value.strip().strip("\"'")
    name = params.pop("action", "")
    if not name:
        raise InvalidInput("the block needs `action: NAME`, e.g. action: ecs.scale")
    return name, params


def check_params(spec: ActionSpec, params: dict[str, str]) -> None:
    """Names only: values may hold variables, filled in when the step runs."""
    known = {p.name for p in spec.params}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidInput(f"{spec.name} takes no {', '.join(unknown)}; it takes "
                           + ", ".join(sorted(known)))  # fmt: skip
    missing = [p.name for p in spec.params if p.default is None and p.name not in params]
    if missing:
        raise InvalidInput(f"{spec.name} needs {', '.join(missing)}")


def fill(value: str, env: dict[str, str]) -> str:
    """`$NAME`/`${NAME}` in a parameter replaced by the variable's value (no shell involved)."""
    return VARIABLE.sub(lambda m: env.get(m.group(1), m.group(0)), value)
