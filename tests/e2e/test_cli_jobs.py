"""`tocsin jobs list|retry`: dead jobs are shown with their error and can be queued again."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import Cli, flat
from tocsin.bootstrap import build
from tocsin.core.jobs import JobSpec
from tocsin.store.uow import SqlUnitOfWork


def dead_job(project: Path) -> int:
    """A job nobody can run (no handler for its kind): dead at its first claim."""
    wired = build(cwd=project)
    try:
        with SqlUnitOfWork(wired.engine) as uow:
            uow.jobs.schedule(JobSpec("escalate", {"step": 1}, wired.clock.now(), incident=4))
            uow.commit()
        assert wired.job_runner.run_due("test") == 1
        [job] = wired.jobs.find()
        return job.id
    finally:
        wired.engine.dispose()


def test_a_dead_job_is_listed_with_its_error_and_can_be_retried(cli: Cli, project: Path) -> None:
    code, listed = cli("jobs", "list")
    assert (code, listed) == (0, {"items": []})
    job_id = dead_job(project)
    code, listed = cli("jobs", "list", "--dead")
    assert code == 0
    [item] = listed["items"]
    assert (item["id"], item["kind"], item["status"], item["incident"]) == (
        job_id,
        "escalate",
        "dead",
        4,
    )
    assert "no handler for job kind 'escalate'" in item["last_error"]
    code, text = cli("jobs", "list", "--status", "dead", json=False)
    assert code == 0
    assert f"{job_id} dead escalate" in flat(text)
    code, retried = cli("jobs", "retry", str(job_id))
    assert (code, retried["status"], retried["attempts"]) == (0, "queued", 0)
    assert cli("jobs", "list", "--dead").out == {"items": []}


def test_job_command_errors_name_the_fix(cli: Cli, project: Path) -> None:
    code, answer = cli("jobs", "list", "--status", "stuck")
    assert code == 2
    assert "--status 'stuck': use one of queued, running, done, dead" in answer["error"]
    code, answer = cli("jobs", "list", "--dead", "--status", "done")
    assert code == 2
    assert "disagree" in answer["error"]
    code, answer = cli("jobs", "retry", "42")
    assert code == 1
    assert "no job 42" in answer["error"]
