"""Running steps from an incident: the timeline entry, the stored output, the audit log, and
every refusal (missing variable, no confirmation, viewer, second person) before anything runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from tests.runbooks.conftest import SECRET
from tests.support.postmortems import publish
from tocsin.app.runs import ConfirmationRequired, MissingVariables, Request
from tocsin.bootstrap import Tocsin
from tocsin.core.access import AccessRole, Forbidden, Principal
from tocsin.core.errors import DomainError, IllegalTransition, InvalidInput
from tocsin.core.execution import RunStatus
from tocsin.core.scope import Scope
from tocsin.core.timeline import EntryKind

ANN = Principal("ann", AccessRole.RESPONDER, "user")
BOB = Principal("bob", AccessRole.RESPONDER, "user")
VIEWER = Principal("vic", AccessRole.VIEWER, "user")

BOOK = """\
# Ops

## Look
```bash {name=Shout}
echo "$(echo hello from $SERVICE | tr a-z A-Z)" in $REGION for $INCIDENT_ID
```

```bash {name=Echo}
printf '[%s]' "$VALUE"; echo; echo $VALUE
```

## Fix
```bash {kind=mitigation name=Throttle}
echo "throttled with $ADMIN_TOKEN AKIAIOSFODNN7EXAMPLE tenant-42"
```

```bash {name=Flood}
head -c 5000 /dev/zero | tr '\\0' x
```

```bash {name=Env}
env | sort
```

```bash {name=Hang timeout=1 kind=diagnostic}
sleep 30 & echo $! > "$PIDFILE"; wait
```

- [ ] Tell the channel
"""

Write = Callable[[str, str], Path]


def declare(app: Tocsin, severity: str = "P2") -> str:
    return app.incidents.declare("ann", "API down", severity, Scope(services=("api",))).incident.id


def run(app: Tocsin, ref: str, step: int, who: Principal = ANN, **kw: object) -> list:  # type: ignore[type-arg]
    made = app.runbooks.request(Request(ref, "ops", who, step=step, **kw))  # type: ignore[arg-type]
    return [app.runbooks.execute(r.id) if r.status is RunStatus.QUEUED else r for r in made]


def commands(app: Tocsin, ref: str) -> list:  # type: ignore[type-arg]
    return [e for e in app.incidents.timeline(ref) if e.kind is EntryKind.COMMAND]


def test_a_step_runs_in_bash_and_lands_on_the_timeline_with_its_output(
    wired: Tocsin, write_runbook: Write
) -> None:
    write_runbook("ops", BOOK)
    ref = declare(wired)
    (done,) = run(wired, ref, 1)
    assert done.status is RunStatus.SUCCEEDED
    assert done.output == f"HELLO FROM API in eu-west-1 for {ref}\n"  # pipes, $(…), variables
    (entry,) = commands(wired, ref)
    assert entry.actor == "ann"
    assert entry.text.startswith("Shout (ops step 1, diagnostic): exit 0 in ")
    assert entry.data["command"].startswith('echo "$(echo hello from $SERVICE')  # as written
    assert entry.data["output"] == done.output
    assert entry.data["exit_code"] == 0
    assert entry.data["duration_ms"] >= 0
    records = wired.audit.records()
    assert [r.action for r in records] == ["runbook.executed"]
    assert records[0].detail["run"] == done.id


@pytest.mark.parametrize(
    "value",
    ["a; rm -rf /", "$(touch PWNED)", "`touch PWNED`", "line1\nline2", "' \" \\ $HOME"],
)
def test_values_reach_the_command_literally(
    wired: Tocsin, write_runbook: Write, tmp_path: Path, value: str
) -> None:
    write_runbook("ops", BOOK)
    ref = declare(wired)
    (done,) = run(wired, ref, 2, values={"VALUE": value})
    assert done.status is RunStatus.SUCCEEDED
    assert done.output.startswith(f"[{value}]\n")
    assert not (tmp_path / "PWNED").exists()
    assert done.command == BOOK.split("```bash {name=Echo}\n")[1].split("\n```")[0]


def test_a_missing_variable_stops_before_anything_runs_and_is_named(
    wired: Tocsin, write_runbook: Write
) -> None:
    write_runbook("ops", BOOK)
    ref = declare(wired)
    with pytest.raises(MissingVariables, match=r"step 2 needs VALUE.*Nothing was run.*--set"):
        run(wired, ref, 2)
    assert commands(wired, ref) == []
    assert wired.runbooks.for_incident(ref) == []


def test_a_mitigation_needs_confirmation_and_the_responder_role_and_refusals_are_audited(
    wired: Tocsin, write_runbook: Write
) -> None:
    write_runbook("ops", BOOK)
    ref = declare(wired)
    with pytest.raises(ConfirmationRequired, match="step 3 of ops is a mitigation"):
        run(wired, ref, 3)
    with pytest.raises(Forbidden):
        run(wired, ref, 3, who=VIEWER, confirm=True)
    records = wired.audit.records()
    assert [(r.action, r.actor, r.detail["reason"]) for r in records] == [
        ("runbook.refused", "ann", "no confirmation"),
        ("runbook.refused", "vic", "viewer role"),
    ]
    assert commands(wired, ref) == []
    (done,) = run(wired, ref, 3, confirm=True)
    assert done.status is RunStatus.SUCCEEDED


def test_secrets_are_passed_but_redacted_everywhere(wired: Tocsin, write_runbook: Write) -> None:
    write_runbook("ops", BOOK)
    ref = declare(wired)
    (done,) = run(wired, ref, 3, confirm=True)
    assert done.secrets == ["ADMIN_TOKEN"]
    assert done.values == {}  # the secret's value is never stored
    assert "throttled with [REDACTED] [REDACTED] [REDACTED]" in done.output
    (entry,) = commands(wired, ref)
    assert SECRET not in str(entry.data)
    assert "AKIAIOSFODNN7EXAMPLE" not in str(entry.data)
    with wired.engine.connect() as conn:
        dump = " ".join(str(row) for row in conn.execute(text("SELECT * FROM runbook_runs")))
        dump += " ".join(str(row) for row in conn.execute(text("SELECT * FROM audit_log")))
    assert SECRET not in dump


def test_the_timeline_gets_the_output_truncated_and_the_run_keeps_it_whole(
    wired: Tocsin, write_runbook: Write
) -> None:
    write_runbook("ops", BOOK)
    ref = declare(wired)
    (done,) = run(wired, ref, 4)
    assert done.output == "x" * 5000
    (entry,) = commands(wired, ref)
    assert entry.data["truncated"] is True
    assert entry.data["output"].startswith("x" * 1024 + "\n[… 3976 more bytes")
    assert wired.runbooks.get(done.id).output == "x" * 5000


def test_the_environment_is_clean(wired: Tocsin, write_runbook: Write) -> None:
    write_runbook("ops", BOOK)
    ref = declare(wired)
    (done,) = run(wired, ref, 5)
    names = {line.split("=", 1)[0] for line in done.output.splitlines()}
    assert {"PATH", "HOME", "LANG"} <= names
    assert not names & {"TOCSIN_DATABASE_URL", "TOCSIN_SECRET_KEY", "TEST_ADMIN_TOKEN"}


@pytest.mark.parametrize("extra_env", [{"AWS_REGION": "eu-west-1", "AWS_PROFILE": "ops"}])
def test_the_aws_chain_variables_pass_through(wired: Tocsin, write_runbook: Write) -> None:
    write_runbook("ops", BOOK)
    ref = declare(wired)
    (done,) = run(wired, ref, 5)
    assert "AWS_REGION=eu-west-1" in done.output.splitlines()
    assert "AWS_PROFILE=ops" in done.output.splitlines()


def test_a_timeout_kills_the_whole_process_group(
    wired: Tocsin, write_runbook: Write, tmp_path: Path
) -> None:
    write_runbook("ops", BOOK)
    ref = declare(wired)
    pidfile = tmp_path / "pid"
    (done,) = run(wired, ref, 6, values={"PIDFILE": str(pidfile)})
    assert done.status is RunStatus.TIMED_OUT
    assert done.exit_code is None
    assert "killed after 1 s" in done.output
    assert not alive(int(pidfile.read_text()))  # the background sleep went with it
    (entry,) = commands(wired, ref)
    assert "timed out after 1 s" in entry.text


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def test_a_second_person_approves_a_mitigation_on_the_top_severity(
    wired: Tocsin, write_runbook: Write
) -> None:
    write_runbook("ops", BOOK)
    ref = declare(wired, "P1")
    (waiting,) = run(wired, ref, 3, confirm=True)
    assert waiting.status is RunStatus.AWAITING_APPROVAL
    assert commands(wired, ref) == []
    with pytest.raises(DomainError, match="a second person must approve"):
        wired.runbooks.approve(waiting.id, Principal("ann via ci", AccessRole.ADMIN, "token"))
    with pytest.raises(Forbidden):
        wired.runbooks.approve(waiting.id, VIEWER)
    approved = wired.runbooks.approve(waiting.id, BOB)
    done = wired.runbooks.execute(approved.id)
    assert done.status is RunStatus.SUCCEEDED
    assert done.approved_by == "bob"
    (entry,) = commands(wired, ref)
    assert entry.actor == "ann"
    assert entry.data["approved_by"] == "bob"
    actions = [(r.action, r.actor) for r in wired.audit.records()]
    assert actions == [
        ("runbook.approval_requested", "ann"),
        ("runbook.refused", "ann via ci"),
        ("runbook.refused", "vic"),
        ("runbook.approved", "bob"),
        ("runbook.executed", "ann"),
    ]
    assert wired.runbooks.execute(done.id).status is RunStatus.SUCCEEDED  # not run twice
    assert len(commands(wired, ref)) == 1


def test_audit_verify_names_the_record_that_was_changed(
    wired: Tocsin, write_runbook: Write
) -> None:
    write_runbook("ops", BOOK)
    ref = declare(wired)
    for _ in range(3):
        run(wired, ref, 1)
    verdict = wired.audit.verify()
    assert verdict.checked == 3
    assert verdict.broken is None
    with pytest.raises(DBAPIError, match="append-only"), wired.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    with wired.engine.begin() as conn:  # whoever owns the database can drop the guard …
        drop_append_only_guard(conn)
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    broken = wired.audit.verify().broken  # … and the chain shows what they changed
    assert broken is not None
    assert broken.seq == 2
    with wired.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    broken = wired.audit.verify().broken
    assert broken is not None
    assert (broken.seq, "removed" in broken.reason) == (2, True)


def drop_append_only_guard(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
    else:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_dry_run_checklists_unknown_steps_broken_runbooks_and_closed_incidents(
    wired: Tocsin, write_runbook: Write
) -> None:
    write_runbook("ops", BOOK)
    write_runbook("broken", "# B\n```bash\necho 'open\n```\n")
    ref = declare(wired)
    (plan,) = wired.runbooks.request(Request(ref, "ops", ANN, step=3, dry_run=True))
    assert plan.to_dict()["env"] == {"ADMIN_TOKEN": "secret"}  # names and sources, no values
    assert wired.runbooks.for_incident(ref) == []
    with pytest.raises(InvalidInput, match="step 7 of ops is a checklist item"):
        run(wired, ref, 7)
    with pytest.raises(InvalidInput, match="no step 99; runnable steps: 1, 2, 3, 4, 5, 6"):
        run(wired, ref, 99)
    with pytest.raises(InvalidInput, match="does not parse, so nothing was run: line 3"):
        wired.runbooks.request(Request(ref, "broken", ANN, step=1))
    wired.incidents.resolve(ref, "ann")
    publish(wired, ref)
    wired.incidents.close(ref, "ann")
    with pytest.raises(IllegalTransition, match="cannot run a runbook step"):
        run(wired, ref, 1)


def test_shell_off_leaves_shell_steps_unrunnable(
    wired: Tocsin, write_runbook: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    write_runbook("ops", BOOK)
    ref = declare(wired)
    books = wired.runbooks.runbooks
    monkeypatch.setattr(books, "settings", replace(books.settings, shell=False))
    with pytest.raises(DomainError, match="runbooks.shell is false"):
        run(wired, ref, 1)
    assert wired.audit.records()[0].detail["reason"] == "runbooks.shell is false"
    assert os.environ.get("TEST_ADMIN_TOKEN") is None  # the secret lived only in build's env
