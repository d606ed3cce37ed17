"""The app each worker process of `tocsin serve --workers N` builds for itself.

uvicorn starts the workers as fresh interpreters and calls `worker_app()` in each: it wires
Tocsin from the same `tocsin.yaml` and environment as the parent (which has already applied
the migrations and runs the job worker, health checks included, once for all of them).
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from tocsin.api.app import create_app
from tocsin.api.logs import configure_logging
from tocsin.bootstrap import build


def worker_app() -> FastAPI:
    configure_logging()
    app = create_app(build())
    settle()
    return app


def settle() -> None:
    """Move everything built at start-up (FastAPI, pydantic, SQLAlchemy, Jinja) out of the
    garbage collector's sight: a full collection then walks only what requests allocate,
    instead of pausing every ~thousand requests for tens of milliseconds."""
    gc.collect()
    gc.freeze()
