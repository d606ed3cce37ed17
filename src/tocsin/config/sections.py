"""The smaller sections of tocsin.yaml: services, people, templates, database."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from tocsin.config.fields import Email, HttpUrlStr, IntOrStr, PhoneStr, Slug


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Slug
    description: str = ""
    owner: str | None = None
    tier: int | None = Field(default=None, ge=1, le=4, description="1 is the most critical")
    tenants: list[str] = Field(default_factory=list)
    health_urls: list[HttpUrlStr] = Field(default_factory=list)


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "timezone",
            "unknown time zone {value}: use an IANA name such as Europe/Berlin, "
            "America/New_York or UTC",
            {"value": repr(value)},
        ) from None
    return value


class PersonConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handle: Slug
    name: str
    email: Email | None = None
    slack: str | None = Field(default=None, description="Slack member id, e.g. U012AB3CD")
    telegram: IntOrStr | None = None
    phone: PhoneStr | None = None
    timezone: Annotated[str, AfterValidator(_check_timezone)] = "UTC"


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
    update: Template = None
    mitigated: Template = None
    resolved: Template = None


class DatabaseConfig(BaseModel):
    """Where incidents are stored. TOCSIN_DATABASE_URL overrides `url` (applied by the caller)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, description="SQLAlchemy URL; empty for the default file")
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
