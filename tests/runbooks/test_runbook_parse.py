"""Markdown to Runbook: front matter, sections, steps with their settings, prose kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.runbooks.support import OWN, modax, saas
from tocsin.core.runbook import Heading, Prose, StepKind, Trigger, lint, parse


def test_our_runbook_reads_front_matter_sections_steps_and_prose() -> None:
    rb = parse(OWN, "api-errors")
    assert rb.title == "API errors"
    assert rb.services == ("api", "worker")
    assert rb.severities == ("P1", "P2")
    assert rb.trigger == Trigger(("api",))
    assert rb.variables == {"API_ID": "the REST API id"}
    assert rb.problems == ()
    steps = rb.steps
    assert [s.number for s in steps] == [1, 2, 3, 4, 5]
    assert [s.kind for s in steps] == [
        StepKind.DIAGNOSTIC,
        StepKind.DIAGNOSTIC,
        StepKind.CHECK,
        StepKind.CHECK,
        StepKind.MITIGATION,
    ]
    first = steps[0]
    assert first.title == "Health"
    assert first.timeout == timedelta(seconds=5)
    assert first.section == "Look"
    assert first.variables == ("SERVICE", "INCIDENT_ID")
    assert first.line == 16
    assert steps[3].checked
    assert not steps[2].checked
    assert steps[4].marked
    assert steps[4].reason == "marked kind=mitigation"
    assert steps[4].variables == ("API_ID",)
    prose = [p.text for p in rb.parts if isinstance(p, Prose)]
    assert "Check the basics first." in prose
    assert any("plain text, not a step" in p for p in prose)  # a plain fence stays prose
    assert [h.title for h in rb.parts if isinstance(h, Heading)] == ["API errors", "Look", "Fix"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("# T\n\n```bash\necho 'open\n```\n", 4, "single quote"),
        ("# T\n\n```bash\necho hi\n", 3, "never closed"),
        ("# T\n```bash {kind=sometimes}\nls\n```\n", 2, "kind=sometimes"),
        ("# T\n```bash {timeout=forever}\nls\n```\n", 2, "timeout=forever"),
        ("# T\n```bash {colour=red}\nls\n```\n", 2, "unknown setting 'colour'"),
        ("# T\n```bash {kind=mitigation\nls\n```\n", 2, "not closed"),
        ("---\ntitle: [open\n---\n# T\n", 2, "not closed"),
        ("---\ntitle: x\n", 1, "never closed"),
    ],
)
def test_what_does_not_parse_is_an_error_with_its_line(text: str, line: int, message: str) -> None:
    errors = parse(text, "broken").errors
    assert errors, text
    assert errors[0].line == line
    assert message in errors[0].message


def test_lint_reports_unknown_variables_unmarked_mitigations_and_endless_commands() -> None:
    rb = parse(modax(), "modax")
    problems = [str(p) for p in lint(rb, known={"ADMIN_TOKEN"})]
    assert any("step 6 uses $API_ID, which nothing supplies" in p for p in problems)
    assert not any("$ADMIN_TOKEN" in p for p in problems)  # configured: known
    assert any("step 5 is an unmarked mitigation (aws ecs update-service" in p for p in problems)
    assert any("step 2 never ends by itself" in p for p in problems)
    assert all("line " in p for p in problems)


def test_a_marked_step_overrides_the_classification() -> None:
    rb = parse("# T\n```bash {kind=diagnostic}\n./scripts/health-check.sh\n```\n", "t")
    assert rb.steps[0].kind is StepKind.DIAGNOSTIC
    assert lint(rb, ()) == []


def test_both_seeds_parse_with_their_steps_in_order() -> None:
    first = parse(modax(), "modax")
    assert first.errors == ()
    titles = [s.title for s in first.steps]
    assert titles[:2] == ["Check system status", "Recent application logs"]
    assert titles.index("Scale ECS service") < titles.index("Enable rate limiting")
    assert [s.line for s in first.steps] == sorted(s.line for s in first.steps)
    second = parse(saas(), "saas")
    assert second.errors == ()
    (step,) = second.steps  # the indented block inside the numbered list
    assert step.command.startswith("curl https://api.yourdomain.com/api/v1/health\naws ecs")
    assert step.kind is StepKind.DIAGNOSTIC


def test_triggers_match_services_and_optional_severities() -> None:
    assert Trigger(("api",)).matches(["API", "db"], "P3")
    assert not Trigger(("api",)).matches(["db"], "P1")
    assert Trigger(("*",)).matches([], "P1")
    assert not Trigger(("api",), ("P1",)).matches(["api"], "P2")


def test_a_tocsin_block_is_a_typed_action_step_with_its_variables() -> None:
    text = (
        "# Scale\n```tocsin {name=Scale}\naction: ecs.scale\ncluster: prod\n"
        "service: $SERVICE\ndesired_count: ${COUNT}\n```\n"
    )
    (step,) = parse(text, "t").steps
    assert (step.action, step.kind, step.marked) == ("ecs.scale", StepKind.MITIGATION, True)
    assert step.reason == "typed action ecs.scale (mitigation)"
    assert step.variables == ("SERVICE", "COUNT")
    assert step.title == "Scale"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("action: ecs.explode\n", "no action 'ecs.explode'"),
        ("action: ecs.scale\ncluster: c\nservice: s\ndesired_count: 1\ncolour: red\n",
         "ecs.scale takes no colour"),
        ("action: ecs.scale\ncluster: c\n", "ecs.scale needs service, desired_count"),
        ("cluster: c\n", "needs `action: NAME`"),
        ("action ecs.scale\n", "write `key: value`"),
    ],
)  # fmt: skip
def test_a_typed_action_that_cannot_run_is_an_error_with_its_line(body: str, message: str) -> None:
    errors = parse(f"# T\n\n```tocsin\n{body}```\n", "t").errors
    assert errors[0].line == 3
    assert message in errors[0].message
