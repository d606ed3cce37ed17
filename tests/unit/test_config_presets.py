"""The starter tocsin.yaml files: valid, commented, and faithful to the runbooks they come from."""

from __future__ import annotations

import contextlib
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tocsin.config import PRESETS, TocsinConfig, load_config, render_preset
from tocsin.config.duration import parse_duration
from tocsin.config.schema import EmailChannel, SlackChannel, TelegramChannel, WebhookChannel

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
H48 = timedelta(hours=48)


def load_text(tmp_path: Path, text: str) -> TocsinConfig:
    path = tmp_path / "tocsin.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def uncomment_examples(text: str) -> str:
    """`# text` lines explain; every other comment line (`#key: v`, `#  - item`) is an example."""
    return re.sub(r"^#(?! \S)", "", text, flags=re.MULTILINE)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 bytes that were decoded as cp1252 (bytes cp1252 lacks came through as latin-1)."""
    raw = bytearray()
    for char in text:
        try:
            raw += char.encode("cp1252")
        except UnicodeEncodeError:
            raw += char.encode("latin-1")
    return raw.decode("utf-8")


def seed_containing(*markers: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"no seed runbooks at {SEEDS}")
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):  # sound UTF-8 already
            text = repair_mojibake(text)
        if all(marker in text for marker in markers):
            return text
    pytest.fail(f"no seed in {SEEDS} contains {markers}")


EXPECTED = {
    "p1-p4": [
        ("P1", "Critical", "🔴", timedelta(minutes=5), timedelta(minutes=30), True),
        ("P2", "High", "🟡", timedelta(minutes=15), timedelta(hours=1), True),
        ("P3", "Medium", "🔵", timedelta(hours=1), timedelta(hours=4), False),
        ("P4", "Low", "⚪", timedelta(hours=4), None, False),
    ],
    "sev1-sev3": [
        ("SEV-1", "Critical", "🔴", timedelta(minutes=15), timedelta(minutes=30), True),
        ("SEV-2", "Major", "🟠", timedelta(hours=1), timedelta(hours=1), True),
        ("SEV-3", "Minor", "🟡", timedelta(hours=4), timedelta(hours=4), False),
    ],
}


@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_loads_into_its_severity_model(tmp_path: Path, name: str) -> None:
    config = load_text(tmp_path, render_preset(name))
    model = config.severity_model()
    assert [
        (s.key, s.label, s.emoji, s.response_target, s.update_every, s.postmortem_required)
        for s in model.severities
    ] == EXPECTED[name]
    assert [s.postmortem_due_within for s in model.severities if s.postmortem_required] == [
        H48,
        H48,
    ]
    assert all(s.paging for s in config.severities)
    assert (config.default_severity, config.services, config.channels) == (None, [], [])


def test_there_are_exactly_the_two_presets() -> None:
    assert set(PRESETS) == set(EXPECTED)


def test_an_unknown_preset_lists_the_presets() -> None:
    with pytest.raises(ValueError, match=r"unknown preset 'p0'; presets: p1-p4, sev1-sev3"):
        render_preset("p0")


@pytest.mark.parametrize("name", PRESETS)
def test_each_preset_explains_itself_in_comments(name: str) -> None:
    text = render_preset(name, organization="Acme Ops")
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert len(comments) > 40
    assert "# tocsin.yaml: how Acme Ops runs incidents" in text
    for key in ("response_target", "update_every", "postmortem", "paging"):
        assert any(line.startswith(f"# * {key}: ") for line in comments), key
    for commented in ("#services:", "#people:", "#channels:", "#templates:", "#default_severity: "):
        assert any(line.startswith(commented) for line in comments), commented
    second = render_preset(name).split("- key: ")[2].split()[0]  # P2, SEV-2
    assert (
        f"# An alert no route matches takes `default`: critical and error alerts ({second} or more"
        in text
    )
    assert any(line.startswith(f"#    auto_declare_at: {second}") for line in comments)


@pytest.mark.parametrize("name", PRESETS)
def test_the_commented_examples_are_valid_once_uncommented(tmp_path: Path, name: str) -> None:
    config = load_text(tmp_path, uncomment_examples(render_preset(name)))
    assert config.default_severity in config.severity_model().keys
    assert [s.name for s in config.services] == ["payments-api"]
    assert config.services[0].owner == config.people[0].handle
    assert config.people[0].phone == "+49 170 1234567"
    kinds = [type(c) for c in config.channels]
    assert kinds == [SlackChannel, TelegramChannel, EmailChannel, WebhookChannel]
    assert config.messages == name
    example = {"p1-p4": config.templates.announcement, "sev1-sev3": config.templates.acknowledged}
    assert example[name] is not None
    assert example[name].startswith(
        {"p1-p4": "🚨 INCIDENT: {{ incident.title }}", "sev1-sev3": "Investigating "}[name]
    )
    assert config.database.url is not None
    assert config.routing.default.auto_declare_at == config.severity_model().keys[1]
    assert config.routing.routes[0].declare.value == "auto"


@settings(max_examples=60, deadline=None)
@given(organization=st.text(max_size=40))
@example(organization="__FIRST__")  # a name that looks like one of the preset's placeholders
def test_any_organization_name_reads_back_exactly(organization: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        config = load_text(Path(directory), render_preset("p1-p4", organization))
    assert config.organization == organization


def test_p1_p4_matches_the_first_seed(tmp_path: Path) -> None:
    seed = seed_containing("Severity Levels", "P1 (Critical)")
    bullets = re.findall(r"^- \*\*(\S+) (P\d) \(([^)]+)\)\*\*: (.+?)\s*$", seed, re.MULTILINE)
    model = load_text(tmp_path, render_preset("p1-p4")).severity_model()
    assert [(s.emoji, s.key, s.label, s.description) for s in model.severities] == bullets
    first_response = re.search(r"Immediate Response \(0-(\d+) minutes\)", seed)
    postmortem = re.search(r"Post-mortem Meeting\s+Schedule within (\d+) hours", seed)
    assert first_response is not None
    assert postmortem is not None
    assert model.get("P1").response_target == timedelta(minutes=int(first_response[1]))
    assert model.get("P1").postmortem_due_within == timedelta(hours=int(postmortem[1]))


def _response_time(cell: str) -> timedelta:
    match = re.search(r"<\s*(\d+)\s*(min|hour)", cell)
    assert match is not None, cell
    return parse_duration(f"{match[1]}{'m' if match[2] == 'min' else 'h'}")


def test_sev1_sev3_matches_the_second_seed(tmp_path: Path) -> None:
    seed = seed_containing("Severity Levels", "**SEV-1**")
    rows = re.findall(
        r"^\| \*\*(SEV-\d)\*\* \| ([^|]+?) \| ([^|]+?) \| ([^|]+?) \|$", seed, re.MULTILINE
    )
    table = [(key, d, _response_time(time), tuple(ex.split(", "))) for key, d, time, ex in rows]
    model = load_text(tmp_path, render_preset("sev1-sev3")).severity_model()
    preset = [(s.key, s.description, s.response_target, s.examples) for s in model.severities]
    assert preset == table

    must = re.search(r"Every (.+?) incident MUST have a post-mortem within (\d+) hours", seed)
    assert must is not None
    required = must[1].split(" and ")
    assert [s.key for s in model.severities if s.postmortem_required] == required
    assert {model.get(key).postmortem_due_within for key in required} == {
        timedelta(hours=int(must[2]))
    }
    assert re.search(r"SEV-3 incidents: post-mortem optional", seed)
    assert model.get("SEV-3").postmortem_required is False
