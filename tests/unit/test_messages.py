"""The seeds' messages, rendered from the default templates and from a team's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tocsin.app import messages
from tocsin.app.messages import DEFAULT_TEMPLATES
from tocsin.core.incident import Incident
from tocsin.core.scope import Impact
from tocsin.core.severity import SeverityModel
from tocsin.integrations.notifiers.renderers.jinja import JinjaRenderer

T0 = datetime(2026, 11, 22, 3, 4, 59, tzinfo=UTC)


def render(name: str, incident: Incident, severities: SeverityModel, **extra: str) -> str:
    severity = severities.get(incident.severity)
    ctx = messages.context(incident, severity, incident.updated_at, **extra)
    return JinjaRenderer(DEFAULT_TEMPLATES, {}).render(name, ctx)


def make(severities: SeverityModel, key: str = "P1") -> Incident:
    impact = Impact(summary="Checkout fails for all tenants")
    return Incident.declare(3, "Checkout errors", severities.get(key), T0, "alice", impact=impact)


def test_announcement_has_the_seed_fields(severities: SeverityModel) -> None:
    text = render(messages.ANNOUNCEMENT, make(severities), severities)
    assert text.splitlines()[:5] == [
        "🚨 INCIDENT: Checkout errors",
        "Severity: 🔴 P1 (Critical)",
        "Impact: Checkout fails for all tenants",
        "Status: Investigating",
        "Time: 2026-11-22 03:04 UTC",
    ]


def test_mitigated_is_a_block_like_the_others(severities: SeverityModel) -> None:
    incident = make(severities)
    incident.mitigate(T0 + timedelta(minutes=9), "alice", "rolling back to v41")
    assert render(messages.MITIGATED, incident, severities).splitlines() == [
        "🛠️ MITIGATED: Checkout errors (INC-3)",
        "Severity: 🔴 P1 (Critical)",
        "Status: Mitigated",
        "Action: rolling back to v41",
        "Time: 2026-11-22 03:13 UTC",
    ]


def test_p1_p4_has_nothing_to_say_on_acknowledge_unless_the_team_writes_it(
    severities: SeverityModel,
) -> None:
    incident = make(severities)
    incident.acknowledge(T0, "alice")
    ctx = messages.context(incident, severities.get("P1"), T0)
    assert JinjaRenderer(DEFAULT_TEMPLATES, {}).render(messages.ACKNOWLEDGED, ctx) is None
    own = JinjaRenderer(DEFAULT_TEMPLATES, {"acknowledged": "On it: {{ incident.id }}"})
    assert own.render(messages.ACKNOWLEDGED, ctx) == "On it: INC-3"
    broken = JinjaRenderer(DEFAULT_TEMPLATES, {"acknowledged": "{{ nope.deeper }}"})
    assert broken.render(messages.ACKNOWLEDGED, ctx) == (
        "⚠ template 'acknowledged' in tocsin.yaml failed: 'nope' is undefined"
    )


def test_sev1_sev3_announces_its_severity_row_and_the_scope() -> None:
    from tests.conftest import preset_config
    from tocsin.core.scope import Scope

    model = preset_config("sev1-sev3").severity_model()
    incident = Incident.declare(
        3, "Orders failing", model.get("SEV-2"), T0, "alice", Scope(services=("orders-api",))
    )
    ctx = messages.context(incident, model.get("SEV-2"), T0)
    text = JinjaRenderer(messages.SEV1_SEV3, {}).render(messages.ANNOUNCEMENT, ctx)
    assert text == (
        "🟠 SEV-2 (Major): Orders failing\n"
        "Major feature broken. Respond within 1 hour.\n"
        "Scope: services orders-api; tenants not known yet\n"
        "Ref: INC-3"
    )


def test_sev1_sev3_resolved_without_findings_says_so() -> None:
    from tests.conftest import preset_config

    model = preset_config("sev1-sev3").severity_model()
    incident = Incident.declare(3, "Slow dashboard", model.get("SEV-3"), T0, "alice")
    incident.resolve(T0, "alice", model.get("SEV-3"))
    ctx = messages.context(incident, model.get("SEV-3"), T0)
    text = JinjaRenderer(messages.SEV1_SEV3, {}).render(messages.RESOLVED, ctx)
    assert text == "Resolved. Root cause not identified yet. No fix recorded.\nRef: INC-3"


def test_every_preset_has_a_message_set_and_every_set_a_preset() -> None:
    from typing import get_args

    from tocsin.config import PRESETS
    from tocsin.config.schema import MessageStyle

    assert set(messages.MESSAGE_SETS) == set(PRESETS) == set(get_args(MessageStyle))
    for templates in messages.MESSAGE_SETS.values():
        assert set(templates) <= set(messages.KINDS)


def test_resolved_has_duration_cause_fix_and_post_mortem_date(severities: SeverityModel) -> None:
    incident = make(severities)
    later = T0 + timedelta(minutes=47, seconds=30)
    incident.resolve(later, "alice", severities.get("P1"), "x", "y")
    text = render(messages.RESOLVED, incident, severities)
    assert text.splitlines()[:5] == [
        "✅ RESOLVED: Checkout errors",
        "Duration: 47 minutes",
        "Root Cause: x",
        "Fix Applied: y",
        "Next Steps: Post-mortem scheduled for 2026-11-24 03:52 UTC",
    ]


def test_resolved_without_required_post_mortem_says_so(severities: SeverityModel) -> None:
    incident = make(severities, "P4")
    incident.resolve(T0, "alice", severities.get("P4"))
    text = render(messages.RESOLVED, incident, severities)
    assert "Next Steps: No post-mortem required for P4" in text
    assert "Root Cause: Under investigation" in text


def test_a_team_template_overrides_the_default(severities: SeverityModel) -> None:
    incident = make(severities)
    renderer = JinjaRenderer(DEFAULT_TEMPLATES, {"announcement": "ALERT {{ incident.id }}"})
    ctx = messages.context(incident, severities.get("P1"), T0)
    assert renderer.render(messages.ANNOUNCEMENT, ctx) == "ALERT INC-3"


def test_a_broken_team_template_falls_back_and_says_so(severities: SeverityModel) -> None:
    incident = make(severities)
    renderer = JinjaRenderer(DEFAULT_TEMPLATES, {"announcement": "{{ incident.nope.deeper }}"})
    ctx = messages.context(incident, severities.get("P1"), T0)
    text = renderer.render(messages.ANNOUNCEMENT, ctx)
    assert text.startswith("🚨 INCIDENT: Checkout errors")
    assert "template 'announcement' in tocsin.yaml failed" in text
    assert renderer.check(messages.ANNOUNCEMENT, ctx) is not None


def test_templates_run_sandboxed(severities: SeverityModel) -> None:
    incident = make(severities)
    sneaky = "{{ incident.__class__.__mro__ }}"
    renderer = JinjaRenderer(DEFAULT_TEMPLATES, {"announcement": sneaky})
    ctx = messages.context(incident, severities.get("P1"), T0)
    text = renderer.render(messages.ANNOUNCEMENT, ctx)
    assert "object" not in text.split("⚠")[0]
    assert "failed" in text


def test_templates_see_a_copy_and_cannot_change_the_incident(severities: SeverityModel) -> None:
    incident = make(severities)
    version = incident.version
    renderer = JinjaRenderer(
        DEFAULT_TEMPLATES, {"announcement": "{{ incident.note('now', 'x', 'sneaky') }}"}
    )
    ctx = messages.context(incident, severities.get("P1"), T0)
    text = renderer.render(messages.ANNOUNCEMENT, ctx)
    assert "failed" in text
    assert incident.version == version
    mutate = JinjaRenderer(DEFAULT_TEMPLATES, {"announcement": "{{ incident.labels.append('x') }}"})
    assert "failed" in mutate.render(messages.ANNOUNCEMENT, ctx)
    assert incident.labels == ()


def test_one_minute_is_singular(severities: SeverityModel) -> None:
    incident = make(severities, "P4")
    incident.resolve(T0 + timedelta(seconds=61), "alice", severities.get("P4"))
    assert "Duration: 1 minute\n" in render(messages.RESOLVED, incident, severities)
