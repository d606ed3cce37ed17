"""Where Tocsin posts: one model per channel type, told apart by `type`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tocsin.config.fields import Email, EnvName, HttpUrlStr, IntOrStr, Slug
from tocsin.core.notify import ContactKind, ContactMethod


class SlackChannel(BaseModel):
    """Post by incoming webhook (webhook_url_env) or as a bot (token_env + channel)."""

    model_config = ConfigDict(extra="forbid")

    name: Slug
    type: Literal["slack"]
    webhook_url_env: EnvName | None = None
    channel: str | None = None
    token_env: EnvName | None = None

    @model_validator(mode="after")
    def _has_a_way_in(self) -> SlackChannel:
        if self.webhook_url_env is None and (self.token_env is None or self.channel is None):
            raise ValueError("a slack channel needs webhook_url_env, or token_env and channel")
        return self


class TelegramChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Slug
    type: Literal["telegram"]
    chat_id: IntOrStr
    token_env: EnvName


class EmailChannel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: Slug
    type: Literal["email"]
    to: list[Email] = Field(min_length=1)
    from_: Email = Field(alias="from")
    smtp_host: str
    smtp_port: int = Field(default=25, ge=1, le=65535)
    username_env: EnvName | None = None
    password_env: EnvName | None = None
    starttls: bool = False


class WebhookChannel(BaseModel):
    """Outbound CloudEvents; the body is signed with the secret in secret_env when given."""

    model_config = ConfigDict(extra="forbid")

    name: Slug
    type: Literal["webhook"]
    url: HttpUrlStr
    secret_env: EnvName | None = None


ChannelConfig = Annotated[
    SlackChannel | TelegramChannel | EmailChannel | WebhookChannel,
    Field(discriminator="type"),
]
"""One entry of `channels:`; `type` picks the model."""


def contact_method(channel: ChannelConfig) -> ContactMethod:
    """Where a team channel is reached, as the notifiers take it (their secrets come from
    `notifiers:`; a Slack channel without a bot channel posts by its incoming webhook)."""
    if isinstance(channel, SlackChannel):
        if channel.channel:
            return ContactMethod(ContactKind.SLACK, channel.channel, channel.name)
        return ContactMethod(ContactKind.SLACK_WEBHOOK, channel.name, channel.name)
    if isinstance(channel, TelegramChannel):
        return ContactMethod(ContactKind.TELEGRAM, str(channel.chat_id), channel.name)
    if isinstance(channel, EmailChannel):
        return ContactMethod(ContactKind.EMAIL, ",".join(channel.to), channel.name)
    return ContactMethod(ContactKind.WEBHOOK, channel.name, channel.name)
