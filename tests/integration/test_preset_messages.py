"""Each preset's messages come from its own runbook: `sev1-sev3` says what the SaaS runbook
says ("Investigating …", "Mitigated by …", "Resolved. Root cause was …"), `p1-p4` what the
ModAx runbook says (the 🚨 INCIDENT and ✅ RESOLVED blocks), and neither borrows the other's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import FAST_HASHER
from tests.unit.test_config_presets import seed_containing
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin, build
from tocsin.config import PRESETS, render_preset
from tocsin.config.routing import RouteConfig
from tocsin.core.alerts import AlertAction, AlertIn, Parsed
from tocsin.core.timeline import EntryKind

MIN = timedelta(minutes=1)
# The messages each runbook writes out, with its own placeholders.
SAAS = {
    "acknowledged": "Investigating [alarm name / user report].",
    "mitigated": "Mitigated by [action]. Service restored at [time]. Investigating root cause.",
    "resolved": "Resolved. Root cause was [X]. Fix deployed at [time].",
}
MODAX = {
    "announcement": "🚨 INCIDENT: [Brief description]",
    "resolved": "✅ RESOLVED: [Brief description]",
}
RUNBOOK = {"sev1-sev3": SAAS, "p1-p4": MODAX}
TITLE = {"sev1-sev3": "[alarm name / user report]", "p1-p4": "[Brief description]"}
PLACEHOLDER = re.compile(r"\[[^\]]*\]")
SEED_MARKERS = {"sev1-sev3": ("SEV-1", "Investigating ["), "p1-p4": ("P1", "INCIDENT:")}


@pytest.fixture
def app(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Iterator[Tocsin]:
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset(request.param), encoding="utf-8")
    env = {"TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": f"sqlite:///{tmp_path}/t.db"}
    wired = build(env=env, cwd=tmp_path, clock=clock, hasher=FAST_HASHER)
    yield wired
    wired.engine.dispose()


def run_one(app: Tocsin, clock: ManualClock, title: str, action: str, cause: str) -> dict[str, str]:
    """Every message of one incident's life, by template name ("" when none)."""
    first = app.config.severities[0].key
    said = {"announcement": app.incidents.declare("alice", title, first).message}
    clock.advance(MIN)
    said["acknowledged"] = app.incidents.acknowledge("INC-1", "alice").message
    said["update"] = app.incidents.post_update("INC-1", "alice", "Rolled back").message
    clock.advance(MIN)
    said["mitigated"] = app.incidents.mitigate("INC-1", "alice", action).message
    clock.advance(MIN)
    said["resolved"] = app.incidents.resolve("INC-1", "alice", cause, "reverted it").message
    return {name: text or "" for name, text in said.items()}


@pytest.mark.parametrize("app", ["sev1-sev3"], indirect=True)
def test_sev1_sev3_acknowledging_says_investigating(app: Tocsin, clock: ManualClock) -> None:
    said = run_one(app, clock, "API returning 500s", "rolling back to v41", "a bad migration")
    assert said["acknowledged"].splitlines()[0] == "Investigating API returning 500s."


@pytest.mark.parametrize("app", ["sev1-sev3"], indirect=True)
def test_sev1_sev3_mitigating_and_resolving_say_the_runbook_sentences(
    app: Tocsin, clock: ManualClock
) -> None:
    said = run_one(app, clock, "API returning 500s", "rolling back to v41", "a bad migration")
    assert said["mitigated"].splitlines()[0] == (
        "Mitigated by rolling back to v41. Service restored at 2026-11-22 03:02 UTC. "
        "Investigating root cause."
    )
    assert said["resolved"].splitlines()[0] == (
        "Resolved. Root cause was a bad migration. Fix deployed at 2026-11-22 03:03 UTC."
    )
    assert "RESOLVED" not in said["resolved"]


@pytest.mark.parametrize("app", ["p1-p4"], indirect=True)
def test_p1_p4_keeps_its_blocks_and_acknowledges_silently(app: Tocsin, clock: ManualClock) -> None:
    said = run_one(app, clock, "API returning 500s", "rolling back to v41", "a bad migration")
    assert said["announcement"].startswith("🚨 INCIDENT: API returning 500s\n")
    assert said["acknowledged"] == ""
    assert said["resolved"].startswith("✅ RESOLVED: API returning 500s\nDuration: 3 minutes\n")


@pytest.mark.parametrize("app", PRESETS, indirect=True)
def test_each_preset_says_its_own_runbook_and_not_the_other(
    app: Tocsin, clock: ManualClock, request: pytest.FixtureRequest
) -> None:
    preset = request.node.callspec.params["app"]
    own = RUNBOOK[preset]
    other = next(RUNBOOK[name] for name in PRESETS if name != preset)
    seed = seed_containing(*SEED_MARKERS[preset])
    assert all(line in seed for line in own.values())
    said = run_one(app, clock, TITLE[preset], "[action]", "[X]")
    for name, line in own.items():
        assert placeholders(said[name].splitlines()[0]) == line, name
    borrowed = [
        (name, phrase)
        for name, text in said.items()
        for phrase in fixed_phrases(other)
        if phrase in text
    ]
    assert borrowed == []


def placeholders(line: str) -> str:
    """A rendered line with its times written back as the runbook's [time]."""
    return re.sub(r"2026-11-22 03:0\d UTC", "[time]", line)


def fixed_phrases(runbook: dict[str, str]) -> list[str]:
    """The words of a runbook's messages between its placeholders (two words or more: a
    lone "Investigating" is also a status both runbooks name)."""
    parts = (part.strip(" .:") for line in runbook.values() for part in PLACEHOLDER.split(line))
    return [part for part in parts if " " in part]


@pytest.mark.parametrize("app", ["sev1-sev3"], indirect=True)
def test_an_acknowledgement_from_the_alert_source_says_investigating_too(app: Tocsin) -> None:
    app.config.routing.routes.append(RouteConfig(match=["alertname=DiskFull"]))
    app.alert_admin.add_integration("pd", "pagerduty")
    labels = {"alertname": "DiskFull", "service": "db"}
    for action in (AlertAction.TRIGGER, AlertAction.ACKNOWLEDGE):
        alert = AlertIn("pagerduty", "k1", action, "Disk full on db-1", "critical", labels=labels)
        app.alerts.ingest("pd", Parsed(alerts=[alert]))
    incident, timeline = app.incidents.detail("INC-1")
    assert incident.acknowledged_at is not None
    said = [e for e in timeline if e.kind is EntryKind.MESSAGE]
    assert [e.data["template"] for e in said] == ["announcement", "acknowledged"]
    assert said[-1].text.splitlines()[0] == "Investigating Disk full on db-1."
