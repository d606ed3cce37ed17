"""Configuration changes without a restart: `SIGHUP`, `tocsin reload` and
`POST /api/v1/admin/reload` all call `LiveWiring.reload` (bootstrap.py), which builds a new
wiring from tocsin.yaml and swaps one reference, or refuses a broken file and keeps the old.

Under `tocsin serve --workers N` each process has its own wiring: the supervisor reloads its
own (the job worker's) and passes `SIGHUP` to every worker process (api/asgi.py); the API
endpoint reloads the process that answered, then signals the supervisor, whose pid `tocsin
serve` puts in TOCSIN_SERVE_PID, so the others follow.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from tocsin.api import models as m
from tocsin.api import responses as r
from tocsin.api.deps import Admin
from tocsin.bootstrap import LiveWiring, Reloaded
from tocsin.config import ConfigError
from tocsin.core.errors import ErrorKind, TocsinError

router = APIRouter(tags=["operations"])
SERVE_PID = "TOCSIN_SERVE_PID"


class ReloadRefused(TocsinError):
    """The new tocsin.yaml does not load; the old configuration stays in force."""

    kind = ErrorKind.INVALID_INPUT

    def __init__(self, error: ConfigError) -> None:
        super().__init__(f"tocsin.yaml refused, the old configuration stays in force:\n{error}")
        self.fields = [
            {
                "field": p.field or "tocsin.yaml",
                "message": f"line {p.line}: {p.message}" if p.line else p.message,
                "type": "config",
            }
            for p in error.problems
        ]

    def details(self) -> dict[str, Any]:
        return {"fields": getattr(self, "fields", [])}  # none when rebuilt from an answer


def attach(app: FastAPI, live: LiveWiring) -> LiveWiring:
    """Serve `live`'s wiring: each reload swaps `app.state.tocsin`, the one reference every
    request reads its wiring from."""
    app.state.live = live
    live.on_change(lambda tocsin: setattr(app.state, "tocsin", tocsin))
    return live


def live_of(app: FastAPI) -> LiveWiring:
    found: LiveWiring | None = getattr(app.state, "live", None)
    return found if found is not None else attach(app, LiveWiring(app.state.tocsin))


def reload_now(live: LiveWiring) -> Reloaded:
    """Reload (the outcome is logged); ReloadRefused for a broken file."""
    try:
        return live.reload()
    except ConfigError as exc:
        raise ReloadRefused(exc) from None


def on_sighup(live: LiveWiring) -> None:
    """SIGHUP reloads `live` (`tocsin reload` sends it)."""
    signal.signal(signal.SIGHUP, lambda _signum, _frame: live.reload_in_background())


@router.post("/admin/reload", response_model=m.Reload, responses=r.ERRORS)
async def reload(request: Request, _: Admin) -> dict[str, Any]:
    """Read tocsin.yaml again and use it from the next request on, without a restart. A file
    that does not load is refused (422, with each problem's line and field) and the old
    configuration stays in force. Admins only."""
    done = await run_in_threadpool(reload_now, live_of(request.app))
    supervisor = os.environ.get(SERVE_PID, "")
    if supervisor.isdigit() and int(supervisor) != os.getpid():
        os.kill(int(supervisor), signal.SIGHUP)  # the other worker processes follow
    return {
        "reloaded": True,
        "config": str(done.tocsin.config_path),
        "restart_needed": done.restart_needed,
    }
