"""A real `tocsin worker` killed while a runbook step runs: the step waits on a FIFO the test
holds, so the kill lands mid-command. The next worker marks the run failed ("worker … died
…; check before rerunning") on the timeline and in the audit log at its start, and the
mitigation is not run again when its job's lease expires and the job is claimed again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tocsin.app.runs import Request
from tocsin.bootstrap import Tocsin, build
from tocsin.config import render_preset
from tocsin.core.access import AccessRole, Principal
from tocsin.core.execution import RunRecord, RunStatus
from tocsin.core.jobs import JobStatus
from tocsin.core.scope import Scope
from tocsin.core.timeline import EntryKind
from tocsin.store.uow import SqlUnitOfWork

TOCSIN = [sys.executable, "-m", "tocsin"]
WITHIN_S = 60.0
BOOK = """\
# Restart

```bash {name="Drain and restart" kind=mitigation timeout=120}
echo started > "$STARTED"
read -r line < "$GO"
echo "restarted after $line"
```
"""


@pytest.fixture
def project(tmp_path: Path) -> dict[str, str]:
    for fifo in ("started", "go"):
        os.mkfifo(tmp_path / fifo)
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "restart.md").write_text(BOOK, encoding="utf-8")
    config = yaml.safe_load(render_preset("p1-p4"))
    config["runbooks"] = {"values": {"STARTED": str(tmp_path / "started"),
                                     "GO": str(tmp_path / "go")}}  # fmt: skip
    (tmp_path / "tocsin.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {**os.environ, "TOCSIN_CONFIG": str(tmp_path / "tocsin.yaml"),
           "TOCSIN_DATABASE_URL": f"sqlite:///{tmp_path / 'tocsin.db'}"}  # fmt: skip
    env.pop("TOCSIN_URL", None)
    return env


@pytest.fixture
def app(project: dict[str, str], tmp_path: Path) -> Iterator[Tocsin]:
    built = build(env=project, cwd=tmp_path)
    yield built
    built.engine.dispose()


def worker(env: dict[str, str], log: Path, lease: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([*TOCSIN, "worker", "--poll", "0.2", "--lease", lease],
                                env=env, stdout=out, stderr=out)  # fmt: skip


def reached(fifo: Path) -> threading.Event:
    """Set when the step has written to `fifo` (opening it for reading blocks until then)."""
    done = threading.Event()

    def read() -> None:
        with fifo.open() as f:
            f.read()
        done.set()

    threading.Thread(target=read, daemon=True).start()
    return done


def the_run(app: Tocsin, run_id: int) -> RunRecord:
    return app.runbooks.get(run_id)


def until(what: str, check: object, log: Path) -> None:
    deadline = time.monotonic() + WITHIN_S
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)  # polling the database for the outcome, not timing anything
    raise AssertionError(f"{what} did not happen: {log.read_text(errors='replace')[-3000:]}")


def test_a_worker_killed_mid_command_leaves_a_failed_run_not_a_rerun(
    app: Tocsin, project: dict[str, str], tmp_path: Path
) -> None:
    ref = app.incidents.declare("ann", "Stuck", "P2", Scope(services=("api",))).incident.id
    ann = Principal("ann", AccessRole.RESPONDER, "user")
    (run,) = app.runbooks.request(Request(ref, "restart", ann, step=1, confirm=True, schedule=True))
    log = tmp_path / "worker.log"
    step_started = reached(tmp_path / "started")
    first = worker(project, log, lease="2")
    try:
        assert step_started.wait(WITHIN_S), log.read_text(errors="replace")[-3000:]
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    stuck = the_run(app, run.id)
    assert stuck.status is RunStatus.RUNNING
    assert stuck.runner.endswith(f":{first.pid}")
    second = worker(project, log, lease="2")
    try:
        until("the run marked failed", lambda: the_run(app, run.id).status.finished, log)

        def job_done() -> bool:  # its lease expired: claimed again, and the run is not rerun
            with SqlUnitOfWork(app.engine) as uow:
                jobs = [j for j in uow.jobs.find() if j.kind == "runbook.run"]
            return [(j.status, j.attempts) for j in jobs] == [(JobStatus.DONE, 2)]

        until("the job claimed again and done", job_done, log)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
        with (tmp_path / "go").open("w") as go:  # let the orphaned step end
            go.write("the test\n")
    failed = the_run(app, run.id)
    assert failed.status is RunStatus.FAILED
    assert f"worker {stuck.runner} died at or before" in failed.note
    assert "the command may have partly run — check before rerunning" in failed.note
    assert [r.id for r in app.runbooks.for_incident(ref)] == [run.id]  # not run again
    (entry,) = [e for e in app.incidents.timeline(ref) if e.kind is EntryKind.COMMAND]
    assert "not run again (a mitigation never is by itself)" in entry.text
    assert app.audit.records()[-1].action == "runbook.worker_died"
