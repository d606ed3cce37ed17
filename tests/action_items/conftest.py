"""A wired Tocsin whose trackers are local fakes of GitHub and Jira, with a runbooks folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import FAST_HASHER
from tests.support.fakes.base import running
from tests.support.fakes.github import FakeGitHub
from tests.support.fakes.jira import FakeJira
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin, build
from tocsin.config import render_preset
from tocsin.core.action_items import ActionItem, Draft, TrackerKind
from tocsin.core.scope import Scope
from tocsin.integrations.notifiers.http import Timeouts
from tocsin.integrations.trackers.github import GitHubTracker
from tocsin.integrations.trackers.http import Credential
from tocsin.integrations.trackers.jira import JiraTracker

GITHUB_TOKEN = "ghp_SECRETgithubTOKEN0001"  # noqa: S105 - a test credential
JIRA_TOKEN = "ATATT-SECRETjiraTOKEN0001"  # noqa: S105 - a test credential
JIRA_EMAIL = "ops@example.com"
REPO = "acme/platform"
FAST = Timeouts(connect=1.0, read=0.3)  # a hanging fake costs 0.3 s
RUNBOOK = """---
title: Payments API down
services: [payments-api]
---
# Payments API down

```bash
curl -s https://payments.internal/health
```
"""


def trackers_yaml(github: str, jira: str) -> str:
    return f"""
trackers:
  default: github
  github:
    base_url: {github}
    repo: {REPO}
    token_env: TEST_GITHUB_TOKEN
    assignees: {{alice: alice-gh}}
  jira:
    base_url: {jira}
    project: OPS
    email: {JIRA_EMAIL}
    token_env: TEST_JIRA_TOKEN
"""


@pytest.fixture
def github(clock: ManualClock) -> Iterator[FakeGitHub]:
    with running(FakeGitHub(GITHUB_TOKEN, REPO, clock.now)) as server:
        assert isinstance(server, FakeGitHub)
        yield server


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    with running(FakeJira(JIRA_TOKEN, "OPS", email=JIRA_EMAIL)) as server:
        assert isinstance(server, FakeJira)
        yield server


@pytest.fixture
def home(tmp_path: Path, github: FakeGitHub, jira: FakeJira) -> Path:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "payments-down.md").write_text(RUNBOOK, encoding="utf-8")
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4") + trackers_yaml(github.url, jira.url), "utf-8")
    return tmp_path


@pytest.fixture
def wired(home: Path, database_url: str, clock: ManualClock) -> Iterator[Tocsin]:
    env = {
        "TOCSIN_CONFIG": str(home / "tocsin.yaml"),
        "TOCSIN_DATABASE_URL": database_url,
        "TEST_GITHUB_TOKEN": GITHUB_TOKEN,
        "TEST_JIRA_TOKEN": JIRA_TOKEN,
        "TOCSIN_PUBLIC_URL": "https://tocsin.example",
    }
    tocsin = build(env=env, cwd=home, clock=clock, hasher=FAST_HASHER)
    # the same adapters bootstrap made, with short timeouts so a hang costs 0.3 s
    trackers = tocsin.exports.trackers
    trackers[TrackerKind.GITHUB] = GitHubTracker(
        REPO, Credential(GITHUB_TOKEN, "TEST_GITHUB_TOKEN"), _url(tocsin, "github"), FAST, clock
    )
    trackers[TrackerKind.JIRA] = JiraTracker(
        _url(tocsin, "jira"), "OPS", Credential(JIRA_TOKEN, "TEST_JIRA_TOKEN"), JIRA_EMAIL,
        3, "Task", FAST, clock,
    )  # fmt: skip
    yield tocsin
    tocsin.exports.close()
    tocsin.engine.dispose()


def _url(tocsin: Tocsin, name: str) -> str:
    section = getattr(tocsin.config.trackers, name)
    return str(section.base_url)


@pytest.fixture
def incident(wired: Tocsin) -> int:
    outcome = wired.incidents.declare(
        "alice", "Payments API 500s", "P3", Scope(services=("payments-api",))
    )
    return outcome.incident.number


@pytest.fixture
def add_item(wired: Tocsin, incident: int) -> Callable[..., ActionItem]:
    def add(title: str = "Add a replica lag alert", **fields: object) -> ActionItem:
        draft = Draft(title=title, owner=str(fields.pop("owner", "alice")), **fields)  # type: ignore[arg-type]
        return wired.action_items.add(incident, draft, "alice")

    return add
