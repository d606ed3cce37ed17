"""The smaller sections of tocsin.yaml: services, templates, database."""

from __future__ import annotations

from typing import Annotated, Literal

import jinja2
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from tocsin.config.fields import HttpUrlStr, Slug
from tocsin.config.health import CheckConfig, SlaConfig
from tocsin.core.health import Check, SlaRule


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Slug
    description: str = ""
    owner: str | None = None
    tier: int | None = Field(default=None, ge=1, le=4, description="1 is the most critical")
    tenants: list[str] = Field(default_factory=list)
    health_urls: list[HttpUrlStr] = Field(
        default_factory=list, description="checked with the defaults of `checks`"
    )
    checks: list[CheckConfig] = Field(default_factory=list)
    sla: SlaConfig | None = None

    def health_checks(self) -> list[Check]:
        configured = [CheckConfig(url=url) for url in self.health_urls] + self.checks
        return [
            Check(
                self.name,
                c.url,
                c.interval,
                c.timeout,
                c.expect_status,
                c.expect_body,
                c.failures_before_alert,
                c.severity,
            )
            for c in configured
        ]

    def sla_rule(self) -> SlaRule | None:
        if self.sla is None:
            return None
        s = self.sla
        return SlaRule(self.name, s.p95_ms, s.availability, s.window, s.min_samples, s.severity)


def _check_template(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        jinja2.Environment(autoescape=True).parse(value)
    except jinja2.TemplateSyntaxError as exc:
        raise PydanticCustomError(
            "template_syntax",
            "template syntax error on line {template_line} of the template: {error}",
            {"template_line": exc.lineno, "error": exc.message or str(exc)},
        ) from None
    return value


Template = Annotated[str | None, AfterValidator(_check_template)]
"""Jinja2 text; None means the built-in default."""


class TemplatesConfig(BaseModel):
    """Message templates (Jinja2). Leave one out to use the built-in default."""

    model_config = ConfigDict(extra="forbid")

    announcement: Template = None
    acknowledged: Template = None
    update: Template = None
    mitigated: Template = None
    resolved: Template = None


class DatabaseConfig(BaseModel):
    """Where incidents are stored. TOCSIN_DATABASE_URL overrides `url` (applied by the caller)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, description="SQLAlchemy URL; empty for the default file")
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
