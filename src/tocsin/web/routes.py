"""Web pages."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/incidents", status_code=303)


def install(app: FastAPI) -> None:
    app.include_router(router)
