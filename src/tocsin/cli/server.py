"""`tocsin serve`: the API and web UI, and (unless --no-worker) a job worker in-process."""

from __future__ import annotations

import errno
import secrets
import signal
import socket
import sys
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from tocsin.bootstrap import LiveWiring
from tocsin.cli.common import err, handled, local_app
from tocsin.cli.reloading import pid_file
from tocsin.core.errors import InvalidInput

if TYPE_CHECKING:
    from tocsin.bootstrap import Tocsin
    from tocsin.worker.loop import Worker

commands = typer.Typer()


@commands.command()
@handled
def serve(
    host: Annotated[
        str, typer.Option(envvar="TOCSIN_HOST", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=1, max=65535, envvar="TOCSIN_PORT", help="Port to listen on.")
    ] = 8080,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(help="Proxies whose X-Forwarded-For/-Proto to trust (comma list or *)."),
    ] = "127.0.0.1",
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes. More than one needs no other change on SQLite or "
            "PostgreSQL; see docs/operations.md for sizing.",
        ),
    ] = 1,
    run_worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Run due jobs (health checks, background work) in this process too. "
            "Turn off when separate `tocsin worker` processes run them.",
        ),
    ] = True,
) -> None:
    """Serve the REST API (/api/v1) and the web UI, and run due jobs."""
    from tocsin.api.asgi import serve as run_server  # the server stack: only for `serve`
    from tocsin.api.logs import configure_logging
    from tocsin.worker.loop import Worker

    free_port(host, port)
    tocsin = local_app()
    first_admin(tocsin)
    err.print(f"Tocsin on http://{host}:{port}/ (API at /api/v1, docs at /api/v1/docs)")
    configure_logging()
    live = LiveWiring(tocsin)  # SIGHUP or `tocsin reload` swaps it (api/reload.py)
    worker = Worker.wired(tocsin) if run_worker else None
    if worker is not None:  # one per `serve`, in this (the parent) process
        live.on_change(worker.rewire)
        worker.start()
        _stop_on_sigterm(worker)
    try:
        with pid_file(tocsin.config_path, "serve"):
            run_server(live, host, port, forwarded_allow_ips, workers)
    finally:
        if worker is not None:
            worker.stop()


def free_port(host: str, port: int) -> None:
    """Say in one line, with the fix, that the port is taken, before anything starts."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror}") from None
            raise InvalidInput(
                f"port {port} on {host} is in use (another Tocsin, or another program); "
                f"choose another: tocsin serve --port {port + 1}, TOCSIN_PORT={port + 1}, "
                f"or make run PORT={port + 1}"
            ) from None


def on_terminal() -> bool:
    """Whether a person reads stderr now (not systemd, Docker or a file keeping it)."""
    return sys.stderr.isatty()


def first_admin(tocsin: Tocsin) -> None:
    """With no users yet: on a terminal, make `admin` with a random password shown there
    once; anywhere else stderr is a log, so say how to make one instead."""
    if tocsin.accounts.users():
        return
    if not on_terminal():
        err.print(
            "No users yet. Create the first admin with `tocsin user create NAME --role admin` "
            "(it asks for the password); a password printed here would stay in the log."
        )
        return
    password = secrets.token_urlsafe(12)
    tocsin.accounts.create_user("admin", password, "admin")
    err.print(
        f"First start: created user [bold]admin[/bold] with password [bold]{password}[/bold]"
        " (shown once, on this terminal only). Add people with "
        "`tocsin user create NAME --role responder`.",
    )


def _stop_on_sigterm(worker: Worker) -> None:
    """uvicorn shuts down on SIGTERM, then raises it again with the handler found before it
    started: this one lets the worker finish its jobs in hand, then dies of the signal."""

    def stop_then_exit(signum: int, _frame: FrameType | None) -> None:
        worker.stop()
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    signal.signal(signal.SIGTERM, stop_then_exit)
