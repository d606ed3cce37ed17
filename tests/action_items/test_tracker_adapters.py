"""The adapters alone against the fakes: GitHub Enterprise's /api/v3, Jira Server's v2
(plain-text description, a bearer token), the token never in an error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from tests.action_items.conftest import FAST, GITHUB_TOKEN, JIRA_TOKEN
from tests.support.fakes.base import running
from tests.support.fakes.github import FakeGitHub
from tests.support.fakes.jira import FakeJira
from tocsin.app.clock import ManualClock
from tocsin.app.trackers import Issue, TrackerRefused
from tocsin.integrations.trackers.github import GitHubTracker
from tocsin.integrations.trackers.http import Credential
from tocsin.integrations.trackers.jira import JiraTracker, adf

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
BODY = "Owner: @alice\nDeadline: 2026-12-04"
ISSUE = Issue("Fix the pool", BODY, ("incident",), "tocsin-item-4", "alice", None,
              date(2026, 12, 4), "P2", False, False, NOW)  # fmt: skip


@pytest.fixture
def enterprise() -> Iterator[FakeGitHub]:
    fake = FakeGitHub(GITHUB_TOKEN, "acme/platform", lambda: NOW, prefix="/api/v3")
    with running(fake) as server:
        assert isinstance(server, FakeGitHub)
        yield server


@pytest.fixture
def server_jira() -> Iterator[FakeJira]:
    with running(FakeJira(JIRA_TOKEN, "OPS", api=2, email=None)) as server:
        assert isinstance(server, FakeJira)
        yield server


def test_github_enterprise_answers_under_api_v3(enterprise: FakeGitHub) -> None:
    tracker = GitHubTracker("acme/platform", Credential(GITHUB_TOKEN, "GH_TOKEN"),
                            enterprise.api_url, FAST, ManualClock(NOW))  # fmt: skip
    try:
        made = tracker.create(ISSUE)
        assert (made.external_id, made.status) == ("1", "open")
        assert tracker.find(ISSUE) == made
        assert enterprise.requests[0].path == "/api/v3/repos/acme/platform/issues"
        enterprise.close_issue(1, "not_planned")
        assert tracker.read("1").status == "closed/not_planned"
    finally:
        tracker.close()


def test_a_missing_issue_is_refused_naming_the_settings_and_never_the_token(
    enterprise: FakeGitHub,
) -> None:
    tracker = GitHubTracker("acme/platform", Credential(GITHUB_TOKEN, "GH_TOKEN"),
                            enterprise.api_url, FAST, ManualClock(NOW))  # fmt: skip
    try:
        with pytest.raises(TrackerRefused) as refused:
            tracker.update("99", ISSUE)
        assert "not found (404: Not Found)" in str(refused.value)
        assert "$GH_TOKEN" in str(refused.value)
        assert GITHUB_TOKEN not in str(refused.value)
    finally:
        tracker.close()


def test_jira_server_takes_plain_text_and_a_bearer_token(server_jira: FakeJira) -> None:
    tracker = JiraTracker(server_jira.url, "OPS", Credential(JIRA_TOKEN, "JIRA_PAT"), None, 2,
                          "Task", FAST, ManualClock(NOW))  # fmt: skip
    try:
        made = tracker.create(ISSUE)
        assert made.external_id == "OPS-1"
        assert made.url == f"{server_jira.url}/browse/OPS-1"
        [create] = server_jira.creates()
        assert create.path == "/rest/api/2/issue"
        assert create.headers["authorization"] == f"Bearer {JIRA_TOKEN}"
        assert create.json()["fields"]["description"] == ISSUE.body
        found = tracker.find(ISSUE)
        assert found is not None
        assert (found.external_id, found.status) == ("OPS-1", "new")
    finally:
        tracker.close()


def test_adf_is_one_paragraph_per_line() -> None:
    doc = adf("one\n\ntwo")
    assert doc["type"] == "doc"
    assert doc["version"] == 1
    assert [p["content"] for p in doc["content"]] == [
        [{"type": "text", "text": "one"}],
        [],
        [{"type": "text", "text": "two"}],
    ]
