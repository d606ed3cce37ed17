"""`tocsin worker` (run due jobs) and `tocsin jobs list|retry` (see them, requeue dead ones).

Both act on the local database (TOCSIN_DATABASE_URL or tocsin.yaml), never a remote server.
"""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from typing import Annotated, Any

import typer

from tocsin.app.jobs import LEASE
from tocsin.bootstrap import LiveWiring
from tocsin.cli.common import JsonOpt, err, handled, local_app, out, print_json
from tocsin.cli.reloading import pid_file
from tocsin.core.errors import InvalidInput
from tocsin.core.jobs import Job, JobStatus
from tocsin.core.timeline import iso

commands = typer.Typer()
job_commands = typer.Typer(help="Durable jobs: list them (dead ones above all), retry.")


@commands.command()
@handled
def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=32, help="Threads running jobs at once.")
    ] = 1,
    poll: Annotated[
        float,
        typer.Option(min=0.1, max=300, help="Seconds a thread sleeps at most between looks."),
    ] = 2.0,
    lease: Annotated[
        float,
        typer.Option(
            min=1,
            max=86400,
            help="Seconds a claimed job is this worker's; if it dies, another takes the job "
            "after that. Longer than your slowest job.",
        ),
    ] = LEASE.total_seconds(),
) -> None:
    """Run due jobs (health checks and all background work) until SIGTERM or Ctrl-C.

    Run as many as you like against one PostgreSQL database: each job runs in one of them.
    `tocsin serve` already runs one in-process unless started with --no-worker."""
    from tocsin.api.logs import configure_logging
    from tocsin.worker.loop import Worker

    tocsin = local_app()
    tocsin.job_runner.lease = timedelta(seconds=lease)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    configure_logging()
    running = Worker.wired(tocsin, concurrency, poll)
    live = LiveWiring(tocsin)  # SIGHUP or `tocsin reload`: the next jobs use the new file
    live.on_change(running.rewire)
    signal.signal(signal.SIGHUP, lambda *_: live.reload_in_background())
    running.start()
    woken = ", woken by PostgreSQL NOTIFY" if running.listens else ""
    err.print(
        f"Tocsin worker {running.name}: {concurrency} thread(s), polling every {poll:g} s{woken}"
    )
    try:
        with pid_file(tocsin.config_path, "worker"):
            while not stopping.wait(1.0):
                pass
    finally:
        running.stop()
        err.print("Tocsin worker stopped")


@job_commands.command("list")
@handled
def job_list(
    dead: Annotated[
        bool, typer.Option("--dead", help="Only dead jobs (same as --status dead).")
    ] = False,
    status: Annotated[str | None, typer.Option(help="queued, running, done or dead.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Jobs by due time, with their attempts and last error."""
    statuses = _statuses(dead, status)
    found = local_app().jobs.find(statuses, limit)
    if as_json:
        print_json({"items": [job_json(j) for j in found]})
        return
    if not found:
        out.print("No jobs." if not statuses else f"No {statuses[0].value} jobs.")
    for job in found:
        error = f"\t{job.last_error}" if job.last_error else ""
        line = f"{job.id}\t{job.status.value}\t{job.kind}\t{iso(job.due)}\t×{job.attempts}{error}"
        out.print(line, markup=False)


@job_commands.command("retry")
@handled
def job_retry(
    job_id: Annotated[int, typer.Argument(help="The job's id (see `tocsin jobs list --dead`).")],
    as_json: JsonOpt = False,
) -> None:
    """Queue a dead job again, due now, with its attempts reset."""
    job = local_app().jobs.retry(job_id)
    if as_json:
        print_json(job_json(job))
        return
    out.print(f"[green]✔[/green] job {job.id} ({job.kind}) queued again")


def _statuses(dead: bool, status: str | None) -> tuple[JobStatus, ...]:
    if dead:
        if status not in (None, JobStatus.DEAD.value):
            raise InvalidInput(f"--dead and --status {status} disagree; give one of them")
        return (JobStatus.DEAD,)
    if status is None:
        return ()
    try:
        return (JobStatus(status),)
    except ValueError:
        valid = ", ".join(s.value for s in JobStatus)
        raise InvalidInput(f"--status {status!r}: use one of {valid}") from None


def job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status.value,
        "due": iso(job.due),
        "attempts": job.attempts,
        "last_error": job.last_error,
        "lease_owner": job.lease_owner,
        "lease_expires": iso(job.lease_expires),
        "incident": job.incident,
        "key": job.key,
        "payload": job.payload,
    }
