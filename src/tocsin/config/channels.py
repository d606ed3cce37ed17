"""Where Tocsin posts: one model per channel type, told apart by `type`.

A channel says *where* (a Slack channel id, a Telegram chat, e-mail recipients, a webhook's
name). *How* Tocsin reaches each service (tokens, SMTP server, webhook URLs and secrets) is
`notifiers:`, the one place secrets are named. The connection keys a channel may still carry
(`token_env`, `webhook_url_env`, `smtp_host`, … from before `notifiers:` existed) are folded
into `notifiers:` where it does not set them (`fold_channels`); the same thing set twice to
different values is a problem `tocsin config check` names, never a silent choice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tocsin.config.fields import Email, EnvName, HttpUrlStr, IntOrStr, Slug
from tocsin.config.notifiers import (
    EmailNotifierConfig,
    NotifiersConfig,
    SlackNotifierConfig,
    TelegramNotifierConfig,
    WebhookNotifierConfig,
)
from tocsin.config.problems import ConfigProblem
from tocsin.core.notify import ContactKind, ContactMethod


class SlackChannel(BaseModel):
    """Post as the bot of `notifiers.slack` to `channel`; without `channel`, by the incoming
    webhook `notifiers.slack.webhooks.<name>` (or `webhook_url_env`)."""

    model_config = ConfigDict(extra="forbid")

    name: Slug
    type: Literal["slack"]
    webhook_url_env: EnvName | None = None
    channel: str | None = None
    token_env: EnvName | None = None  # folded into notifiers.slack.bot_token_env

    @model_validator(mode="after")
    def _has_a_way_in(self) -> SlackChannel:
        if self.token_env is not None and self.channel is None:
            raise ValueError(
                "a slack channel with token_env needs channel (the channel id the bot posts "
                "to); or use an incoming webhook: webhook_url_env"
            )
        return self


class TelegramChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Slug
    type: Literal["telegram"]
    chat_id: IntOrStr
    token_env: EnvName | None = None  # folded into notifiers.telegram.bot_token_env


class EmailChannel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: Slug
    type: Literal["email"]
    to: list[Email] = Field(min_length=1)
    # The server, folded into notifiers.email when that is not set:
    from_: Email | None = Field(default=None, alias="from")
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    username_env: EnvName | None = None
    password_env: EnvName | None = None
    starttls: bool = False


class WebhookChannel(BaseModel):
    """Outbound CloudEvents; the body is signed with the secret in secret_env when given."""

    model_config = ConfigDict(extra="forbid")

    name: Slug
    type: Literal["webhook"]
    url: HttpUrlStr | None = None  # folded into notifiers.webhooks.<name>
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


def fold_channels(
    notifiers: NotifiersConfig, channels: list[ChannelConfig]
) -> tuple[NotifiersConfig, list[ConfigProblem]]:
    """`notifiers:` with what channels still say about connections folded in where it says
    nothing; and a problem for each thing said twice differently, or a channel nothing can
    reach."""
    out = notifiers.model_copy(deep=True)
    problems: list[ConfigProblem] = []

    def clash(i: int, key: str, theirs: object, where: str, ours: object) -> None:
        problems.append(ConfigProblem(None, f"channels[{i}].{key}", (
            f"{theirs} differs from {where} ({ours}); Tocsin reaches the service one way: "
            f"remove the channel's {key} (notifiers: is where connections are set)")))  # fmt: skip

    for i, c in enumerate(channels):
        if isinstance(c, SlackChannel):
            _fold_slack(out, i, c, clash, problems)
        elif isinstance(c, TelegramChannel) and c.token_env:
            if out.telegram is None:
                out.telegram = TelegramNotifierConfig(bot_token_env=c.token_env)
            elif out.telegram.bot_token_env != c.token_env:
                clash(i, "token_env", c.token_env, "notifiers.telegram.bot_token_env",
                      out.telegram.bot_token_env)  # fmt: skip
        elif isinstance(c, EmailChannel) and c.smtp_host:
            _fold_email(out, i, c, clash)
        elif isinstance(c, WebhookChannel):
            _fold_webhook(out, i, c, clash, problems)
    return out, problems


def _fold_slack(out: NotifiersConfig, i: int, c: SlackChannel, clash: Clash,
                problems: list[ConfigProblem]) -> None:  # fmt: skip
    if c.token_env:
        if out.slack is None:
            out.slack = SlackNotifierConfig(bot_token_env=c.token_env)
        elif out.slack.bot_token_env is None:
            out.slack.bot_token_env = c.token_env
        elif out.slack.bot_token_env != c.token_env:
            clash(i, "token_env", c.token_env, "notifiers.slack.bot_token_env",
                  out.slack.bot_token_env)  # fmt: skip
    if c.webhook_url_env and c.channel is None:
        if out.slack is None:
            out.slack = SlackNotifierConfig(webhooks={c.name: c.webhook_url_env})
        elif c.name not in out.slack.webhooks:
            out.slack.webhooks[c.name] = c.webhook_url_env
        elif out.slack.webhooks[c.name] != c.webhook_url_env:
            clash(i, "webhook_url_env", c.webhook_url_env, f"notifiers.slack.webhooks.{c.name}",
                  out.slack.webhooks[c.name])  # fmt: skip
    if c.channel is None and (out.slack is None or c.name not in out.slack.webhooks):
        problems.append(ConfigProblem(None, f"channels[{i}]", (
            f"slack channel {c.name} names no way in: give channel (a channel id, posted by "
            f"the bot of notifiers.slack) or an incoming webhook, notifiers.slack.webhooks."
            f"{c.name}")))  # fmt: skip


def _fold_email(out: NotifiersConfig, i: int, c: EmailChannel, clash: Clash) -> None:
    theirs = (c.smtp_host, c.smtp_port, c.from_)
    if out.email is None:
        out.email = EmailNotifierConfig.model_validate({
            "host": c.smtp_host, "port": c.smtp_port, "starttls": c.starttls,
            "from": c.from_ or "tocsin@localhost", "username_env": c.username_env,
            "password_env": c.password_env})  # fmt: skip
        return
    ours = (out.email.host, out.email.port, out.email.from_)
    if theirs[:2] != ours[:2] or (c.from_ is not None and c.from_ != ours[2]):
        clash(i, "smtp_host", f"{c.smtp_host}:{c.smtp_port}", "notifiers.email",
              f"{out.email.host}:{out.email.port}")  # fmt: skip


def _fold_webhook(out: NotifiersConfig, i: int, c: WebhookChannel, clash: Clash,
                  problems: list[ConfigProblem]) -> None:  # fmt: skip
    mine = out.webhooks.get(c.name)
    if c.url is None:
        if mine is None:
            problems.append(ConfigProblem(None, f"channels[{i}]", (
                f"webhook channel {c.name} has no url: add notifiers.webhooks.{c.name} "
                "(url and secret_env)")))  # fmt: skip
        return
    if mine is None:
        out.webhooks[c.name] = WebhookNotifierConfig(url=c.url, secret_env=c.secret_env)
    elif (mine.url, mine.secret_env) != (c.url, c.secret_env):
        clash(i, "url", c.url, f"notifiers.webhooks.{c.name}", mine.url)


Clash = Callable[[int, str, object, str, object], None]
