"""`integrations:` and `routing:` in tocsin.yaml: where alerts come from and where they go."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from tocsin.config.fields import Slug, check_unique
from tocsin.core.errors import InvalidInput
from tocsin.core.routing import DeclareMode, Matcher, Route

Loc = tuple[int | str, ...]
SourceName = Literal["alertmanager", "pagerduty", "cloudwatch", "grafana", "generic"]


class IntegrationConfig(BaseModel):
    """A monitoring system that sends alerts. Its key is generated and stored in the
    database (`tocsin integration add`), never in this file."""

    model_config = ConfigDict(extra="forbid")

    name: Slug
    source: SourceName
    allowed_topic_arns: list[str] = Field(
        default_factory=list, description="cloudwatch: SNS topics whose subscriptions to confirm"
    )
    hmac_secret_env: str | None = Field(
        default=None, description="grafana: env var holding the HMAC secret"
    )
    signature_header: str = Field(
        default="X-Grafana-Alerting-Signature", description="grafana: the signature header"
    )


def _matcher(text: str) -> str:
    try:
        Matcher.parse(text)
    except InvalidInput as exc:
        raise PydanticCustomError("matcher", str(exc)) from None
    return text


class RouteConfig(BaseModel):
    """Alerts whose labels match every matcher take this route; the first match wins."""

    model_config = ConfigDict(extra="forbid")

    match: list[str] = Field(
        default_factory=list, description='label matchers: "service=api", "env=~prod.*"'
    )
    service: Slug | None = Field(
        default=None, description="the service; default: the alert's service label"
    )
    severity: str | None = Field(default=None, description="a fixed severity key")
    severity_map: dict[str, str] = Field(
        default_factory=dict, description="the source's word to a key: {critical: P1}"
    )
    group_by: list[str] = Field(default_factory=lambda: ["alertname"])
    declare: DeclareMode = DeclareMode.AUTO
    auto_declare_at: str | None = Field(
        default=None,
        description=(
            "with declare: suggest, alerts of this severity or a more severe one declare at "
            "once; on `default` when left out: the second most severe key; null: off"
        ),
    )

    @field_validator("match")
    @classmethod
    def _matchers(cls, value: list[str]) -> list[str]:
        return [_matcher(m) for m in value]

    @field_validator("auto_declare_at")
    @classmethod
    def _only_when_suggesting(cls, value: str | None, info: ValidationInfo) -> str | None:
        declare = info.data.get("declare")
        if value is not None and declare is not None and declare is not DeclareMode.SUGGEST:
            raise PydanticCustomError(
                "auto_declare_at",
                "applies only with declare: suggest (this route has declare: {declare}); "
                "remove it or set declare: suggest",
                {"declare": str(declare)},
            )
        return value

    def to_core(self, keys: dict[str, str], implicit_rank: int | None = None) -> Route:
        """`keys`: casefolded key -> key, most severe first. `implicit_rank`: the threshold
        when `auto_declare_at` is not written at all (an explicit null turns it off)."""
        rank = implicit_rank
        if "auto_declare_at" in self.model_fields_set:
            found = self.auto_declare_at
            rank = None if found is None else list(keys.values()).index(_key(keys, found))
        return Route(
            matchers=tuple(Matcher.parse(m) for m in self.match),
            service=self.service,
            severity_map={w.lower(): _key(keys, k) for w, k in self.severity_map.items()},
            severity=_key(keys, self.severity) if self.severity else None,
            group_by=tuple(self.group_by),
            declare=self.declare,
            auto_rank=rank,
        )

    def severity_problems(self, at: Loc, keys: dict[str, str]) -> list[InitErrorDetails]:
        """Each severity key this route names that `severities` lacks, at its own field."""
        named: list[tuple[Loc, str | None]] = [
            (("severity",), self.severity),
            (("auto_declare_at",), self.auto_declare_at),
            *((("severity_map", word), key) for word, key in self.severity_map.items()),
        ]
        return [
            _unknown(keys, (*at, *field), key)
            for field, key in named
            if key is not None and key.casefold() not in keys
        ]


def _key(keys: dict[str, str], key: str) -> str:
    found = keys.get(key.casefold())
    if found is None:
        raise _unknown_severity(keys, key)
    return found


def _unknown_severity(keys: dict[str, str], key: str) -> PydanticCustomError:
    return PydanticCustomError(
        "unknown_severity",
        "severity {key} is not one of the severities: {keys}",
        {"key": repr(key), "keys": ", ".join(keys.values())},
    )


def _unknown(keys: dict[str, str], loc: Loc, key: str) -> InitErrorDetails:
    return InitErrorDetails(
        type=_unknown_severity(keys, key),
        loc=loc,
        input=key,
    )


class RoutingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    routes: list[RouteConfig] = Field(default_factory=list)
    default: RouteConfig = Field(
        default_factory=lambda: RouteConfig(declare=DeclareMode.SUGGEST),
        description=(
            "when no route matches (default: declare critical and error alerts, suggest "
            "declaring for the rest)"
        ),
    )

    def to_core(self, keys: dict[str, str]) -> tuple[tuple[Route, ...], Route]:
        """The routes and the fallback. The fallback's threshold, unless written, is the
        second most severe key: critical and error alerts (the first two of the default
        severity map) declare at once, the rest wait for a person."""
        implicit = min(1, len(keys) - 1)
        routes = tuple(r.to_core(keys) for r in self.routes)
        return routes, self.default.to_core(keys, implicit)

    def severity_problems(self, keys: dict[str, str]) -> list[InitErrorDetails]:
        found = [
            problem
            for i, route in enumerate(self.routes)
            for problem in route.severity_problems(("routing", "routes", i), keys)
        ]
        return found + self.default.severity_problems(("routing", "default"), keys)


def check_integrations(value: list[IntegrationConfig]) -> list[IntegrationConfig]:
    check_unique(value, lambda i: i.name, "integrations", "name", "integration name")
    return value
