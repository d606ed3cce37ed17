"""Diagnostics that run by themselves on declare (as jobs, once), and runbook_url links."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tocsin.app.diagnostics import DIAGNOSTICS_JOB
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import RouteConfig
from tocsin.core.alerts import AlertAction, AlertIn, Parsed
from tocsin.core.execution import RunStatus
from tocsin.core.jobs import JobStatus
from tocsin.core.scope import Scope
from tocsin.core.timeline import EntryKind
from tocsin.store.uow import SqlUnitOfWork

Write = Callable[[str, str], Path]

TRIGGERED = """\
---
title: API first look
triggers: [api]
---
# API first look

```bash
echo "looking at $SERVICE"
```

```bash
echo "region $REGION" && true
```

```bash
echo "needs $API_ID"
```

```bash {kind=mitigation}
echo "never by itself"
```

```bash {auto=false}
echo "only when asked"
```
"""


def test_declaring_for_a_triggered_service_runs_its_diagnostics_once(
    wired: Tocsin, write_runbook: Write
) -> None:
    write_runbook("api-first-look", TRIGGERED)
    write_runbook("other", "---\ntriggers: [db]\n---\n# Other\n```bash\necho db\n```\n")
    ref = wired.incidents.declare("ann", "API down", "P2", Scope(services=("api",))).incident.id
    jobs = wired.jobs.find(statuses=(JobStatus.QUEUED,))
    mine = [j for j in jobs if j.kind == DIAGNOSTICS_JOB]
    assert [(j.key, j.payload) for j in mine] == [
        ("runbook:1:api-first-look", {"incident": 1, "runbook": "api-first-look"})
    ]
    assert wired.job_runner.run_due("w1") >= 1
    entries = [e for e in wired.incidents.timeline(ref) if e.kind is EntryKind.COMMAND]
    assert [(e.actor, e.data["step"], e.data["status"]) for e in entries] == [
        ("tocsin", 1, "succeeded"),
        ("tocsin", 2, "succeeded"),
        ("tocsin", 3, "skipped"),
    ]
    assert entries[0].data["output"] == "looking at api\n"
    assert "skipped: api-first-look: step 3 needs API_ID" in entries[2].text
    # The job again (a worker died after the work): nothing runs twice.
    handler = wired.job_runner.handlers.get(DIAGNOSTICS_JOB)
    assert handler is not None
    handler(mine[0], lambda: SqlUnitOfWork(wired.engine))
    again = [e for e in wired.incidents.timeline(ref) if e.kind is EntryKind.COMMAND]
    assert len(again) == 3
    runs = wired.runbooks.for_incident(ref)
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED, RunStatus.SKIPPED]


def test_an_unreadable_runbook_does_not_stop_a_declare(
    wired: Tocsin, write_runbook: Write, runbook_dir: Path
) -> None:
    write_runbook("api-first-look", TRIGGERED)
    (runbook_dir / "latin1.md").write_bytes(b"# Caf\xe9\n```bash\necho\n```\n")
    wired.incidents.declare("ann", "API down", "P2", Scope(services=("api",)))
    assert [j.key for j in wired.jobs.find() if j.kind == DIAGNOSTICS_JOB] == [
        "runbook:1:api-first-look"
    ]


def test_no_trigger_no_job(wired: Tocsin, write_runbook: Write) -> None:
    write_runbook("api-first-look", TRIGGERED)
    wired.incidents.declare("ann", "DB down", "P2", Scope(services=("db",)))
    assert [j for j in wired.jobs.find() if j.kind == DIAGNOSTICS_JOB] == []


def test_an_alerts_runbook_url_links_the_incident_to_a_known_runbook(
    wired: Tocsin, write_runbook: Write
) -> None:
    write_runbook("high-error-rate", "# High error rate\n```bash\necho hi\n```\n")
    wired.config.routing.routes.append(RouteConfig(match=["service=~.+"]))
    alert = AlertIn(
        "alertmanager", "k1", AlertAction.TRIGGER, "API 5xx above 5%", severity="critical",
        labels={"alertname": "HighErrorRate", "service": "api"},
        annotations={"runbook_url": "https://git.example/ops/runbooks/high-error-rate.md"},
    )  # fmt: skip
    declared = wired.alerts.ingest("prod-am", Parsed(alerts=[alert]))
    ref = declared.declared[0]
    notes = [e.text for e in wired.incidents.timeline(ref) if e.kind is EntryKind.NOTE]
    assert notes == [
        "Runbook linked: high-error-rate (from the alert's runbook_url). Run its steps with "
        f"`tocsin runbook run high-error-rate --incident {ref}`"
    ]
