"""`tocsin runbook …` (list, show, lint, import, run, approve, runs, output) and
`tocsin audit …` (verify, list). They act on this host's runbooks directory and database;
with TOCSIN_URL set, list, show, run, approve, runs and output act on that server (its
runbooks, its worker), and lint, import and audit stay local."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from tocsin.app.runs import Plan, Request
from tocsin.cli.common import (
    ActorOpt,
    JsonOpt,
    actor,
    app,
    err,
    handled,
    local_app,
    out,
    print_json,
)
from tocsin.cli.remote import Remote
from tocsin.cli.remote_runbooks import RemoteRunbooks
from tocsin.core.access import AccessRole, Principal
from tocsin.core.errors import InvalidInput
from tocsin.core.execution import RunRecord, RunStatus
from tocsin.core.runbook import Heading, Prose, Step, StepKind

runbook_commands = typer.Typer(help="Runbooks: Markdown steps run from an incident, recorded.")
audit_commands = typer.Typer(help="The audit log of runbook runs: list it, verify its chain.")

NameArg = Annotated[str, typer.Argument(help="Runbook name (the file NAME.md).")]
KIND_STYLE = {StepKind.DIAGNOSTIC: "green", StepKind.MITIGATION: "red", StepKind.CHECK: "blue"}


def _remote() -> RemoteRunbooks | None:
    target = app()
    return target.runbooks if isinstance(target, Remote) else None


def _principal(as_: str | None) -> Principal:
    """Whoever runs the CLI on this host has its database: the local admin, by name."""
    return Principal(actor(as_), AccessRole.ADMIN, "local")


@runbook_commands.command("list")
@handled
def list_(as_json: JsonOpt = False) -> None:
    """The runbooks in the runbooks directory, with their steps and triggers."""
    remote = _remote()
    if remote is not None:
        listed = remote.listed()
        if as_json:
            print_json([book | {"steps": len(book["steps"])} for book in listed])
            return
        for book in listed:
            steps = len(book["steps"])
            out.print(f"[bold]{book['name']}[/bold]  {escape(book['title'])}  ({steps} steps)")
        return
    books = local_app().runbooks.runbooks
    found = books.all()
    if as_json:
        print_json([rb.summary() | {"steps": len(rb.steps)} for rb in found])
        return
    if not found:
        out.print(f"No runbooks in {local_app().config.runbooks.dir}/ (runbooks.dir)")
        return
    for rb in found:
        kinds = [s.kind for s in rb.steps]
        counts = ", ".join(f"{kinds.count(k)} {k.value}" for k in StepKind if kinds.count(k))
        trigger = f"; runs on declare for {', '.join(rb.trigger.services)}" if rb.trigger else ""
        broken = f"; [red]{len(rb.errors)} error(s)[/red]" if rb.errors else ""
        out.print(f"[bold]{rb.name}[/bold]  {escape(rb.title)}  ({counts or 'no steps'}"
                  f"{escape(trigger)}){broken}")  # fmt: skip


@runbook_commands.command()
@handled
def show(name: NameArg, as_json: JsonOpt = False) -> None:
    """The runbook as Tocsin reads it: sections, numbered steps with their kind and why."""
    remote = _remote()
    if remote is not None:
        shown = remote.show(name)
        if as_json:
            print_json(shown)
            return
        out.print(f"[bold]{escape(shown['title'])}[/bold] ({shown['name']})")
        for s in shown["steps"]:
            out.print(f"▶ step {s['number']} ({s['kind']} — {escape(s['reason'])}): "
                      f"{escape(s['title'])}")  # fmt: skip
            for line in s["command"].splitlines():
                out.print(f"  {escape(line)}")
        for p in shown.get("problems", []):
            err.print(f"[{'red' if p['error'] else 'yellow'}]line {p['line']}: "
                      f"{escape(p['message'])}[/]")  # fmt: skip
        return
    rb = local_app().runbooks.runbooks.get(name)
    if as_json:
        print_json(rb.summary())
        return
    out.print(f"[bold]{escape(rb.title)}[/bold] ({rb.name})")
    if rb.trigger:
        out.print(f"Runs its diagnostics on declare for: {', '.join(rb.trigger.services)}")
    for part in rb.parts:
        if isinstance(part, Heading):
            out.print(f"\n[bold]{'#' * part.level} {escape(part.title)}[/bold]")
        elif isinstance(part, Prose):
            out.print(escape(part.text), style="dim")
        else:
            _step(part)
    for problem in rb.problems:
        err.print(f"[{'red' if problem.error else 'yellow'}]{escape(str(problem))}[/]")


def _step(step: Step) -> None:
    style = KIND_STYLE[step.kind]
    how = "" if step.marked else f" — {escape(step.reason)}"
    out.print(f"[{style}]▶ step {step.number} ({step.kind.value}{how})[/]: {escape(step.title)}")
    if step.kind is StepKind.CHECK:
        out.print(f"  [{'x' if step.checked else ' '}] {escape(step.command)}")
    else:
        for line in step.command.splitlines():
            out.print(f"  {escape(line)}")
        if step.variables:
            out.print(f"  needs: {', '.join('$' + v for v in step.variables)}", style="dim")


@runbook_commands.command()
@handled
def lint(
    names: Annotated[list[str] | None, typer.Argument(help="Runbooks (default: all).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Report unparseable blocks (with their line), unknown variables, unmarked mitigations.
    Exits 1 when a runbook has errors (it would not run); warnings alone exit 0. With
    TOCSIN_URL: the server's runbooks, with the server's settings."""
    report: dict[str, list[dict[str, Any]]] = {}
    remote = _remote()
    if remote is not None:
        for name in names or [book["name"] for book in remote.listed()]:
            report[name] = remote.lint(name)
    else:
        books = local_app().runbooks.runbooks
        for name in names or books.names():
            report[name] = [
                {"line": p.line, "message": p.message, "error": p.error} for p in books.lint(name)
            ]
    errors = sum(1 for problems in report.values() for p in problems if p["error"])
    if as_json:
        print_json(report)
    else:
        for name, problems in report.items():
            for p in problems:
                label = "[red]error[/red]" if p["error"] else "[yellow]warning[/yellow]"
                out.print(f"{name}.md:{p['line']}: {label}: {escape(p['message'])}")
        total = sum(len(p) for p in report.values())
        out.print(f"{len(report)} runbook(s), {errors} error(s), {total - errors} warning(s)")
    if errors:
        raise typer.Exit(1)


@runbook_commands.command("import")
@handled
def import_(
    file: Annotated[Path, typer.Argument(help="A Markdown runbook, e.g. incident-response.md.")],
    name: Annotated[str | None, typer.Option(help="Name it (default: from its title).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a runbook of that name.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report, write nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Bring an existing document in: repair its encoding (UTF-8 read as cp1252), add front
    matter, write it to the runbooks directory, and say what was understood. Local only."""
    if _remote() is not None:
        raise InvalidInput(
            "runbook import runs locally only: it writes the runbook into this host's runbooks "
            "directory, and a server's runbooks are never written through its API (they are "
            "read from its own directory, kept in git). Unset TOCSIN_URL to import here "
            "(`env -u TOCSIN_URL tocsin runbook import FILE`), then commit the file where the "
            "server reads its runbooks"
        )
    try:
        raw = file.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InvalidInput(f"no file {file}") from None
    except UnicodeDecodeError:
        raw = file.read_bytes().decode("cp1252", errors="replace")
    books = local_app().runbooks.runbooks
    imported, path = books.import_text(raw, name, force, dry_run)
    rb = imported.runbook
    if as_json:
        print_json({"name": imported.name, "path": path, "repaired": imported.repaired,
                    "runbook": rb.summary(),
                    "severities": [s.to_config() for s in imported.severities]})  # fmt: skip
        return
    where = path or "(dry run: nothing written)"
    out.print(f"Imported [bold]{imported.name}[/bold] → {where}")
    if imported.repaired:
        out.print(f"Repaired {imported.repaired} run(s) of mis-decoded text (UTF-8 read as cp1252)")
    sections = [p for p in rb.parts if isinstance(p, Heading)]
    out.print(f"{len(sections)} section(s), {len(rb.steps)} step(s):")
    for step in rb.steps:
        out.print(f"  {step.number}. [{KIND_STYLE[step.kind]}]{step.kind.value}[/] "
                  f"(line {step.line}) {escape(step.title)} — {escape(step.reason)}")  # fmt: skip
    for problem in books.lint(imported.name) if path else rb.problems:
        out.print(f"  [yellow]line {problem.line}[/yellow]: {escape(problem.message)}")
    if imported.severities:
        from tocsin.config.runbooks import severities_yaml

        out.print("Severities found; as tocsin.yaml `severities:`:")
        out.print(escape(severities_yaml([s.to_config() for s in imported.severities])))


@runbook_commands.command()
@handled
def run(
    name: NameArg,
    incident: Annotated[str, typer.Option("--incident", "-i", help="e.g. INC-7.")],
    step: Annotated[int | None, typer.Option("--step", "-n", help="Step number.")] = None,
    diagnostics: Annotated[
        bool, typer.Option("--diagnostics", help="Every diagnostic step, in order.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Confirm mitigations.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the command and variables; run nothing.")
    ] = False,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="NAME=VALUE for a variable; repeatable.")
    ] = None,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a step (or every diagnostic) of a runbook for an incident; the output, exit code
    and duration go on its timeline. Mitigations ask for confirmation."""
    remote = _remote()
    if remote is not None:
        body = {"step": step, "diagnostics": diagnostics, "confirm": yes, "dry_run": dry_run,
                "values": _values(set_)}  # fmt: skip
        _run_remote(remote, incident, name, body, actor(as_), as_json)
        return
    runs = local_app().runbooks
    req = Request(incident, name, _principal(as_), step, diagnostics, yes, True, _values(set_))
    plans = runs.request(req)
    mitigations = [p for p in plans if isinstance(p, Plan) and p.step.kind is StepKind.MITIGATION]
    if dry_run:
        _show_plans([p for p in plans if isinstance(p, Plan)], as_json)
        return
    if mitigations and not yes and not as_json:
        _show_plans(mitigations, False)
        req.confirm = sys.stdin.isatty() and typer.confirm(
            f"Run {'this mitigation' if len(mitigations) == 1 else 'these mitigations'} "
            f"on {incident}?", default=False
        )  # fmt: skip
    req.dry_run = False
    made = [r for r in runs.request(req) if isinstance(r, RunRecord)]
    done = []
    for record in made:
        if record.status is RunStatus.QUEUED:
            if not as_json:
                out.print(f"[bold]▶ step {record.step}[/bold]: {escape(record.title)}")
            record = runs.execute(record.id)
        done.append(record)
        if not as_json:
            _show_run(record)
    if as_json:
        print_json([r.to_dict() for r in done])
    if any(r.status not in (RunStatus.SUCCEEDED, RunStatus.AWAITING_APPROVAL) for r in done):
        raise typer.Exit(1)


@runbook_commands.command()
@handled
def approve(
    run_id: Annotated[int, typer.Argument(help="The run's id, as `runbook run` printed it.")],
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve a mitigation that awaits a second person, and run it now."""
    remote = _remote()
    if remote is not None:
        approved = remote.approve(run_id, actor(as_))
        _finish_remote(remote, [approved], as_json)
        return
    runs = local_app().runbooks
    record = runs.approve(run_id, _principal(as_))
    record = runs.execute(record.id, record.requested_by)
    if as_json:
        print_json(record.to_dict())
    else:
        _show_run(record)
    if record.status is not RunStatus.SUCCEEDED:
        raise typer.Exit(1)


@runbook_commands.command("runs")
@handled
def runs_(
    incident: Annotated[str, typer.Argument(help="e.g. INC-7.")], as_json: JsonOpt = False
) -> None:
    """The runbook runs of an incident."""
    remote = _remote()
    rows = (
        remote.runs(incident) if remote is not None
        else [r.to_dict() for r in local_app().runbooks.for_incident(incident)]
    )  # fmt: skip
    if as_json:
        print_json(rows)
        return
    for r in rows:
        code = "" if r["exit_code"] is None else f" exit {r['exit_code']}"
        what = f"{r['runbook']} step {r['step']}" if r["runbook"] else f"action {r['action']}"
        out.print(f"run {r['id']}: {what} ({r['kind']}) {r['status']}"
                  f"{code} by {escape(r['requested_by'])} at {r['requested_at']}")  # fmt: skip


@runbook_commands.command()
@handled
def output(run_id: Annotated[int, typer.Argument(help="The run's id.")]) -> None:
    """The whole (redacted) output of a run, as stored."""
    remote = _remote()
    if remote is not None:
        sys.stdout.write(remote.run_record(run_id)["output"])
        return
    sys.stdout.write(local_app().runbooks.get(run_id).output)


@audit_commands.command()
@handled
def verify(as_json: JsonOpt = False) -> None:
    """Check the audit log's hash chain; name the first broken record (exit 1). With
    TOCSIN_URL: the server's log, checked by the server (an admin token)."""
    remote = _remote()
    if remote is not None:
        found = remote.audit_verify()
    else:
        verdict = local_app().audit.verify()
        broken = verdict.broken
        found = {"checked": verdict.checked, "ok": broken is None,
                 "broken": None if broken is None else {"seq": broken.seq,
                                                        "reason": broken.reason}}  # fmt: skip
    if as_json:
        print_json(found)
    elif found["ok"]:
        out.print(f"Audit log intact: {found['checked']} record(s), each chained to the one before")
    else:
        broken_at = found["broken"]
        err.print(f"[red]Audit log broken[/red] at record {broken_at['seq']}: "
                  f"{escape(broken_at['reason'])}")  # fmt: skip
    if not found["ok"]:
        raise typer.Exit(1)


@audit_commands.command("list")
@handled
def audit_list(
    after: Annotated[int, typer.Option(help="Records after this one.")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Audit records, oldest first (with TOCSIN_URL: the server's, for an admin token)."""
    remote = _remote()
    if remote is not None:
        records = remote.audit_records(after, limit)
    else:
        records = [r.to_dict() for r in local_app().audit.records(after, limit)]
    if as_json:
        print_json(records)
        return
    for r in records:
        inc = f" INC-{r['incident']}" if r["incident"] else ""
        shown = ("run", "step", "reason", "exit_code")
        what = ", ".join(f"{k}={v}" for k, v in r["detail"].items() if k in shown)
        out.print(f"{r['seq']} {r['at']} {escape(r['actor'])} {r['action']}{inc} {escape(what)}")


def _run_remote(
    remote: RemoteRunbooks, ref: str, name: str, body: dict[str, Any], who: str, as_json: bool
) -> None:
    if not body["confirm"] and not body["dry_run"] and not as_json and sys.stdin.isatty():
        plans = remote.run(ref, name, body | {"dry_run": True}, who)["plans"]
        risky = [p for p in plans if p["kind"] == "mitigation"]
        for p in risky:
            out.print(f"[red]step {p['step']} ({p['kind']}: {escape(p['reason'])})[/]: "
                      f"{escape(p['title'])}\n  $ {escape(p['command'])}")  # fmt: skip
        if risky:
            body["confirm"] = typer.confirm(f"Run on {ref}?", default=False)
    answer = remote.run(ref, name, body, who)
    if body["dry_run"]:
        if as_json:
            print_json(answer["plans"])
            return
        for p in answer["plans"]:
            env = ", ".join(f"{k} ({v})" for k, v in p["env"].items()) or "none"
            out.print(f"step {p['step']} ({p['kind']}): {escape(p['command'])}")
            out.print(f"  environment: {escape(env)}")
        return
    _finish_remote(remote, answer["runs"], as_json)


def _finish_remote(remote: RemoteRunbooks, runs: list[dict[str, Any]], as_json: bool) -> None:
    done = [remote.follow(r, float(r.get("timeout_s") or 60)) for r in runs]
    if as_json:
        print_json(done)
    for r in [] if as_json else done:
        if r["status"] == "awaiting_approval":
            out.print(f"[yellow]run {r['id']} awaits a second person's approval[/yellow]: "
                      f"tocsin runbook approve {r['id']}")  # fmt: skip
            continue
        if r["output"]:
            sys.stdout.write(r["output"] if r["output"].endswith("\n") else r["output"] + "\n")
        code = "" if r["exit_code"] is None else f", exit {r['exit_code']}"
        out.print(f"run {r['id']}: {r['status']}{code} (on the timeline)")
    if any(r["status"] not in ("succeeded", "awaiting_approval") for r in done):
        raise typer.Exit(1)


def _values(pairs: list[str] | None) -> dict[str, str]:
    values = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--set {pair!r}: write NAME=VALUE, e.g. --set API_ID=a1b2c3")
        values[name.strip()] = value
    return values


def _show_plans(plans: list[Plan], as_json: bool) -> None:
    if as_json:
        print_json([p.to_dict() for p in plans])
        return
    for p in plans:
        style = KIND_STYLE[p.step.kind]
        out.print(f"[{style}]step {p.step.number} ({p.step.kind.value}: {escape(p.step.reason)})"
                  f"[/]: {escape(p.step.title)}, timeout {p.timeout_s:g} s")  # fmt: skip
        for i, line in enumerate(p.command.splitlines()):
            out.print(f"  {'$' if i == 0 else ' '} {escape(line)}")
        env = ", ".join(f"{n} ({src})" for n, src in p.variables.items()) or "none"
        out.print(f"  environment: {escape(env)}")
        if p.needs_approval:
            out.print("  needs a second person's approval (runbooks.approval)", style="yellow")


def _show_run(r: RunRecord) -> None:
    if r.status is RunStatus.AWAITING_APPROVAL:
        out.print(f"[yellow]run {r.id} awaits a second person's approval[/yellow]: "
                  f"tocsin runbook approve {r.id}")  # fmt: skip
        return
    if r.output:
        sys.stdout.write(r.output if r.output.endswith("\n") else r.output + "\n")
        sys.stdout.flush()
    style = "green" if r.status is RunStatus.SUCCEEDED else "red"
    code = "" if r.exit_code is None else f", exit {r.exit_code}"
    out.print(f"[{style}]run {r.id}: {r.status.value}{code} in "
              f"{(r.duration_ms or 0) / 1000:.1f} s[/] (on the timeline)")  # fmt: skip
