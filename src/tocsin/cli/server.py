"""`tocsin serve`: the API and web UI in one process."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
import uvicorn

from tocsin.api.app import create_app
from tocsin.cli.common import err, handled, local_app

commands = typer.Typer()


@commands.command()
@handled
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8080,
) -> None:
    """Serve the REST API (/api/v1) and the web UI."""
    tocsin = local_app()
    if not tocsin.accounts.users():
        password = secrets.token_urlsafe(12)
        tocsin.accounts.create_user("admin", password, "admin")
        err.print(
            f"First start: created user [bold]admin[/bold] with password [bold]{password}[/bold]"
            " (shown once). Add people with `tocsin user create NAME --role responder`.",
        )
    err.print(f"Tocsin on http://{host}:{port}/ (API at /api/v1, docs at /api/v1/docs)")
    uvicorn.run(create_app(tocsin), host=host, port=port, log_level="info")
