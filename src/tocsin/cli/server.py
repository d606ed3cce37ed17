"""`tocsin serve`: the API and web UI in one process."""

from __future__ import annotations

import secrets
import sys
from typing import Annotated

import typer

from tocsin.bootstrap import Tocsin
from tocsin.cli.common import err, handled, local_app

commands = typer.Typer()


@commands.command()
@handled
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8080,
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
) -> None:
    """Serve the REST API (/api/v1) and the web UI."""
    from tocsin.api.logs import configure_logging  # the server stack: only for `serve`
    from tocsin.worker.health import HealthLoop

    tocsin = local_app()
    first_admin(tocsin)
    err.print(f"Tocsin on http://{host}:{port}/ (API at /api/v1, docs at /api/v1/docs)")
    configure_logging()
    checks = HealthLoop(tocsin)
    checks.start()
    try:
        _serve(tocsin, host, port, forwarded_allow_ips, workers)
    finally:
        checks.stop()


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


def _serve(tocsin: Tocsin, host: str, port: int, forwarded_allow_ips: str, workers: int) -> None:
    import uvicorn
    from fastapi import FastAPI

    from tocsin.api.app import create_app
    from tocsin.api.asgi import settle

    if workers > 1:  # each worker wires its own app; this process supervises and checks health
        app: str | FastAPI = "tocsin.api.asgi:worker_app"
    else:
        app = create_app(tocsin)
        settle()
    uvicorn.run(
        app,
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_config=None,  # our JSON lines, not uvicorn's text
        access_log=False,  # the request middleware logs each request once
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )
