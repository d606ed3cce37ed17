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


def test_mitigated_uses_the_seed_sentence(severities: SeverityModel) -> None:
    incident = make(severities)
    incident.mitigate(T0 + timedelta(minutes=9), "alice", "rolling back to v41")
    text = render(messages.MITIGATED, incident, severities)
    assert (
        "Mitigated by rolling back to v41. Service restored at 2026-11-22 03:13 UTC. "
        "Investigating root cause."
    ) in text


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
