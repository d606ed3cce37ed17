"""The tocsin.yaml models: durations, cross-field rules, channels and the JSON Schema."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tocsin.config import TocsinConfig, dump_schema
from tocsin.config.duration import DURATION_PATTERN, format_duration, parse_duration
from tocsin.config.routing import RouteConfig
from tocsin.config.schema import EmailChannel, TelegramChannel

BAD_DURATION = "invalid duration 'fast': use a number followed by s, m, h or d, e.g. 15m or 1h30m"


def config(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"severities": [{"key": "P1", "label": "Critical"}]}
    data.update(overrides)
    return data


def errors_of(data: dict[str, Any]) -> list[tuple[tuple[int | str, ...], str, str]]:
    with pytest.raises(ValidationError) as caught:
        TocsinConfig.model_validate(data)
    return [(e["loc"], e["type"], e["msg"]) for e in caught.value.errors()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("48h", timedelta(hours=48)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(minutes=90)),
        (" 1d2h3m4s ", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        (90, timedelta(seconds=90)),
        (timedelta(minutes=5), timedelta(minutes=5)),
    ],
)
def test_durations_are_read_the_way_people_write_them(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["fast", "", "15", "1m1h", "1.5h", "h", 1.5, True, None, [5]])
def test_a_bad_duration_says_how_to_write_one(bad: object) -> None:
    with pytest.raises(ValueError, match=r"invalid duration .*: use a number followed by s, m, h"):
        parse_duration(bad)


@pytest.mark.parametrize("zero", ["0s", "0m", 0, -5, timedelta(0)])
def test_a_duration_must_be_positive(zero: object) -> None:
    with pytest.raises(ValueError, match="duration must be more than zero"):
        parse_duration(zero)


def test_a_fractional_second_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(timedelta(seconds=1.5))


def test_the_bad_duration_message_is_exact() -> None:
    data = config(severities=[{"key": "P1", "label": "x", "response_target": "fast"}])
    assert errors_of(data) == [(("severities", 0, "response_target"), "duration", BAD_DURATION)]


@given(st.integers(min_value=1, max_value=10**9))
def test_format_and_parse_round_trip(seconds: int) -> None:
    text = format_duration(timedelta(seconds=seconds))
    assert re.fullmatch(DURATION_PATTERN, text)
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_durations_dump_compact_in_json_and_stay_timedeltas_in_python() -> None:
    severity = {"key": "P1", "label": "x", "response_target": 5400, "update_every": "30m"}
    model = TocsinConfig.model_validate(config(severities=[severity]))
    assert model.severities[0].response_target == timedelta(minutes=90)
    dumped = model.model_dump(mode="json")["severities"][0]
    assert (dumped["response_target"], dumped["update_every"]) == ("1h30m", "30m")
    assert TocsinConfig.model_validate(model.model_dump(mode="json")) == model


def test_a_required_postmortem_is_due_within_48_hours_by_default() -> None:
    severities = [
        {"key": "P1", "label": "a", "postmortem": {"required": True}},
        {"key": "P2", "label": "b", "postmortem": {"required": True, "due_within": "3d"}},
        {"key": "P3", "label": "c"},
    ]
    model = TocsinConfig.model_validate(config(severities=severities)).severity_model()
    assert [s.postmortem_due_within for s in model.severities] == [
        timedelta(hours=48),
        timedelta(days=3),
        None,
    ]
    assert [s.postmortem_required for s in model.severities] == [True, True, False]


def test_severity_model_carries_every_field() -> None:
    severity = {
        "key": "SEV-1",
        "label": "Critical",
        "emoji": "🔴",
        "description": "Service down",
        "examples": ["auth bypass"],
        "response_target": "15m",
        "update_every": "30m",
    }
    core = TocsinConfig.model_validate(config(severities=[severity])).severity_model().get("sev-1")
    assert core.title == "🔴 SEV-1 (Critical)"
    assert core.examples == ("auth bypass",)
    assert (core.response_target, core.update_every) == (
        timedelta(minutes=15),
        timedelta(minutes=30),
    )
    assert (core.description, core.postmortem_required) == ("Service down", False)


def test_severities_are_required_and_not_empty() -> None:
    assert [e[1] for e in errors_of({})] == ["missing"]
    assert [e[1] for e in errors_of({"severities": []})] == ["too_short"]


@pytest.mark.parametrize("key", ["P 1", "", "P1!", "x" * 21])
def test_a_severity_key_is_letters_digits_and_dashes(key: str) -> None:
    [(loc, _, message)] = errors_of(config(severities=[{"key": key, "label": "x"}]))
    assert loc == ("severities", 0, "key")
    assert "e.g. P1 or SEV-1" in message


def test_severity_keys_are_unique_case_insensitively() -> None:
    severities = [
        {"key": "P1", "label": "a"},
        {"key": "P2", "label": "b"},
        {"key": "p1", "label": "c"},
    ]
    [(loc, kind, message)] = errors_of(config(severities=severities))
    assert (loc, kind) == (("severities",), "duplicate")
    assert message.startswith("duplicate severity key 'p1': severities[0] already uses it")


@pytest.mark.parametrize(
    ("section", "items", "expected"),
    [
        ("services", [{"name": "api"}, {"name": "api"}], "duplicate service name 'api'"),
        (
            "people",
            [{"handle": "ann", "name": "A"}, {"handle": "ann", "name": "B"}],
            "handle 'ann'",
        ),
        (
            "channels",
            [
                {"name": "hook", "type": "webhook", "url": "https://a.example"},
                {"name": "hook", "type": "telegram", "chat_id": "1", "token_env": "T"},
            ],
            "duplicate channel name 'hook'",
        ),
    ],
)
def test_names_are_unique_within_a_section(section: str, items: Any, expected: str) -> None:
    [(loc, _, message)] = errors_of(config(**{section: items}))
    assert loc == (section,)
    assert expected in message


def test_default_severity_is_one_of_the_keys_and_takes_its_spelling() -> None:
    model = TocsinConfig.model_validate(config(default_severity="p1"))
    assert model.default_severity == "P1"
    assert TocsinConfig.model_validate(config()).default_severity is None
    [(loc, _, message)] = errors_of(config(default_severity="P9"))
    assert loc == ("default_severity",)
    assert message == "default_severity 'P9' is not one of the severities: P1"


def test_a_person_needs_a_real_time_zone() -> None:
    person = {"handle": "ann", "name": "Ann", "timezone": "Europe/Berlin"}
    model = TocsinConfig.model_validate(config(people=[person]))
    assert model.people[0].timezone == "Europe/Berlin"
    [(loc, _, message)] = errors_of(config(people=[{**person, "timezone": "Berlin"}]))
    assert loc == ("people", 0, "timezone")
    assert "unknown time zone 'Berlin'" in message
    assert "Europe/Berlin" in message


def test_a_phone_number_read_as_a_number_asks_for_quotes() -> None:
    [(_, _, message)] = errors_of(config(people=[{"handle": "a", "name": "A", "phone": 4917012}]))
    assert "in quotes" in message


def test_services_keep_urls_as_written_and_refuse_other_schemes() -> None:
    service = {"name": "api", "tier": 1, "health_urls": ["https://api.example.com"]}
    model = TocsinConfig.model_validate(config(services=[service]))
    assert model.services[0].health_urls == ["https://api.example.com"]
    errors = errors_of(config(services=[{**service, "health_urls": ["ftp://x"], "tier": 5}]))
    assert {e[0] for e in errors} == {("services", 0, "tier"), ("services", 0, "health_urls", 0)}


def test_channel_types_are_told_apart_by_type() -> None:
    channels = [
        {
            "name": "mail",
            "type": "email",
            "to": ["a@example.com"],
            "from": "t@example.com",
            "smtp_host": "smtp.example.com",
        },
        {"name": "tg", "type": "telegram", "chat_id": -1001234, "token_env": "TG_TOKEN"},
    ]
    mail, telegram = TocsinConfig.model_validate(config(channels=channels)).channels
    assert isinstance(mail, EmailChannel)
    assert (mail.from_, mail.smtp_port, mail.starttls) == ("t@example.com", 25, False)
    assert isinstance(telegram, TelegramChannel)
    assert telegram.chat_id == "-1001234"


def test_a_slack_channel_needs_a_webhook_or_a_bot_token_and_channel() -> None:
    bot = {"name": "s", "type": "slack", "token_env": "SLACK_BOT_TOKEN", "channel": "#inc"}
    assert TocsinConfig.model_validate(config(channels=[bot])).channels[0].name == "s"
    [(_, _, message)] = errors_of(config(channels=[{**bot, "channel": None}]))
    assert "with token_env needs channel" in message


def test_secrets_in_env_fields_are_refused() -> None:
    hook = {"name": "s", "type": "slack", "webhook_url_env": "https://hooks.slack.com/x"}
    [(loc, _, message)] = errors_of(config(channels=[hook]))
    assert loc == ("channels", 0, "slack", "webhook_url_env")
    assert "is not an environment variable name" in message


def test_templates_are_checked_for_jinja_syntax() -> None:
    good = "🚨 INCIDENT: {{ incident.title }}"
    assert TocsinConfig.model_validate(config(templates={"announcement": good})).templates
    [(loc, _, message)] = errors_of(config(templates={"resolved": "ok\n{% if x %}\n"}))
    assert loc == ("templates", "resolved")
    assert "line 2 of the template" in message


def test_database_defaults_and_choices() -> None:
    database = TocsinConfig.model_validate(config()).database
    assert (database.url, database.sqlite_synchronous) == (None, "NORMAL")
    [(loc, kind, _)] = errors_of(config(database={"sqlite_synchronous": "OFF"}))
    assert (loc, kind) == (("database", "sqlite_synchronous"), "literal_error")


def test_the_json_schema_describes_the_file() -> None:
    schema = dump_schema()
    json.dumps(schema)  # plain JSON data
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "tocsin.yaml"
    assert schema["required"] == ["severities"]
    assert schema["properties"]["severities"]["minItems"] == 1
    assert schema["additionalProperties"] is False
    severity = schema["$defs"]["SeverityConfig"]
    duration = severity["properties"]["response_target"]["anyOf"][0]
    assert duration == {"type": "string", "pattern": DURATION_PATTERN, "examples": ["15m", "1h30m"]}
    assert "from" in schema["$defs"]["EmailChannel"]["properties"]
    mapping = schema["properties"]["channels"]["items"]["discriminator"]["mapping"]
    assert sorted(mapping) == ["email", "slack", "telegram", "webhook"]


def test_a_route_names_its_service_as_tocsin_yaml_names_services() -> None:
    assert RouteConfig(service="payments-api").service == "payments-api"
    with pytest.raises(ValidationError, match="invalid name 'Payments API'"):
        RouteConfig(service="Payments API")
