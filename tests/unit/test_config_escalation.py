"""`escalation:` in tocsin.yaml: policies, routes, the default, and what config check finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.presets import bare_preset
from tocsin.bootstrap import policy_problems, policy_warnings
from tocsin.config import render_preset
from tocsin.config.escalation import unknown_targets
from tocsin.config.loader import ConfigError, parse_config
from tocsin.core.escalation import Policy, first_seed_policy, second_seed_policy

ESCALATION = """
escalation:
  policies:
    - name: first-seed
      steps:
        - {after: 0m, notify: [schedule:primary]}
        - {after: 15m, notify: [person:engineering-lead]}
        - {after: 30m, notify: [person:cto], severities: [p1]}
        - {after: 60m, notify: [person:ceo], severities: [P1], customer_impact: true}
    - name: db
      repeat: 2
      steps:
        - {after: 0m, notify: [person:dba, channel:team]}
  routes:
    - {services: [db], policy: db}
    - {severities: [P4], policy: null}
  default_policy: first-seed
"""


def load(text: str, tmp_path: Path) -> object:
    path = tmp_path / "tocsin.yaml"
    return parse_config(path, bare_preset() + text)


def test_routes_pick_the_policy_by_service_and_severity(tmp_path: Path) -> None:
    config = parse_config(tmp_path / "t.yaml", bare_preset() + ESCALATION)
    choose = config.policy_for()
    assert choose(["api"], "P1").name == "first-seed"  # type: ignore[union-attr]
    assert choose(["db", "api"], "P2").name == "db"  # type: ignore[union-attr]
    assert choose(["api"], "P4") is None  # a route that pages nobody
    cto = choose(["api"], "P1").steps[2]  # type: ignore[union-attr]
    assert cto.when.severities == ("P1",)  # the key as the model spells it


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("default_policy: first-seed", "policy 'first-seed' is not one of the policies"),
        (
            "policies: [{name: x, steps: [{after: 0m, notify: [pager:alice]}]}]",
            "write schedule:NAME, person:NAME or channel:NAME",
        ),
        (
            "policies: [{name: x, steps: [{after: 0m, notify: [person:a], severities: [P9]}]}]",
            "severity 'P9' is not one of the severities",
        ),
        (
            "policies: [{name: x, steps: [{after: 15m, notify: [person:a]}, "
            "{after: 0m, notify: [person:b]}]}]",
            "steps must be in order",
        ),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(
    tmp_path: Path, change: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(tmp_path / "t.yaml", bare_preset() + f"escalation:\n  {change}\n")


def test_config_check_finds_targets_that_name_nobody(tmp_path: Path) -> None:
    config = parse_config(tmp_path / "t.yaml", bare_preset() + ESCALATION)
    found = unknown_targets(config.escalation, {"cto", "ceo"}, {"primary"}, set())
    assert [m for _, m in found] == [
        "person:engineering-lead names no person; known: ceo, cto",
        "person:dba names no person; known: ceo, cto",
        "channel:team names no channel; known: none",
    ]


@pytest.mark.parametrize(
    ("preset", "path"),
    [
        ("p1-p4", first_seed_policy("P1", on_call="oncall-engineer")),
        ("sev1-sev3", second_seed_policy(on_call="on-call", channel="incidents")),
    ],
)
def test_each_preset_writes_its_runbooks_escalation_path_with_placeholders(
    tmp_path: Path, preset: str, path: Policy
) -> None:
    """The path, exactly as the runbook says; nobody is paged until default_policy is
    uncommented, and until then the names nobody filled in are warnings, not errors."""
    config = parse_config(tmp_path / "t.yaml", render_preset(preset))
    keys = {s.key.casefold(): s.key for s in config.severities}
    [policy] = config.escalation.policies
    assert policy.to_core(keys).to_dict() == path.to_dict()
    assert config.escalation.in_use() == set()
    assert config.policy_for()(["api"], config.severities[0].key) is None
    assert policy_problems(config) == []
    warned = [(w.field, w.message) for w in policy_warnings(config)]
    assert warned[0] == (
        "escalation.policies[0].steps[0].notify",
        f"{path.steps[0].targets[0]} names no schedule; known: none (fill it in before a "
        "route or default_policy uses this policy)",
    )
    assert len(warned) == sum(len(s.targets) for s in path.steps)
    used = parse_config(
        tmp_path / "t.yaml",
        render_preset(preset).replace(
            f"#  default_policy: {path.name}", f"  default_policy: {path.name}"
        ),
    )
    assert used.escalation.default_policy == path.name
    assert [p.field for p in policy_problems(used)] == [w for w, _ in warned]
    assert policy_warnings(used) == []
