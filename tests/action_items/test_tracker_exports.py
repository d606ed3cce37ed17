"""Exports to the local GitHub and Jira fakes through the jobs table: create once, update
after, retry after 429 (never before Retry-After) and 500, adopt the issue a lost answer
created instead of making a second, give up at once on 401 naming the variable. Status
comes back by sync."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.action_items.conftest import GITHUB_TOKEN, JIRA_EMAIL, JIRA_TOKEN
from tests.action_items.helpers import SQLITE_ONLY, run_jobs
from tests.support.fakes.base import Fault
from tests.support.fakes.github import FakeGitHub
from tests.support.fakes.jira import FakeJira
from tocsin.app.action_items import Changes
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin
from tocsin.core.action_items import ActionItem, ItemStatus, TrackerKind
from tocsin.core.errors import InvalidInput
from tocsin.core.jobs import Job, JobStatus

pytestmark = SQLITE_ONLY
GH = TrackerKind.GITHUB


def export_jobs(tocsin: Tocsin) -> list[Job]:
    return [j for j in tocsin.jobs.find() if j.kind == "actions.export"]


def test_the_first_export_creates_the_issue_with_the_documented_request(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem], incident: int
) -> None:
    item = add_item("Add a replica lag alert", deadline="2026-12-04", labels=("database",))
    wired.exports.export([item.ref], "github")
    assert wired.action_items.get(item.id).export(GH) is not None  # pending, shown at once
    run_jobs(wired)
    [create] = github.creates()
    assert create.path == "/repos/acme/platform/issues"
    assert create.headers["x-github-api-version"] == "2022-11-28"
    body = create.json()
    assert body["title"] == "Add a replica lag alert"
    assert body["labels"] == ["incident", "database"]
    assert body["assignees"] == ["alice-gh"]
    assert f"<!-- tocsin-item-{item.id} -->" in body["body"]
    assert (
        f"Incident: INC-{incident} (https://tocsin.example/incidents/INC-{incident})"
        in body["body"]
    )
    assert "Deadline: 2026-12-04" in body["body"]
    state = wired.action_items.get(item.id).export(GH)
    assert state is not None
    assert (state.external_id, state.remote_status, state.last_error) == ("1", "open", None)
    assert state.url == "https://github.com/acme/platform/issues/1"
    assert [j.status for j in export_jobs(wired)] == [JobStatus.DONE]


def test_an_edit_after_export_updates_the_same_issue_and_never_creates_another(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem]
) -> None:
    item = add_item("Old title")
    wired.exports.export([item.ref], "github")
    run_jobs(wired)
    wired.action_items.edit(item.ref, Changes(title="New title"), "alice")  # exports itself
    run_jobs(wired)
    wired.action_items.set_status(item.ref, "wont_do", "alice")
    run_jobs(wired)
    wired.exports.export([item.ref], "github")  # the same revision again: no new job
    run_jobs(wired)
    assert len(github.creates()) == 1
    assert [p.path for p in github.patches()] == ["/repos/acme/platform/issues/1"] * 2
    assert github.issues[1]["title"] == "New title"
    assert "labels" not in github.patches()[0].json()  # labels people add in GitHub stay
    assert (github.issues[1]["state"], github.issues[1]["state_reason"]) == (
        "closed",
        "not_planned",
    )
    assert len(export_jobs(wired)) == 3


def test_a_lost_create_answer_is_followed_by_adopting_the_issue_not_a_second_one(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    item = add_item()
    github.hang_next_create()  # the issue is made; the 201 never arrives
    wired.exports.export([item.ref], "github")
    run_jobs(wired)
    [job] = export_jobs(wired)
    assert job.status is JobStatus.QUEUED  # retried later
    assert "timed out" in (job.last_error or "")
    state = wired.action_items.get(item.id).export(GH)
    assert state is not None
    assert state.external_id is None
    assert "timed out" in (state.last_error or "")
    clock.set(job.due)
    run_jobs(wired)
    assert len(github.issues) == 1
    assert len(github.creates()) == 1
    listing = [r for r in github.requests if r.method == "GET"][-1]
    assert listing.query["labels"] == ["incident"]
    assert listing.query["state"] == ["all"]
    state = wired.action_items.get(item.id).export(GH)
    assert state is not None
    assert (state.external_id, state.last_error) == ("1", None)
    assert export_jobs(wired)[0].status is JobStatus.DONE


def test_a_secondary_rate_limit_is_retried_no_sooner_than_retry_after(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    item = add_item()
    github.fail_next(Fault.RATE_LIMIT)  # 429, retry-after: 60
    wired.exports.export([item.ref], "github")
    run_jobs(wired)
    [job] = export_jobs(wired)
    assert job.status is JobStatus.QUEUED
    assert job.due >= clock.now() + timedelta(seconds=60)
    assert "rate limited (429)" in (job.last_error or "")
    clock.set(job.due - timedelta(seconds=1))
    assert wired.job_runner.run_due("test") == 0  # not before
    clock.set(job.due)
    run_jobs(wired)
    assert len(github.issues) == 1


def test_the_primary_rate_limit_waits_for_its_reset_time(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    item = add_item()
    github.primary_limit = True
    github.reset_at = int((clock.now() + timedelta(minutes=20)).timestamp())
    github.fail_next(Fault.RATE_LIMIT)  # 403, x-ratelimit-remaining: 0
    wired.exports.export([item.ref], "github")
    run_jobs(wired)
    [job] = export_jobs(wired)
    assert job.status is JobStatus.QUEUED
    assert job.due >= datetime.fromtimestamp(github.reset_at, UTC)


def test_a_server_error_then_success_creates_one_issue(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    item = add_item()
    github.fail_next(Fault.SERVER_ERROR)
    wired.exports.export([item.ref], "github")
    run_jobs(wired)
    [job] = export_jobs(wired)
    assert "HTTP 500" in (job.last_error or "")
    listed = wired.action_items.get(item.id).export(GH)
    assert listed is not None
    assert listed.state == "failing"
    clock.set(job.due)
    run_jobs(wired)
    assert len(github.issues) == 1
    assert export_jobs(wired)[0].status is JobStatus.DONE


def test_an_unreachable_tracker_keeps_the_item_and_retries_with_backoff(
    wired: Tocsin, add_item: Callable[..., ActionItem], clock: ManualClock, github: FakeGitHub
) -> None:
    item = add_item()
    github.stop()  # nobody listens there any more
    wired.exports.export([item.ref], "github")
    for _ in range(3):
        run_jobs(wired)
        [job] = export_jobs(wired)
        assert job.status is JobStatus.QUEUED
        clock.set(job.due)
    assert job.attempts == 3
    assert wired.action_items.get(item.id).title == item.title


def test_a_rejected_token_kills_the_job_at_once_naming_the_variable(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem]
) -> None:
    github.token = "another"  # noqa: S105 - the fake now wants another token
    item = add_item()
    wired.exports.export([item.ref], "github")
    run_jobs(wired)
    [job] = export_jobs(wired)
    assert job.status is JobStatus.DEAD
    assert job.attempts == 1
    assert "TEST_GITHUB_TOKEN" in (job.last_error or "")
    assert "Bad credentials" in (job.last_error or "")
    assert GITHUB_TOKEN not in (job.last_error or "")


def test_a_validation_error_is_dead_with_githubs_words(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem]
) -> None:
    github.logins = frozenset()  # alice-gh is not a GitHub user here
    item = add_item()
    wired.exports.export([item.ref], "github")
    run_jobs(wired)
    [job] = export_jobs(wired)
    assert job.status is JobStatus.DEAD
    assert "refused (422): Validation Failed" in (job.last_error or "")
    state = wired.action_items.get(item.id).export(GH)
    assert state is not None
    assert "422" in (state.last_error or "")


def test_export_to_an_unconfigured_tracker_is_refused(
    wired: Tocsin, add_item: Callable[..., ActionItem]
) -> None:
    item = add_item()
    with pytest.raises(InvalidInput, match="--to 'gitlab': use github or jira"):
        wired.exports.export([item.ref], "gitlab")
    del wired.exports.trackers[TrackerKind.JIRA]
    with pytest.raises(InvalidInput, match="trackers.jira is not configured"):
        wired.exports.export([item.ref], "jira")
    assert export_jobs(wired) == []


def test_github_closing_an_issue_is_synced_back(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem], incident: int
) -> None:
    item = add_item()
    other = add_item("Untouched")
    wired.exports.export([item.ref, other.ref], "github")
    run_jobs(wired)
    github.close_issue(1)
    result = wired.exports.sync()
    assert result.checked == 2
    assert [i.id for i in result.changed] == [item.id]
    assert wired.action_items.get(item.id).status is ItemStatus.DONE
    assert wired.action_items.get(other.id).status is ItemStatus.OPEN
    texts = [e.text for e in wired.incidents.timeline(incident)]
    assert f"Action item {item.ref} is done in github" in texts
    assert wired.exports.sync().checked == 1  # done items are not asked again


def test_jira_create_update_and_status_sync(
    wired: Tocsin, jira: FakeJira, add_item: Callable[..., ActionItem]
) -> None:
    item = add_item("Fix the pool", deadline="2026-12-04")
    wired.exports.export([item.ref], "jira")
    run_jobs(wired)
    [create] = jira.creates()
    basic = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
    assert create.headers["authorization"] == f"Basic {basic}"
    fields = create.json()["fields"]
    assert fields["project"] == {"key": "OPS"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["duedate"] == "2026-12-04"
    assert fields["labels"] == ["incident", f"tocsin-item-{item.id}"]
    assert fields["description"]["type"] == "doc"
    state = wired.action_items.get(item.id).export(TrackerKind.JIRA)
    assert state is not None
    assert (state.external_id, state.remote_status) == ("OPS-1", "new")
    wired.action_items.edit(item.ref, Changes(title="Fix the pool size"), "alice")
    run_jobs(wired)
    assert len(jira.creates()) == 1
    assert jira.issues["OPS-1"]["fields"]["summary"] == "Fix the pool size"
    jira.move("OPS-1", "indeterminate")
    wired.exports.sync()
    assert wired.action_items.get(item.id).status is ItemStatus.IN_PROGRESS
    jira.move("OPS-1", "done")
    wired.exports.sync()
    assert wired.action_items.get(item.id).status is ItemStatus.DONE


def test_jira_lost_create_answer_is_found_by_jql(
    wired: Tocsin, jira: FakeJira, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    item = add_item()
    jira.hang_next_create()
    wired.exports.export([item.ref], "jira")
    run_jobs(wired)
    [job] = export_jobs(wired)
    clock.set(job.due)
    run_jobs(wired)
    assert list(jira.issues) == ["OPS-1"]
    search = [r for r in jira.requests if r.path == "/rest/api/3/search/jql"]
    assert search[-1].query["jql"] == [f'labels = "tocsin-item-{item.id}"']
    state = wired.action_items.get(item.id).export(TrackerKind.JIRA)
    assert state is not None
    assert state.external_id == "OPS-1"


def test_jira_rate_limit_and_a_field_it_refuses(
    wired: Tocsin, jira: FakeJira, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    item = add_item()
    jira.fail_next(Fault.RATE_LIMIT)  # 429, Retry-After: 30
    wired.exports.export([item.ref], "jira")
    run_jobs(wired)
    [job] = export_jobs(wired)
    assert job.due >= clock.now() + timedelta(seconds=30)
    jira.project = "OTHER"  # OPS no longer exists
    clock.set(job.due)
    run_jobs(wired)
    [job] = export_jobs(wired)
    assert job.status is JobStatus.DEAD
    assert "project: valid project is required" in (job.last_error or "")


def test_the_sync_job_runs_every_interval_and_schedules_the_next(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    item = add_item()
    wired.exports.export([item.ref], "github")
    run_jobs(wired)
    github.close_issue(1)
    assert wired.exports.chain in wired.recurring()
    assert wired.jobs.seed([wired.exports.chain]) == 1
    run_jobs(wired)
    assert wired.action_items.get(item.id).status is ItemStatus.DONE
    queued = [j for j in wired.jobs.find((JobStatus.QUEUED,)) if j.kind == "actions.sync"]
    assert [j.due for j in queued] == [wired.exports.chain.after(clock.now()).due]


def test_while_another_worker_creates_the_issue_an_export_waits_for_it(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    from tocsin.store.uow import SqlUnitOfWork

    item = add_item()
    until = clock.now() + timedelta(minutes=5)
    with SqlUnitOfWork(wired.engine) as uow:  # another worker holds the right to create
        assert uow.action_items.claim_create(item.id, GH, clock.now(), until).granted
        uow.commit()
    wired.exports.export([item.ref], "github")
    run_jobs(wired)
    [job] = export_jobs(wired)
    assert job.due >= until
    assert "another worker is creating the github issue" in (job.last_error or "")
    assert github.requests == []
    clock.set(job.due)  # that worker died: after its claim, this one looks, then creates
    run_jobs(wired)
    assert len(github.issues) == 1


def test_the_post_mortem_draft_lists_the_items_with_their_tracker_links(
    wired: Tocsin, github: FakeGitHub, add_item: Callable[..., ActionItem], incident: int
) -> None:
    item = add_item("Alert on replica lag", deadline="2026-12-04", category="add-monitoring")
    add_item("Step 3 of the runbook is wrong", category="update runbooks", owner="bob")
    wired.exports.export([item.ref], "github")
    run_jobs(wired)
    wired.incidents.resolve(f"INC-{incident}", "alice")
    text = wired.postmortems.preview(f"INC-{incident}", "alice")  # the first seed's outline
    assert (
        "### Update runbooks\n- [ ] Step 3 of the runbook is wrong — owner: bob, deadline: none"
        in text
    )
    assert (
        "### Add monitoring/alerts\n- [ ] Alert on replica lag — owner: alice, deadline: "
        "2026-12-04 (https://github.com/acme/platform/issues/1)" in text
    )
