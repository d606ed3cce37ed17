"""`notifiers:` in tocsin.yaml: the models, the secrets check, and the adapters bootstrap
builds from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import START
from tocsin import bootstrap
from tocsin.app.clock import ManualClock
from tocsin.config import ConfigError, TocsinConfig
from tocsin.config.loader import parse_config
from tocsin.core.notify import ContactKind

FULL = """
severities: [{key: P1, label: Critical}]
notifiers:
  slack:
    bot_token_env: SLACK_BOT_TOKEN
    signing_secret_env: SLACK_SIGNING_SECRET
    webhooks: {ops: SLACK_WEBHOOK_OPS}
  telegram:
    bot_token_env: TELEGRAM_BOT_TOKEN
  twilio:
    account_sid_env: TWILIO_ACCOUNT_SID
    auth_token_env: TWILIO_AUTH_TOKEN
    from_number_env: TWILIO_FROM_NUMBER
  email:
    host: smtp.example.com
    from: tocsin@example.com
    username_env: SMTP_USERNAME
    password_env: SMTP_PASSWORD
  ntfy:
    base_url: https://ntfy.internal.example
    token_env: NTFY_TOKEN
  webhooks:
    audit: {url: "https://hooks.example.com/tocsin", secret_env: AUDIT_SECRET}
  timeouts: {connect: 3s, read: 8s}
"""
ENV = {
    name: f"value-of-{name.lower()}"
    for name in [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_WEBHOOK_OPS",
        "TELEGRAM_BOT_TOKEN",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
        "SMTP_USERNAME",
        "SMTP_PASSWORD",
        "NTFY_TOKEN",
        "AUDIT_SECRET",
    ]
}
ENV["SLACK_WEBHOOK_OPS"] = "https://hooks.slack.com/services/T0/B0/xyz"


def load(text: str) -> TocsinConfig:
    return parse_config(Path("tocsin.yaml"), text)


def test_the_defaults_point_at_the_public_services() -> None:
    notifiers = load(FULL).notifiers
    assert notifiers.slack is not None
    assert notifiers.slack.base_url == "https://slack.com/api/"
    assert notifiers.telegram is not None
    assert notifiers.telegram.base_url == "https://api.telegram.org"
    assert notifiers.twilio is not None
    assert notifiers.twilio.base_url == "https://api.twilio.com/2010-04-01"
    assert notifiers.email is not None
    assert (notifiers.email.port, notifiers.email.starttls) == (
        587,
        True,
    )
    assert notifiers.ntfy is not None
    assert notifiers.ntfy.base_url == "https://ntfy.internal.example"


def test_no_notifiers_section_means_no_channels() -> None:
    config = load("severities: [{key: P1, label: Critical}]\n")
    assert bootstrap.notifiers(config, ENV, ManualClock(START)) == {}
    assert bootstrap.notifier_problems(config, {}) == []


def test_every_channel_is_built_when_its_secrets_are_set() -> None:
    built = bootstrap.notifiers(load(FULL), ENV, ManualClock(START))
    assert set(built) == set(ContactKind)
    assert all(notifier.kind is kind for kind, notifier in built.items())


def test_a_channel_whose_secret_is_unset_is_left_out_and_reported() -> None:
    env = {k: v for k, v in ENV.items() if k not in ("TELEGRAM_BOT_TOKEN", "TWILIO_AUTH_TOKEN")}
    env["NTFY_TOKEN"] = "  "  # noqa: S105 - blank counts as unset
    config = load(FULL)
    built = bootstrap.notifiers(config, env, ManualClock(START))
    assert ContactKind.TELEGRAM not in built
    assert ContactKind.SMS not in built
    assert ContactKind.VOICE not in built
    assert ContactKind.NTFY not in built
    problems = bootstrap.notifier_problems(config, env)
    assert [p.field for p in problems] == [
        "notifiers.telegram.bot_token_env",
        "notifiers.twilio.auth_token_env",
        "notifiers.ntfy.token_env",
    ]
    assert "TELEGRAM_BOT_TOKEN is not set" in problems[0].message


def test_webhook_and_slack_webhook_secrets_are_checked_too() -> None:
    problems = bootstrap.notifier_problems(load(FULL), {})
    fields = {p.field for p in problems}
    assert "notifiers.slack.webhooks.ops" in fields
    assert "notifiers.webhooks.audit.secret_env" in fields
    assert "notifiers.email.password_env" in fields
    assert len(problems) == len(ENV)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"slack": {}}, "slack needs bot_token_env, or at least one entry in webhooks"),
        ({"slack": {"bot_token_env": "xoxb-123"}}, "is not an environment variable name"),
        ({"telegram": {"bot_token_env": "T", "token": "x"}}, "token"),
        (
            {"email": {"host": "h", "from": "a@b.co", "tls": True}},
            "choose one: tls (port 465) or starttls (port 587)",
        ),
        (
            {"email": {"host": "h", "from": "a@b.co", "username_env": "U"}},
            "set both username_env and password_env",
        ),
        ({"ntfy": {"base_url": "ntfy.sh"}}, "invalid URL 'ntfy.sh'"),
        ({"webhooks": {"Audit Log": {"url": "https://x.example"}}}, "invalid name"),
        ({"pagerduty": {}}, "pagerduty"),
    ],
)
def test_mistakes_name_the_field_and_the_fix(section: dict[str, Any], message: str) -> None:
    text = yaml.safe_dump({"severities": [{"key": "P1", "label": "C"}], "notifiers": section})
    with pytest.raises(ConfigError) as caught:
        load(text)
    assert message in str(caught.value)
    assert "notifiers" in str(caught.value)


def test_timeouts_are_durations() -> None:
    timeouts = load(FULL).notifiers.timeouts
    assert (timeouts.connect.total_seconds(), timeouts.read.total_seconds()) == (3.0, 8.0)


# -- channels: say where; notifiers: say how (one place for connections) ------------------

ONLY_CHANNELS = """
severities: [{key: P1, label: Critical}]
channels:
  - {name: incidents, type: slack, webhook_url_env: SLACK_WEBHOOK_INCIDENTS}
  - {name: chat, type: telegram, chat_id: "-1001234567890", token_env: TELEGRAM_BOT_TOKEN}
  - name: status
    type: email
    to: [s@example.com]
    from: t@example.com
    smtp_host: smtp.example.com
    smtp_port: 587
    starttls: true
  - {name: audit, type: webhook, url: "https://hooks.example.com/a", secret_env: AUDIT_SECRET}
"""


def test_what_channels_say_about_connections_is_folded_into_notifiers() -> None:
    """Written the older way (connections on the channel) it still posts: the folded
    notifiers are what bootstrap builds adapters from, and what config check checks."""
    config = load(ONLY_CHANNELS)
    env = {"SLACK_WEBHOOK_INCIDENTS": "https://hooks.slack.com/services/T/B/c",
           "TELEGRAM_BOT_TOKEN": "1:a", "AUDIT_SECRET": "s"}  # fmt: skip
    built = bootstrap.notifiers(config, env, ManualClock(START))
    assert {ContactKind.SLACK_WEBHOOK, ContactKind.TELEGRAM, ContactKind.EMAIL,
            ContactKind.WEBHOOK} <= set(built)  # fmt: skip
    assert bootstrap.notifier_problems(config, env) == []
    [unset] = bootstrap.notifier_problems(config, {**env, "AUDIT_SECRET": ""})
    assert unset.field == "notifiers.webhooks.audit.secret_env"


def test_a_connection_set_twice_differently_is_a_problem_naming_the_channel() -> None:
    text = (
        FULL
        + """
channels:
  - {name: chat, type: telegram, chat_id: "42", token_env: OTHER_BOT_TOKEN}
  - {name: audit, type: webhook, url: "https://elsewhere.example.com/"}
  - {name: ops, type: slack}
  - {name: lost, type: slack}
  - {name: nowhere, type: webhook}
"""
    )
    problems = [(p.field, p.message) for p in bootstrap.notifier_problems(load(text), ENV)]
    assert [field for field, _ in problems] == [
        "channels[0].token_env", "channels[1].url", "channels[3]", "channels[4]"]  # fmt: skip
    assert problems[0][1].startswith(
        "OTHER_BOT_TOKEN differs from notifiers.telegram.bot_token_env (TELEGRAM_BOT_TOKEN)"
    )
    assert "notifiers.slack.webhooks.lost" in problems[2][1]  # ops has a webhook: fine
    assert "add notifiers.webhooks.nowhere" in problems[3][1]
