"""`trackers:` in tocsin.yaml: GitHub (and Enterprise) and Jira (Cloud and Server), the
default, and the tokens `config check` names when unset."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import START
from tocsin import bootstrap
from tocsin.app.clock import ManualClock
from tocsin.config import ConfigError, TocsinConfig
from tocsin.config.loader import parse_config
from tocsin.core.action_items import TrackerKind

BOTH = """
severities: [{key: P1, label: Critical}]
trackers:
  github:
    base_url: https://github.example.com/api/v3
    repo: acme/platform
    token_env: GITHUB_TOKEN
  jira:
    base_url: https://acme.atlassian.net
    project: OPS
    email: ops@acme.example
    token_env: JIRA_API_TOKEN
"""


def load(text: str) -> TocsinConfig:
    return parse_config(Path("tocsin.yaml"), text)


def test_no_trackers_section_means_no_tracker_and_no_default() -> None:
    config = load("severities: [{key: P1, label: Critical}]\n")
    assert config.trackers.configured() == []
    assert config.trackers.default_tracker() is None
    assert bootstrap.trackers(config, {}, ManualClock(START)) == {}


def test_both_trackers_are_built_when_their_tokens_are_set() -> None:
    config = load(BOTH)
    assert config.trackers.jira is not None
    assert config.trackers.jira.api == 3
    env = {"GITHUB_TOKEN": "ghp_x", "JIRA_API_TOKEN": "jira-x"}
    built = bootstrap.trackers(config, env, ManualClock(START))
    assert set(built) == {TrackerKind.GITHUB, TrackerKind.JIRA}
    assert config.trackers.default_tracker() is None  # two, and no default: --to decides


def test_an_unset_token_leaves_the_tracker_out_and_config_check_names_it() -> None:
    config = load(BOTH)
    env = {"GITHUB_TOKEN": "ghp_x", "JIRA_API_TOKEN": " "}
    assert set(bootstrap.trackers(config, env, ManualClock(START))) == {TrackerKind.GITHUB}
    problems = bootstrap.notifier_problems(config, env)
    assert [p.field for p in problems] == ["trackers.jira.token_env"]
    assert "JIRA_API_TOKEN is not set" in problems[0].message


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ("jira: {base_url: 'https://j.example', project: OPS, token_env: T}",
         "Jira Cloud (api: 3) signs in with an e-mail"),
        ("jira: {base_url: 'https://j.example', project: ops, token_env: T, api: 2}",
         "project"),
        ("github: {repo: not-a-repo, token_env: T}", "repo"),
        ("github: {repo: a/b, token_env: lower}", "is not an environment variable name"),
        ("{github: {repo: a/b, token_env: T}, default: jira}",
         "default: jira is not configured here; configured: github"),
        ("{github: {repo: a/b, token_env: T}, sync_every: 10s}", "sync_every: at least 1m"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused_with_the_fix(section: str, words: str) -> None:
    text = f"severities: [{{key: P1, label: Critical}}]\ntrackers: {section}\n"
    if not section.startswith("{"):
        text = f"severities: [{{key: P1, label: Critical}}]\ntrackers: {{{section}}}\n"
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        load(text)


def test_the_only_tracker_is_the_default() -> None:
    jira = "{jira: {base_url: 'https://j.example', project: OPS, token_env: T, api: 2}}"
    text = f"severities: [{{key: P1, label: Critical}}]\ntrackers: {jira}\n"
    assert load(text).trackers.default_tracker() == "jira"
