"""people: and schedules: in tocsin.yaml: what they become, and each mistake with its line."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from tests.support.oncall import ONCALL_YAML, oncall_config
from tocsin.bootstrap import policy_problems, policy_warnings
from tocsin.config import ConfigError, TocsinConfig, load_config, render_preset
from tocsin.config.reachability import lines_of, reachability_warnings
from tocsin.config.yamlsource import parse_yaml
from tocsin.core.notify import ContactKind, ContactMethod
from tocsin.core.oncall import Restriction

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def load(tmp_path: Path, text: str) -> TocsinConfig:
    path = tmp_path / "tocsin.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def problems(tmp_path: Path, text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def line_of(text: str, needle: str) -> int:
    """The last line, not a comment, that holds `needle`."""
    lines = enumerate(text.splitlines(), start=1)
    return max(n for n, line in lines if needle in line and not line.startswith("#"))


def test_people_and_schedules_become_the_core_types(tmp_path: Path) -> None:
    config = load(tmp_path, oncall_config())
    ann = config.people[0].to_core()
    assert ann.contacts == (
        ContactMethod(ContactKind.EMAIL, "ann@example.com"),
        ContactMethod(ContactKind.SMS, "+491701234567"),
        ContactMethod(ContactKind.VOICE, "+491701234567"),
    )
    business = config.schedules[1].to_core()
    [layer] = business.layers
    assert (layer.people, layer.rotation, layer.handoff, layer.start, layer.zone, layer.name) == (
        ("cid",), timedelta(days=7), time(9), date(2026, 1, 5), "America/New_York", "layer-1",
    )  # fmt: skip
    assert layer.restrictions == (Restriction(frozenset(range(5)), time(9), time(17)),)


def test_contact_methods_rules_and_a_holiday(tmp_path: Path) -> None:
    text = (
        render_preset("p1-p4")
        + """\
people:
  - handle: ann
    name: Ann
    timezone: Europe/Berlin
    contact_methods:
      - {kind: ntfy, address: ann-pages, label: push}
      - {kind: voice, address: "+1 (555) 010-0199", label: work phone}
      - {kind: telegram, address: -1001234567890}
    notification_rules:
      - {after: 0m, methods: [push, telegram]}
      - {after: 5m, methods: [work phone]}
    on_holiday: {from: 2026-12-24, to: 2026-12-26, handed_to: bob}
  - handle: bob
    name: Bob
    email: bob@example.com
"""
    )
    ann = load(tmp_path, text).people[0].to_core()
    push, phone, chat = ann.contacts
    assert (phone.address, chat.address) == ("+15550100199", "-1001234567890")
    assert [(r.after, r.methods) for r in ann.plan()] == [
        (timedelta(0), (push, chat)),
        (timedelta(minutes=5), (phone,)),
    ]
    assert ann.holiday is not None
    # whole days in Berlin, the 26th included
    assert (ann.holiday.start, ann.holiday.end) == (
        datetime(2026, 12, 23, 23, tzinfo=UTC),
        datetime(2026, 12, 26, 23, tzinfo=UTC),
    )
    bob = load(tmp_path, text).people[1].to_core()
    assert [(r.after, [m.kind for m in r.methods]) for r in bob.plan()] == [
        (timedelta(0), [ContactKind.EMAIL])
    ]


def test_times_of_day_may_be_written_without_quotes(tmp_path: Path) -> None:
    """YAML 1.1 would read 17:00 as the number 1020 (base 60); Tocsin reads it as YAML 1.2."""
    text = oncall_config().replace('from: "09:00", to: "17:00"', "from: 09:00, to: 17:00")
    assert "to: 17:00" in text
    [layer] = load(tmp_path, text).schedules[1].to_core().layers
    assert (layer.restrictions[0].start, layer.restrictions[0].end) == (time(9), time(17))
    assert parse_yaml("port: 8080\nchat: -100123\nratio: 1.5\nclock: 1:30:00").data == {
        "port": 8080, "chat": -100123, "ratio": 1.5, "clock": "1:30:00",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("people: [ann, bob]", "people: [ann, bobby]", "schedules[0].layers[0].people[1]",
         "unknown person 'bobby': add them to people, or use one of: ann, bob, cid"),
        ("time_zone: Europe/Berlin", "time_zone: Berlin", "schedules[0].time_zone",
         "unknown time zone 'Berlin'"),
        ("rotation: daily", "rotation: fortnightly", "schedules[0].layers[0].rotation",
         "invalid rotation 'fortnightly': use daily, weekly"),
        ("rotation: daily", "rotation: 30m", "schedules[0].layers[0].rotation",
         "from 1h to 366d"),
        ('handoff: "09:00"', 'handoff: "9am"', "schedules[0].layers[0].handoff",
         "invalid time of day '9am'"),
        ("start: 2026-01-01", "start: 2026-01-01T09:00:00Z", "schedules[0].layers[0].start",
         "start is a date"),
        ("days: [mon-fri]", "days: [mon-fry]", "schedules[1].layers[0].restrictions[0].days",
         "invalid day 'mon-fry'"),
        ("slack: U0BOB1234", "slack: bob", "people[1].slack", "is not a Slack member id"),
        ('phone: "+49 170 1234567"', 'phone: "0170 1234567"', "people[0].phone",
         "is not a phone number in E.164"),
        ("  - name: business", "  - name: primary", "schedules[1].name", "duplicate schedule name"),
    ],
)  # fmt: skip
def test_each_mistake_names_its_field_and_line(
    tmp_path: Path, old: str, new: str, field: str, message: str
) -> None:
    text = render_preset("p1-p4") + ONCALL_YAML.replace(old, new, 1)
    assert new in text
    [(line, found_field, found_message)] = problems(tmp_path, text)
    assert (found_field, line) == (field, line_of(text, new.strip()))
    assert message in found_message


def test_a_notification_rule_names_methods_the_person_has(tmp_path: Path) -> None:
    text = render_preset("p1-p4") + (
        "people:\n  - handle: ann\n    name: Ann\n    email: a@example.com\n"
        "    notification_rules:\n      - after: 0m\n        methods: [email, pigeon]\n"
    )
    [(line, field, message)] = problems(tmp_path, text)
    assert field == "people[0].notification_rules[0].methods[1]"
    assert message == "'pigeon' is not a kind or label of ann's contact methods (email)"
    assert line == line_of(text, "methods: [email, pigeon]")


@pytest.mark.parametrize(
    ("holiday", "field", "message"),
    [
        ("{from: 2026-12-24, to: 2026-12-26, handed_to: zed}", "people[0].on_holiday.handed_to",
         "on_holiday.handed_to 'zed' is not another person in people: bob"),
        ("{from: 2026-12-24, to: 2026-12-26, handed_to: ann}", "people[0].on_holiday.handed_to",
         "is not another person"),
        ("{from: 2026-12-24, to: 2026-12-20, handed_to: bob}", "people[0].on_holiday.to",
         "on_holiday ends before it starts"),
    ],
)  # fmt: skip
def test_a_holiday_hands_over_to_someone_known_and_ends_after_it_starts(
    tmp_path: Path, holiday: str, field: str, message: str
) -> None:
    text = render_preset("p1-p4") + (
        "people:\n  - handle: ann\n    name: Ann\n    email: a@example.com\n"
        f"    on_holiday: {holiday}\n  - handle: bob\n    name: Bob\n    email: b@example.com\n"
    )
    [(line, found_field, found_message)] = problems(tmp_path, text)
    assert (found_field, line) == (field, line_of(text, "on_holiday"))
    assert message in found_message


def test_config_check_warns_of_people_nobody_can_reach_and_coverage_gaps(tmp_path: Path) -> None:
    text = oncall_config()
    path = tmp_path / "tocsin.yaml"
    config = load(tmp_path, text)
    warnings = reachability_warnings(config, lines_of(path), NOW)
    assert [(w.line, w.field) for w in warnings] == [
        (line_of(text, "handle: cid"), "people[2]"),
        (line_of(text, "name: business"), "schedules[1]"),
    ]
    assert "cid has no contact method" in warnings[0].message
    assert warnings[1].message.startswith(
        "nobody is on call from Sat 2026-11-21 22:00 to Mon 2026-11-23 09:00 (America/New_York)"
    )
    assert "and 21 more in the next 30 days" in warnings[1].message


def test_the_commented_examples_have_people_and_a_schedule_that_covers_every_hour(
    tmp_path: Path,
) -> None:
    from tests.unit.test_config_presets import uncomment_examples

    leads = ["engineering-lead", "cto", "ceo"]  # the first runbook's path names them
    for preset, name, extra in (("p1-p4", "oncall-engineer", leads), ("sev1-sev3", "on-call", [])):
        config = load(tmp_path, uncomment_examples(render_preset(preset)))
        assert [s.name for s in config.schedules] == [name]
        assert reachability_warnings(config, {}, NOW) == []
        assert [p.handle for p in config.people] == ["ann", "bob", *extra]
        # ... and its escalation policy, now in use, names no one who is not there.
        assert config.escalation.in_use() == {p.name for p in config.escalation.policies}
        assert policy_problems(config) == []
        assert policy_warnings(config) == []


def test_the_oncall_yaml_of_the_tests_loads_on_both_presets(tmp_path: Path) -> None:
    for preset in ("p1-p4", "sev1-sev3"):
        assert len(load(tmp_path, render_preset(preset) + ONCALL_YAML).schedules) == 2


def test_hand_off_notices_are_set_per_schedule_with_a_lead_of_at_most_a_day(
    tmp_path: Path,
) -> None:
    told = render_preset("p1-p4") + ONCALL_YAML.replace(
        "    time_zone: Europe/Berlin\n",
        "    time_zone: Europe/Berlin\n    notify_handoff: true\n    handoff_lead: 15m\n",
    )
    primary, business = load(tmp_path, told).schedules
    assert (primary.notify_handoff, primary.handoff_lead, primary.notify_outgoing) == (
        True, timedelta(minutes=15), False)  # fmt: skip
    assert business.notify_handoff is False
    too_long = told.replace("handoff_lead: 15m", "handoff_lead: 2d")
    [(line, field, message)] = problems(tmp_path, too_long)
    assert (field, line) == ("schedules[0].handoff_lead", line_of(too_long, "handoff_lead: 2d"))
    assert "from 0m to 1d" in message
