"""`tocsin postmortem draft|show|edit|review|return|publish|history|list`: post-mortems
drafted from the timeline. Locally on this host's database, or on the server TOCSIN_URL
names (the same answers, through `/api/v1/…/postmortem`)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer
from rich.markup import escape

from tocsin.bootstrap import Tocsin
from tocsin.cli.common import (
    ActorOpt,
    IdArg,
    JsonOpt,
    actor,
    app,
    err,
    handled,
    local_app,
    out,
    print_json,
)
from tocsin.cli.remote import Remote
from tocsin.core.errors import InvalidInput

postmortem_commands = typer.Typer(
    help="Post-mortems: drafted from the timeline, edited, reviewed, published, kept."
)
VersionOpt = Annotated[
    int | None, typer.Option("--version", "-v", help="The version you read (refused if stale).")
]


class Postmortems(Protocol):
    def draft(
        self, ref: str, actor: str, author: str | None, category: str | None, again: bool
    ) -> dict[str, Any]: ...
    def show(self, ref: str, version: int | None) -> dict[str, Any]: ...
    def edit(
        self, ref: str, actor: str, text: str, version: int, category: str | None
    ) -> dict[str, Any]: ...
    def move(self, ref: str, action: str, actor: str, version: int | None) -> dict[str, Any]: ...
    def history(self, ref: str) -> list[dict[str, Any]]: ...
    def overview(self, overdue: bool) -> list[dict[str, Any]]: ...


class LocalPostmortems:
    """The local service, answering as the API does."""

    def __init__(self, tocsin: Tocsin) -> None:
        self._t = tocsin
        self._s = tocsin.postmortems

    def draft(
        self, ref: str, actor: str, author: str | None, category: str | None, again: bool
    ) -> dict[str, Any]:
        return self._s.draft(ref, actor, author, category, again).to_dict()

    def show(self, ref: str, version: int | None) -> dict[str, Any]:
        return self._s.show(ref, version).to_dict()

    def edit(
        self, ref: str, actor: str, text: str, version: int, category: str | None
    ) -> dict[str, Any]:
        return self._s.edit(ref, actor, text, version, category).to_dict()

    def move(self, ref: str, action: str, actor: str, version: int | None) -> dict[str, Any]:
        return self._s.move(ref, action, actor, version).to_dict()

    def history(self, ref: str) -> list[dict[str, Any]]:
        return [v.to_dict(with_text=False) for v in self._s.get(ref).versions]

    def overview(self, overdue: bool) -> list[dict[str, Any]]:
        now = self._t.clock.now()
        return [s.to_dict(now) for s in self._s.overview(overdue)]


def _pms() -> Postmortems:
    target = app()
    if isinstance(target, Remote):
        return target.postmortems
    return LocalPostmortems(target)


def _said(made: dict[str, Any], what: str) -> None:
    err.print(
        f"[green]✔[/green] {what}: version {made['version']} ({made['status']}) by "
        f"{escape(made['saved_by'])}"
    )


@postmortem_commands.command()
@handled
def draft(
    ref: IdArg,
    author: Annotated[str | None, typer.Option(help="Who writes it (default: commander).")] = None,
    category: Annotated[str | None, typer.Option(help="Root-cause category.")] = None,
    again: Annotated[
        bool, typer.Option("--again", help="Draft again from the timeline: a new version.")
    ] = False,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft the post-mortem from the timeline in the team's template, save it as a version
    and print it. Refused while the incident is open, naming what is missing."""
    made = _pms().draft(ref, actor(as_), author, category, again)
    if as_json:
        print_json(made)
        return
    sys.stdout.write(made["text"])  # as it is: no Rich markup or emoji codes
    _said(made, "drafted")


@postmortem_commands.command()
@handled
def show(ref: IdArg, version: VersionOpt = None, as_json: JsonOpt = False) -> None:
    """The current text (or --version N, e.g. an earlier published one)."""
    found = _pms().show(ref, version)
    if as_json:
        print_json(found)
        return
    sys.stdout.write(found["text"])
    err.print(f"version {found['version']} ({found['status']}), author {escape(found['author'])}")


@postmortem_commands.command()
@handled
def edit(
    ref: IdArg,
    category: Annotated[str | None, typer.Option(help="Root-cause category.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Take the text from FILE instead of $EDITOR.")
    ] = None,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open the current text in $EDITOR (or take --file) and save it as a new version;
    refused if somebody saved another version meanwhile."""
    pms = _pms()
    current = pms.show(ref, None)
    text = file.read_text(encoding="utf-8") if file else _in_editor(current["text"], ref)
    if text == current["text"] and category is None:
        err.print("no change; nothing saved")
        return
    made = pms.edit(ref, actor(as_), text, current["version"], category)
    if as_json:
        print_json(made)
        return
    _said(made, "saved")


def _in_editor(text: str, ref: str) -> str:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise InvalidInput("set $EDITOR (e.g. EDITOR=vi) or pass --file PATH")
    with tempfile.TemporaryDirectory(prefix="tocsin-pm-") as folder:
        path = Path(folder) / f"{ref.upper()}-postmortem.md"
        path.write_text(text, encoding="utf-8")
        done = subprocess.run([*shlex.split(editor), str(path)], check=False)  # noqa: S603
        if done.returncode != 0:
            raise InvalidInput(f"the editor exited with {done.returncode}; nothing saved")
        return path.read_text(encoding="utf-8")


def _mover(action: str, doc: str) -> None:
    @postmortem_commands.command(action, help=doc)
    @handled
    def move(
        ref: IdArg, version: VersionOpt = None, as_: ActorOpt = None, as_json: JsonOpt = False
    ) -> None:
        made = _pms().move(ref, action, actor(as_), version)
        if as_json:
            print_json(made)
            return
        _said(made, action)


_mover("review", "Ask for review: draft → in review.")
_mover("return", "Back to draft from review, for more work.")
_mover("publish", "Publish: in review → published. The published version is kept as it is.")


@postmortem_commands.command()
@handled
def history(ref: IdArg, as_json: JsonOpt = False) -> None:
    """Every version, oldest first: who saved it, when, what they did."""
    found = _pms().history(ref)
    if as_json:
        print_json(found)
        return
    for v in found:
        out.print(
            f"{v['version']:>3}  {v['saved_at']}  {v['status']:<10} {v['action']:<8} "
            f"{escape(v['saved_by'])}"
        )


@postmortem_commands.command("list")
@handled
def list_(
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only those past due and not published.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Post-mortems due or written, newest due first."""
    found = _pms().overview(overdue)
    if as_json:
        print_json(found)
        return
    if not found:
        out.print("No overdue post-mortems." if overdue else "No post-mortems yet.")
        return
    for s in found:
        late = " [red]OVERDUE[/red]" if s["overdue"] else ""
        status = s["status"] or "not written"
        out.print(
            f"{s['incident']:<8} due {s['due'] or '—':<20} {status:<10} v{s['version']}{late}"
        )


@postmortem_commands.command()
@handled
def meeting(
    ref: IdArg,
    at: Annotated[str, typer.Option("--at", help="Start, ISO 8601 with zone: 2026-12-01T15:00Z.")],
    duration: Annotated[str, typer.Option(help="How long: 30m, 1h, 1h30m.")] = "60m",
    force: Annotated[
        bool, typer.Option("--force", help="Allow a time more than 48 h after the resolve.")
    ] = False,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Schedule the post-mortem meeting: attendees from the incident's roles and
    `postmortem.attendees` (customer success when customers were affected), and an
    iCalendar invitation to each by e-mail (sent by the worker)."""
    start = _moment(at)
    made = local_app().meetings.schedule(ref, start, actor(as_), _duration(duration), force)
    if as_json:
        print_json(made.to_dict())
        return
    out.print(
        f"Post-mortem meeting for {made.incident}: {made.to_dict()['start']} – "
        f"{made.to_dict()['end']}"
    )
    for a in made.attendees:
        where = escape(a.email) if a.email else "[yellow]no e-mail address: not invited[/yellow]"
        out.print(f"  {escape(a.handle)} ({a.why}): {where}")


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"--at {text!r} is not a time; write e.g. 2026-12-01T15:00Z") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"--at {text!r} has no time zone; add Z for UTC or e.g. +01:00")
    return moment


def _duration(text: str) -> timedelta:
    found = re.fullmatch(r"\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*", text)
    if not found or not any(found.groups()):
        raise InvalidInput(f"--duration {text!r}: write e.g. 45m, 1h or 1h30m")
    return timedelta(hours=int(found.group(1) or 0), minutes=int(found.group(2) or 0))
