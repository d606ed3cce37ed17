"""Serving the app under uvicorn: `serve` for `tocsin serve`, and `worker_app`, the app each
worker process of `tocsin serve --workers N` builds for itself.

uvicorn starts the workers as fresh interpreters and calls `worker_app()` in each: it wires
Tocsin from the same `tocsin.yaml` and environment as the parent (which has already applied
the migrations and runs the job worker, health checks included, once for all of them).
"""

from __future__ import annotations

import gc
import os
import signal
from socket import socket

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from tocsin.api.app import create_app
from tocsin.api.connections import ServerSettings, Timeouts
from tocsin.api.logs import configure_logging
from tocsin.api.reload import SERVE_PID, attach, on_sighup
from tocsin.bootstrap import LiveWiring, Tocsin, build


def serve(live: LiveWiring, host: str, port: int, forwarded_allow_ips: str, workers: int) -> None:
    """Run the server until it is stopped: this app, or `workers` processes of their own.
    SIGHUP reloads tocsin.yaml in every one of them (api/reload.py)."""
    tocsin = live.current
    if workers > 1:  # each worker wires its own app; this process supervises and runs jobs
        app: str | FastAPI = "tocsin.api.asgi:worker_app"
    else:
        app = create_app(tocsin)
        attach(app, live)
        on_sighup(live)
        settle()
    settings = ServerSettings(
        app,
        timeouts(tocsin),
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_config=None,  # our JSON lines, not uvicorn's text
        access_log=False,  # the request middleware logs each request once
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    server = uvicorn.Server(settings)
    if workers > 1:
        os.environ[SERVE_PID] = str(os.getpid())  # the workers' reload endpoint signals it
        Supervisor(live, settings, sockets=[settings.bind_socket()]).run()
        return
    settings.load_app()
    server.run()
    if not server.started:
        raise SystemExit(3)  # uvicorn's STARTUP_FAILURE: it has said why


def timeouts(tocsin: Tocsin) -> Timeouts:
    """`server:` in tocsin.yaml, in seconds."""
    s = tocsin.config.server
    return Timeouts(
        s.keep_alive.total_seconds(),
        s.request_head_timeout.total_seconds(),
        s.request_body_timeout.total_seconds(),
    )


def worker_app() -> FastAPI:
    configure_logging()
    live = LiveWiring(build())
    app = create_app(live.current)
    attach(app, live)
    on_sighup(live)
    settle()
    return app


class Supervisor(Multiprocess):
    """uvicorn's supervisor of `--workers N`, except that SIGHUP reloads tocsin.yaml where
    uvicorn would restart every worker (and, with a broken file, leave none running): this
    process reloads its own wiring (the job worker's), and each worker process its own."""

    def __init__(self, live: LiveWiring, config: uvicorn.Config, sockets: list[socket]) -> None:
        super().__init__(config, sockets=sockets)
        self.live = live

    def handle_hup(self) -> None:
        self.live.reload_in_background()
        for process in self.processes:
            if process.pid is not None:
                os.kill(process.pid, signal.SIGHUP)


def settle() -> None:
    """Move everything built at start-up (FastAPI, pydantic, SQLAlchemy, Jinja) out of the
    garbage collector's sight: a full collection then walks only what requests allocate,
    instead of pausing every ~thousand requests for tens of milliseconds."""
    gc.collect()
    gc.freeze()
