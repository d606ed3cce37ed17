"""`integrations:` and `routing:` in tocsin.yaml: where alerts come from and where they go."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from tocsin.config.fields import Slug, check_unique
from tocsin.core.errors import InvalidInput
from tocsin.core.routing import DeclareMode, Matcher, Route

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

    @field_validator("match")
    @classmethod
    def _matchers(cls, value: list[str]) -> list[str]:
        return [_matcher(m) for m in value]

    def to_core(self, keys: dict[str, str]) -> Route:
        return Route(
            matchers=tuple(Matcher.parse(m) for m in self.match),
            service=self.service,
            severity_map={w.lower(): _key(keys, k) for w, k in self.severity_map.items()},
            severity=_key(keys, self.severity) if self.severity else None,
            group_by=tuple(self.group_by),
            declare=self.declare,
        )


def _key(keys: dict[str, str], key: str) -> str:
    found = keys.get(key.casefold())
    if found is None:
        raise PydanticCustomError(
            "unknown_severity",
            "severity {key} is not one of the severities: {keys}",
            {"key": repr(key), "keys": ", ".join(keys.values())},
        )
    return found


class RoutingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    routes: list[RouteConfig] = Field(default_factory=list)
    default: RouteConfig = Field(
        default_factory=lambda: RouteConfig(declare=DeclareMode.SUGGEST),
        description="when no route matches (default: keep the alert, suggest declaring)",
    )


def check_integrations(value: list[IntegrationConfig]) -> list[IntegrationConfig]:
    check_unique(value, lambda i: i.name, "integrations", "name", "integration name")
    return value
