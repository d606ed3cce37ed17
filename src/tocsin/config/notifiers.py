"""`notifiers:` in tocsin.yaml: how Tocsin reaches each channel's service. Secrets are never
written here: each `*_env` key names the environment variable that holds one. Leave a
channel out and Tocsin does not use it; base URLs default to the public services and point
elsewhere for self-hosted servers (ntfy) or test doubles."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tocsin.config.duration import Duration
from tocsin.config.fields import Email, EnvName, HttpUrlStr, Slug
from tocsin.config.problems import ConfigProblem


class SlackNotifierConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: HttpUrlStr = "https://slack.com/api/"
    bot_token_env: EnvName | None = Field(default=None, description="xoxb-… bot token")
    signing_secret_env: EnvName | None = Field(
        default=None, description="checks button clicks and slash commands from Slack"
    )
    webhooks: dict[Slug, EnvName] = Field(
        default_factory=dict, description="name -> variable holding an incoming-webhook URL"
    )

    @model_validator(mode="after")
    def _has_a_way_in(self) -> SlackNotifierConfig:
        if self.bot_token_env is None and not self.webhooks:
            raise ValueError("slack needs bot_token_env, or at least one entry in webhooks")
        return self


class TelegramNotifierConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: HttpUrlStr = "https://api.telegram.org"
    bot_token_env: EnvName
    webhook_secret_env: EnvName | None = Field(
        default=None, description="the secret_token Telegram sends with button presses"
    )


class TwilioNotifierConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: HttpUrlStr = "https://api.twilio.com/2010-04-01"
    account_sid_env: EnvName
    auth_token_env: EnvName
    from_number_env: EnvName = Field(description="the Twilio number to send and call from")


class EmailNotifierConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = Field(default=True, description="upgrade with STARTTLS; refuse without it")
    tls: bool = Field(default=False, description="TLS from the first byte (port 465)")
    username_env: EnvName | None = None
    password_env: EnvName | None = None
    from_: Email = Field(alias="from")
    from_name: str = "Tocsin"

    @model_validator(mode="after")
    def _consistent(self) -> EmailNotifierConfig:
        if self.tls and self.starttls:
            raise ValueError("choose one: tls (port 465) or starttls (port 587), not both")
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("set both username_env and password_env, or neither")
        return self


class NtfyNotifierConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: HttpUrlStr = "https://ntfy.sh"
    token_env: EnvName | None = Field(default=None, description="access token (tk_…)")


class WebhookNotifierConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrlStr
    secret_env: EnvName | None = Field(default=None, description="HMAC-SHA256 signing secret")


class TimeoutsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connect: Duration = timedelta(seconds=5)
    read: Duration = Field(default=timedelta(seconds=10), description="each wait for an answer")


class NotifiersConfig(BaseModel):
    """How Tocsin reaches each channel. Only the channels written here are used."""

    model_config = ConfigDict(extra="forbid")

    slack: SlackNotifierConfig | None = None
    telegram: TelegramNotifierConfig | None = None
    twilio: TwilioNotifierConfig | None = None
    email: EmailNotifierConfig | None = None
    ntfy: NtfyNotifierConfig | None = None
    webhooks: dict[Slug, WebhookNotifierConfig] = Field(default_factory=dict)
    event_source: str = Field(
        default="/tocsin", min_length=1, description="CloudEvents `source` of outbound events"
    )
    timeouts: TimeoutsConfig = Field(default_factory=TimeoutsConfig)

    def secret_envs(self) -> Iterator[tuple[str, str]]:
        """(field path, variable name) for every secret this section needs."""
        sections: dict[str, BaseModel | None] = {
            "slack": self.slack,
            "telegram": self.telegram,
            "twilio": self.twilio,
            "email": self.email,
            "ntfy": self.ntfy,
        }
        for name, section in sections.items():
            if section is None:
                continue
            for key, value in section:
                if key.endswith("_env") and isinstance(value, str):
                    yield f"notifiers.{name}.{key}", value
        if self.slack is not None:
            for hook, env in self.slack.webhooks.items():
                yield f"notifiers.slack.webhooks.{hook}", env
        for hook, config in self.webhooks.items():
            if config.secret_env:
                yield f"notifiers.webhooks.{hook}.secret_env", config.secret_env

    def missing_secrets(self, env: Mapping[str, str]) -> list[ConfigProblem]:
        """One problem per secret whose variable is unset or empty."""
        return [
            ConfigProblem(
                None,
                path,
                f"the environment variable {name} is not set; export it (the secret stays "
                "out of tocsin.yaml), or remove this channel",
            )
            for path, name in self.secret_envs()
            if not env.get(name, "").strip()
        ]
