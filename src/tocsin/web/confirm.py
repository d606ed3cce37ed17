"""The confirmation step before a change that is hard to take back (resolve, close, expire a
silence): a plain page with one button, so it works without JavaScript. A form posts once
without `confirmed=yes` and gets this page, which posts again with it; what was typed comes
along, editable where it matters (the root cause and fix)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import HTMLResponse

from tocsin.web.auth import WebSession
from tocsin.web.rendering import page

CONFIRMED = "confirmed"


@dataclass(frozen=True, slots=True)
class Editable:
    name: str
    label: str
    value: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class Confirm:
    title: str  # "Resolve INC-3?"
    detail: str  # what happens
    action: str  # where the confirmed form posts
    button: str  # "Resolve INC-3"
    back: str  # where Cancel goes
    hidden: dict[str, str] = field(default_factory=dict)
    editable: list[Editable] = field(default_factory=list)
    danger: bool = False


def confirmed(form: dict[str, str]) -> bool:
    return form.get(CONFIRMED) == "yes"


def confirm_page(request: Request, session: WebSession, ask: Confirm) -> HTMLResponse:
    return page(request, "confirm.html", {"session": session, "ask": ask})
