"""A run left `running` by a process that died: found, marked failed on the timeline and in
the audit log; a mitigation is never run again by itself, a diagnostic once more."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tocsin.app.clock import ManualClock
from tocsin.app.runs import REAP_GRACE, Request
from tocsin.bootstrap import Tocsin
from tocsin.core.access import AccessRole, Principal
from tocsin.core.execution import RunRecord, RunStatus
from tocsin.core.scope import Scope
from tocsin.core.timeline import EntryKind
from tocsin.store.uow import SqlUnitOfWork

ANN = Principal("ann", AccessRole.RESPONDER, "user")
HOST = socket.gethostname()
BOOK = """\
# Ops

```bash {name=Look kind=diagnostic timeout=30}
echo looking
```

```bash {name=Restart kind=mitigation timeout=30}
echo restarting
```
"""


@pytest.fixture
def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def started(app: Tocsin, write: Callable[[str, str], Path], step: int, runner: str) -> RunRecord:
    """A run as a worker left it: marked running by `runner`, then nothing more."""
    write("ops", BOOK)
    ref = app.incidents.declare("ann", "Down", "P2", Scope(services=("api",))).incident.id
    (run,) = app.runbooks.request(Request(ref, "ops", ANN, step=step, confirm=True))
    assert isinstance(run, RunRecord)
    with SqlUnitOfWork(app.engine) as uow:
        run.status, run.started_at, run.runner = RunStatus.RUNNING, app.clock.now(), runner
        uow.runs.save(run)
        uow.commit()
    return run


def runs_of(app: Tocsin, run: RunRecord) -> list[RunRecord]:
    return app.runbooks.for_incident(run.incident)


def test_a_mitigation_whose_worker_died_is_failed_once_and_never_run_again(
    wired: Tocsin, write_runbook: Callable[[str, str], Path], dead_pid: int
) -> None:
    run = started(wired, write_runbook, 2, f"{HOST}:{dead_pid}")
    (reaped,) = wired.runbooks.reap()
    assert reaped.id == run.id
    (stored,) = runs_of(wired, run)
    assert stored.status is RunStatus.FAILED
    assert stored.note.startswith(f"worker {HOST}:{dead_pid} died at or before 20")
    assert stored.note.endswith("the command may have partly run — check before rerunning")
    (entry,) = [e for e in wired.incidents.timeline(run.incident) if e.kind is EntryKind.COMMAND]
    assert entry.text.endswith("; not run again (a mitigation never is by itself)")
    assert entry.data["status"] == "failed"
    last = wired.audit.records()[-1]
    assert (last.action, last.detail["runner"], last.detail["again"]) == (
        "runbook.worker_died",
        f"{HOST}:{dead_pid}",
        None,
    )
    assert wired.runbooks.reap() == []  # once
    with SqlUnitOfWork(wired.engine) as uow:
        assert [j for j in uow.jobs.find() if j.kind == "runbook.run"] == []  # nothing queued


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_live_process_and_another_hosts_run_within_its_time_are_left_alone(
    wired: Tocsin, write_runbook: Callable[[str, str], Path], clock: ManualClock
) -> None:
    mine = started(wired, write_runbook, 2, f"{HOST}:{os.getpid()}")
    theirs = started(wired, write_runbook, 2, "another-host:4242")
    assert wired.runbooks.reap() == []
    assert wired.runbooks.execute(theirs.id).status is RunStatus.RUNNING  # a retried job
    clock.advance(timedelta(seconds=30) + REAP_GRACE)
    assert [r.id for r in wired.runbooks.reap()] == [theirs.id]
    assert wired.runbooks.get(mine.id).status is RunStatus.RUNNING  # its process is there


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_diagnostic_whose_worker_died_runs_once_more_and_no_more(
    wired: Tocsin, write_runbook: Callable[[str, str], Path], dead_pid: int
) -> None:
    run = started(wired, write_runbook, 1, f"{HOST}:{dead_pid}")
    assert wired.runbooks.execute(run.id).status is RunStatus.FAILED  # the retried job reaps
    _first, again = runs_of(wired, run)
    assert (again.status, again.key) == (RunStatus.QUEUED, f"again:{run.id}")
    (entry,) = [e for e in wired.incidents.timeline(run.incident) if e.kind is EntryKind.COMMAND]
    assert entry.text.endswith(f"; run once more as run {again.id}")
    with SqlUnitOfWork(wired.engine) as uow:
        assert [j.payload for j in uow.jobs.find() if j.kind == "runbook.run"] == [
            {"run": again.id}
        ]
    with SqlUnitOfWork(wired.engine) as uow:  # the second run's worker dies too
        again.status, again.started_at, again.runner = (
            RunStatus.RUNNING, wired.clock.now(), f"{HOST}:{dead_pid}",
        )  # fmt: skip
        uow.runs.save(again)
        uow.commit()
    (reaped,) = wired.runbooks.reap()
    assert reaped.id == again.id
    assert len(runs_of(wired, run)) == 2
    texts = [e.text for e in wired.incidents.timeline(run.incident) if e.kind is EntryKind.COMMAND]
    assert texts[-1].endswith("; not run again")
