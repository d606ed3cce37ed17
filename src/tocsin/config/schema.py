"""The tocsin.yaml schema: pydantic models, validated once when the file is loaded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tocsin.config.channels import (
    ChannelConfig,
    EmailChannel,
    SlackChannel,
    TelegramChannel,
    WebhookChannel,
)
from tocsin.config.duration import Duration
from tocsin.config.escalation import EscalationConfig
from tocsin.config.fields import check_unique, matching
from tocsin.config.insights import InsightsConfig
from tocsin.config.notifiers import NotifiersConfig
from tocsin.config.oncall import ScheduleConfig, Schedules
from tocsin.config.people import People, PersonConfig
from tocsin.config.postmortem import PostmortemConfig
from tocsin.config.routing import (
    IntegrationConfig,
    RoutingConfig,
    check_integrations,
)
from tocsin.config.runbooks import RunbooksConfig
from tocsin.config.sections import DatabaseConfig, ServiceConfig, TemplatesConfig
from tocsin.config.server import ServerConfig
from tocsin.config.trackers import TrackersConfig
from tocsin.core.escalation import Policy
from tocsin.core.routing import Router
from tocsin.core.severity import Severity, SeverityModel

__all__ = [
    "ChannelConfig",
    "DatabaseConfig",
    "EmailChannel",
    "PersonConfig",
    "PostmortemPolicy",
    "ScheduleConfig",
    "ServiceConfig",
    "SeverityConfig",
    "SlackChannel",
    "TelegramChannel",
    "TemplatesConfig",
    "TocsinConfig",
    "WebhookChannel",
]

DEFAULT_POSTMORTEM_DUE = timedelta(hours=48)
MessageStyle = Literal["p1-p4", "sev1-sev3"]
"""The built-in message sets, one per preset (`app/messages.py` MESSAGE_SETS)."""
SEVERITY_KEY_PATTERN = r"^[A-Za-z0-9-]{1,20}$"

SeverityKey = Annotated[
    str,
    AfterValidator(
        matching(
            SEVERITY_KEY_PATTERN,
            "severity_key",
            "invalid severity key {value}: use 1 to 20 letters, digits or dashes, e.g. P1 or SEV-1",
        )
    ),
    WithJsonSchema({"type": "string", "pattern": SEVERITY_KEY_PATTERN, "examples": ["P1"]}),
]


class PostmortemPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required: bool = False
    due_within: Duration | None = Field(default=None, description="48h when required and empty")

    @model_validator(mode="after")
    def _default_due(self) -> PostmortemPolicy:
        if self.required and self.due_within is None:
            self.due_within = DEFAULT_POSTMORTEM_DUE
        return self


class SeverityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: SeverityKey
    label: str = Field(min_length=1, description="e.g. Critical")
    emoji: str = ""
    description: str = ""
    examples: list[str] = Field(default_factory=list)
    response_target: Duration | None = Field(default=None, description="time to acknowledge")
    update_every: Duration | None = Field(default=None, description="status update cadence")
    postmortem: PostmortemPolicy = Field(default_factory=PostmortemPolicy)
    paging: bool = True

    def to_core(self) -> Severity:
        return Severity(
            key=self.key,
            label=self.label,
            emoji=self.emoji,
            description=self.description,
            examples=tuple(self.examples),
            response_target=self.response_target,
            update_every=self.update_every,
            postmortem_required=self.postmortem.required,
            postmortem_due_within=self.postmortem.due_within,
        )


class TocsinConfig(BaseModel):
    """The whole of tocsin.yaml."""

    model_config = ConfigDict(extra="forbid", title="tocsin.yaml")

    version: Literal[1] = 1
    organization: str = "My team"
    severities: list[SeverityConfig] = Field(min_length=1, description="most severe first")
    default_severity: str | None = Field(
        default=None, description="used when none is given; empty means always ask"
    )
    services: list[ServiceConfig] = Field(default_factory=list)
    people: People = Field(default_factory=list)
    schedules: Schedules = Field(default_factory=list)
    channels: list[ChannelConfig] = Field(default_factory=list)
    messages: MessageStyle = Field(
        default="p1-p4",
        description="whose built-in messages: the p1-p4 runbook's blocks or the sev1-sev3 "
        "runbook's sentences; `templates` replaces any one of them",
    )
    templates: TemplatesConfig = Field(default_factory=TemplatesConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    integrations: list[IntegrationConfig] = Field(default_factory=list)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    escalation: EscalationConfig = Field(default_factory=EscalationConfig)
    notifiers: NotifiersConfig = Field(default_factory=NotifiersConfig)
    runbooks: RunbooksConfig = Field(default_factory=RunbooksConfig)
    postmortem: PostmortemConfig = Field(default_factory=PostmortemConfig)
    trackers: TrackersConfig = Field(default_factory=TrackersConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    insights: InsightsConfig = Field(default_factory=InsightsConfig)

    @field_validator("severities")
    @classmethod
    def _unique_severities(cls, value: list[SeverityConfig]) -> list[SeverityConfig]:
        check_unique(value, lambda s: s.key, "severities", "key", "severity key")
        return value

    @field_validator("services")
    @classmethod
    def _unique_services(cls, value: list[ServiceConfig]) -> list[ServiceConfig]:
        check_unique(value, lambda s: s.name, "services", "name", "service name")
        return value

    @field_validator("people")
    @classmethod
    def _unique_people(cls, value: list[PersonConfig]) -> list[PersonConfig]:
        check_unique(value, lambda p: p.handle, "people", "handle", "person handle")
        return value

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, value: list[ChannelConfig]) -> list[ChannelConfig]:
        check_unique(value, lambda c: c.name, "channels", "name", "channel name")
        return value

    @field_validator("integrations")
    @classmethod
    def _unique_integrations(cls, value: list[IntegrationConfig]) -> list[IntegrationConfig]:
        return check_integrations(value)

    @model_validator(mode="after")
    def _insights_channel_is_known(self) -> TocsinConfig:
        wanted = self.insights.channel
        if wanted is not None and wanted not in {c.name for c in self.channels}:
            known = ", ".join(c.name for c in self.channels) or "none yet"
            raise ValueError(f"insights.channel {wanted!r} is not under channels: ({known})")
        return self

    @model_validator(mode="after")
    def _routes_name_known_severities(self) -> TocsinConfig:
        problems = self.routing.severity_problems(self._severity_keys())
        if problems:  # each at its own field, so the file's line is named
            raise ValidationError.from_exception_data("tocsin.yaml", problems)
        self.router()
        self.policy_for()
        return self

    def policy_for(self) -> Callable[[Sequence[str], str], Policy | None]:
        """Which escalation policy an incident gets; none for a severity with paging off."""
        keys = {s.key.casefold(): s.key for s in self.severities}
        chooser = self.escalation.chooser(keys)
        quiet = {s.key for s in self.severities if not s.paging}

        def choose(services: Sequence[str], severity: str) -> Policy | None:
            return None if severity in quiet else chooser(services, severity)

        return choose

    @field_validator("default_severity")
    @classmethod
    def _known_default(cls, value: str | None, info: ValidationInfo) -> str | None:
        severities: list[SeverityConfig] | None = info.data.get("severities")
        if value is None or severities is None:
            return value
        for severity in severities:
            if severity.key.casefold() == value.strip().casefold():
                return severity.key
        raise PydanticCustomError(
            "unknown_severity",
            "default_severity {value} is not one of the severities: {keys}",
            {"value": repr(value), "keys": ", ".join(s.key for s in severities)},
        )

    def router(self) -> Router:
        """The routing rules as the core domain's router."""
        routes, fallback = self.routing.to_core(self._severity_keys())
        return Router(routes, tuple(s.key for s in self.severities), fallback)

    def _severity_keys(self) -> dict[str, str]:
        """Casefolded key -> key, most severe first."""
        return {s.key.casefold(): s.key for s in self.severities}

    def integration(self, name: str) -> IntegrationConfig | None:
        return next((i for i in self.integrations if i.name == name), None)

    def severity_model(self) -> SeverityModel:
        """The severities as the core domain's model, most severe first."""
        return SeverityModel(tuple(s.to_core() for s in self.severities))
