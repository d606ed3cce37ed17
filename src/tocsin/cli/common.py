"""What every command shares: options, the wired app, the actor, errors and output."""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from tocsin.app.answers import ANSWERS, EXIT_USAGE
from tocsin.bootstrap import Tocsin, build
from tocsin.cli.remote import Remote, settings_from
from tocsin.core.errors import TocsinError

P = ParamSpec("P")
R = TypeVar("R")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ActorOpt = Annotated[
    str | None,
    typer.Option("--as", help="Who is acting (default: $TOCSIN_ACTOR or your login name)."),
]
IdArg = Annotated[str, typer.Argument(help="Incident id, e.g. INC-42.", show_default=False)]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_wired: dict[str, Tocsin] = {}
_remote: dict[str, Remote] = {}


def app() -> Tocsin | Remote:
    """What the commands act on: with TOCSIN_URL set, the server (same `.incidents` and
    `.accounts` calls and results); otherwise the local app. Built on first use."""
    settings = settings_from(os.environ)
    if settings is None:
        return local_app()
    if "remote" not in _remote:
        _remote["remote"] = Remote(settings)
    return _remote["remote"]


def local_app() -> Tocsin:
    """The local app, whatever TOCSIN_URL says: for commands that only make sense here."""
    if "app" not in _wired:
        _wired["app"] = build()
    return _wired["app"]


def reset() -> None:
    for remote in _remote.values():
        remote.close()
    _remote.clear()
    _wired.clear()


def actor(explicit: str | None) -> str:
    if explicit:
        return explicit
    return os.environ.get("TOCSIN_ACTOR") or getpass.getuser()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def fail(message: str, code: int, as_json: bool) -> typer.Exit:
    if as_json:
        print_json({"error": message, "exit_code": code})
    else:
        err.print(Text.assemble(("error:", "red"), " ", message))  # user text, never markup
    return typer.Exit(code)


def handled(fn: Callable[P, R]) -> Callable[P, R]:
    """An error exits with its kind's code (app/answers.py: 1 refused, 2 usage error), as
    one line naming the fix."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        as_json = bool(kwargs.get("as_json", False))
        try:
            return fn(*args, **kwargs)
        except TocsinError as exc:
            raise fail(str(exc), ANSWERS[exc.kind].exit_code, as_json) from None
        except typer.BadParameter as exc:
            raise fail(exc.format_message(), EXIT_USAGE, as_json) from None

    return wrapper
