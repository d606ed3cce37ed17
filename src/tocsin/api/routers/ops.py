"""Operations endpoints outside /api/v1: liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tocsin.api.deps import App

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, Any]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(tocsin: App) -> dict[str, Any] | JSONResponse:
    """The database answers."""
    try:
        with tocsin.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        detail = " ".join(str(getattr(exc, "orig", exc)).split())
        return JSONResponse({"status": "unavailable", "database": detail}, 503)
    return {"status": "ok", "database": "ok"}


def install(app: FastAPI) -> None:
    app.include_router(router)
