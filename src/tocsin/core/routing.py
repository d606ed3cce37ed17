"""Routing: label matchers pick a service, a severity, a grouping key and whether to declare."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from tocsin.core.alert_rules import unprintable
from tocsin.core.alerts import AlertIn
from tocsin.core.errors import InvalidInput


class DeclareMode(StrEnum):
    AUTO = "auto"  # declare an incident when no open one matches the group
    SUGGEST = "suggest"  # keep the alert and show it; a person declares or dismisses it
    NEVER = "never"  # keep the alert only

    @property
    def strength(self) -> int:
        """How far it goes towards an incident: of several alerts of one group, the
        strongest mode decides (a critical alert declares a group a warning only suggests)."""
        return _STRENGTH[self]


_STRENGTH = {DeclareMode.NEVER: 0, DeclareMode.SUGGEST: 1, DeclareMode.AUTO: 2}


MATCHER_VALUE_MAX = 1024


@dataclass(frozen=True, slots=True)
class Matcher:
    """`name=value`, `name!=value`, `name=~regex` or `name!~regex`, as Alertmanager writes them."""

    name: str
    op: str
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> Matcher:
        match = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", text)
        if not match:
            raise InvalidInput(
                f"matcher {text!r} is not valid; write name=value, name!=value, "
                "name=~regex or name!~regex"
            )
        name, op, value = match.groups()
        return cls.of(name, op, value.strip("\"'"))

    @classmethod
    def of(cls, name: str, op: str, value: str) -> Matcher:
        if len(value) > MATCHER_VALUE_MAX:
            raise InvalidInput(
                f"matcher {name}{op}…: the value is {len(value)} characters; "
                f"the limit is {MATCHER_VALUE_MAX}"
            )
        if bad := unprintable(value):
            raise InvalidInput(f"matcher {name}{op}…: contains the control character {bad}")
        regex = None
        if op in ("=~", "!~"):
            try:
                regex = re.compile(f"^(?:{value})$")
            except re.error as exc:
                raise InvalidInput(f"matcher {name}{op}{value}: bad regex: {exc}") from None
        return cls(name, op, value, regex)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self._regex is not None  # noqa: S101 - set for regex ops
        found = self._regex.match(actual) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value}"


def matches_all(matchers: tuple[Matcher, ...], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


@dataclass(frozen=True, slots=True)
class Route:
    matchers: tuple[Matcher, ...] = ()
    service: str | None = None  # None: take it from the alert's `service` label or component
    severity_map: Mapping[str, str] = field(default_factory=dict)  # source word -> key
    severity: str | None = None  # a fixed severity key, used when the map has no entry
    group_by: tuple[str, ...] = ("alertname",)
    declare: DeclareMode = DeclareMode.AUTO
    # With `declare` SUGGEST: alerts of this severity rank (0: the most severe) or a more
    # severe one declare at once all the same. None: every alert is only suggested.
    auto_rank: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    service: str
    severity: str
    group_key: str
    declare: DeclareMode


DEFAULT_SEVERITY_MAP = {"critical": 0, "error": 1, "high": 1, "warning": 2, "info": 3, "low": 3}


@dataclass(frozen=True, slots=True)
class Router:
    """First matching route wins; the fallback applies when none matches."""

    routes: tuple[Route, ...]
    severity_keys: tuple[str, ...]  # most severe first
    fallback: Route = field(default_factory=lambda: Route(declare=DeclareMode.SUGGEST))

    def decide(self, alert: AlertIn) -> Decision:
        labels = alert.labels
        route = next((r for r in self.routes if matches_all(r.matchers, labels)), self.fallback)
        service = route.service or labels.get("service") or alert.component or "unknown"
        severity = self._severity(route, alert.severity)
        key = group_key(service, route.group_by, labels)
        return Decision(service, severity, key, self._mode(route, severity))

    def _mode(self, route: Route, severity: str) -> DeclareMode:
        """`suggest` becomes `auto` for an alert at least as severe as the route's threshold."""
        if route.declare is not DeclareMode.SUGGEST or route.auto_rank is None:
            return route.declare
        keys = self.severity_keys
        rank = keys.index(severity) if severity in keys else len(keys)
        return DeclareMode.AUTO if rank <= route.auto_rank else DeclareMode.SUGGEST

    def _severity(self, route: Route, word: str | None) -> str:
        key = (word or "").strip().lower()
        if key in route.severity_map:
            return route.severity_map[key]
        if route.severity is not None:
            return route.severity
        for own in self.severity_keys:  # a sender that already speaks our keys (P1, SEV-2)
            if own.casefold() == key:
                return own
        rank = DEFAULT_SEVERITY_MAP.get(key, len(self.severity_keys) - 1)
        return self.severity_keys[min(rank, len(self.severity_keys) - 1)]


def group_key(service: str, group_by: tuple[str, ...], labels: Mapping[str, str]) -> str:
    """Alerts with the same service and the same values of `group_by` form one group."""
    parts = [service, *(f"{name}={labels.get(name, '')}" for name in group_by)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
