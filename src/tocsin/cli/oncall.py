"""`tocsin oncall [SCHEDULE] [--at TIME]`, overrides, `oncall check`, calendar feeds.

Locally the schedules come from tocsin.yaml and overrides from the database; with TOCSIN_URL
set every command asks the server (`cli/remote_oncall.py`) and prints the same.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from typer.core import TyperGroup

from tocsin.app.oncall import WhoIsOn
from tocsin.app.oncall_views import (
    feed_json,
    feed_path,
    override_json,
    reachability_json,
    who_json,
)
from tocsin.cli import common
from tocsin.cli.common import ActorOpt, JsonOpt, actor, handled, out, print_json
from tocsin.core.oncall import OnCall
from tocsin.core.timeline import iso

_RELATIVE = re.compile(r"^([+-])(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
TIME_HELP = "An ISO time with its offset (2026-12-24T09:00+01:00, …Z), now, or +2h / -1d."


class _ScheduleFirst(TyperGroup):
    """`tocsin oncall`, `tocsin oncall primary --at …`: a first word that is not a command
    is a schedule for `show`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click Context
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["show", *args]
        return super().parse_args(ctx, args)


oncall_commands = typer.Typer(
    cls=_ScheduleFirst, help="Who is on call, now or then; overrides; reachability; calendars."
)
override_commands = typer.Typer(help="Put someone on call for a while, whatever the rotation.")
feed_commands = typer.Typer(help="Calendar (iCalendar) feed URLs for calendar apps.")
oncall_commands.add_typer(override_commands, name="override")
oncall_commands.add_typer(feed_commands, name="feed")


def parse_time(text: str, option: str, now: datetime) -> datetime:
    """An ISO 8601 time with an offset, `now`, or now plus or minus a duration (+2h, -1d)."""
    value = text.strip()
    if value == "now":
        return now
    relative = _RELATIVE.match(value)
    if relative:
        sign, days, hours, minutes = relative.groups()
        delta = timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0))
        return now - delta if sign == "-" else now + delta
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a time. {TIME_HELP}", param_hint=option
        ) from None
    if moment.tzinfo is None:
        raise typer.BadParameter(
            f"{text!r} has no offset; add one, e.g. {value}+01:00 or {value}Z", param_hint=option
        )
    return moment.astimezone(UTC)


def _wall(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "further notice"
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


def _who_text(who: WhoIsOn) -> list[str]:
    def person(span: OnCall) -> str:
        if span.person is None:
            return "nobody"
        return f"{who.names.get(span.person, span.person)} ({span.person})"

    current = who.current
    lines = [f"{who.schedule} ({who.time_zone})"]
    if current.person is None:
        lines.append(f"  on call: nobody, until {_wall(current.until, who.time_zone)}")
    else:
        since = f" since {_wall(current.since, who.time_zone)}" if current.since else ""
        lines.append(
            f"  on call: {person(current)}{since}, until {_wall(current.until, who.time_zone)}"
        )
    if who.next is not None:
        lines.append(
            f"  next:    {person(who.next)} from {_wall(who.next.since, who.time_zone)}"
            f" until {_wall(who.next.until, who.time_zone)}"
        )
    else:
        lines.append("  next:    nobody within 400 days")
    return lines


@oncall_commands.command("show")
@handled
def show(
    schedule: Annotated[str | None, typer.Argument(help="One schedule; all when left out.")] = None,
    at: Annotated[str | None, typer.Option(help=TIME_HELP)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Who is on call (now, or --at a time), since and until when, and who is next."""
    moment = parse_time(at, "--at", datetime.now(UTC).replace(microsecond=0)) if at else None
    found = common.app().oncall.who(schedule, moment)
    if as_json:
        at_text = iso(found[0].at if found else moment or datetime.now(UTC))
        print_json({"at": at_text, "schedules": [who_json(w) for w in found]})
        return
    if not found:
        out.print("No schedules; add them under schedules: in tocsin.yaml.", markup=False)
    for who in found:
        for line in _who_text(who):
            out.print(line, markup=False)


@oncall_commands.command("check")
@handled
def check(as_json: JsonOpt = False) -> None:
    """People on a schedule nobody can reach and gaps in coverage in the next 30 days;
    exit 1 when there are any."""
    report = common.app().oncall.check()
    if as_json:
        print_json(reachability_json(report))
    else:
        for u in report.unreachable:
            out.print(f"unreachable\t{u.schedule}\t{u.name} ({u.person}): {u.reason}", markup=False)
        for g in report.gaps:
            out.print(f"gap\t{g.schedule}\t{iso(g.start)} to {iso(g.end)}", markup=False)
        if report.ok:
            out.print("[green]✔[/green] everyone on a schedule is reachable; no gaps in 30 days")
    if not report.ok:
        raise typer.Exit(1)


@override_commands.command("add")
@handled
def override_add(
    schedule: str,
    person: str,
    to: Annotated[str, typer.Option("--to", help=TIME_HELP)],
    from_: Annotated[str | None, typer.Option("--from", help=f"Default now. {TIME_HELP}")] = None,
    reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """PERSON is on call for SCHEDULE from --from to --to."""
    now = datetime.now(UTC).replace(microsecond=0)
    starts = parse_time(from_, "--from", now) if from_ else now
    made = common.app().oncall.add_override(
        schedule, person, starts, parse_time(to, "--to", now), actor(as_), reason
    )
    if as_json:
        print_json(override_json(made))
    else:
        out.print(
            f"[green]✔[/green] override {made.id}: {made.person} on call for {made.schedule} "
            f"from {iso(made.starts_at)} to {iso(made.ends_at)}"
        )


@override_commands.command("list")
@handled
def override_list(
    schedule: Annotated[str | None, typer.Argument(help="One schedule; all when left out.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Past overrides too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Overrides that have not ended (all of them with --all), oldest first."""
    found = common.app().oncall.overrides(schedule, all_)
    if as_json:
        print_json([override_json(o) for o in found])
        return
    for o in found:
        why = f"\t{o.reason}" if o.reason else ""
        out.print(
            f"{o.id}\t{o.schedule}\t{o.person}\t{iso(o.starts_at)} to {iso(o.ends_at)}"
            f"\tby {o.created_by}{why}",
            markup=False,
        )


@override_commands.command("remove")
@handled
def override_remove(override_id: int, as_json: JsonOpt = False) -> None:
    removed = common.app().oncall.remove_override(override_id)
    if as_json:
        print_json(override_json(removed))
    else:
        out.print(f"[green]✔[/green] override {removed.id} removed")


def _base_url() -> str:
    """Where calendar apps reach this Tocsin: the server's URL, or TOCSIN_PUBLIC_URL."""
    remote = os.environ.get("TOCSIN_URL", "").strip().rstrip("/").removesuffix("/api/v1")
    return remote or os.environ.get("TOCSIN_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/")


@feed_commands.command("add")
@handled
def feed_add(
    schedule: Annotated[str | None, typer.Argument(help="A schedule's shifts.")] = None,
    person: Annotated[
        str | None, typer.Option(help="Or one person's shifts on every schedule.")
    ] = None,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A secret URL for a calendar app: anyone with it can read those shifts, nothing else."""
    if (schedule is None) == (person is None):
        raise typer.BadParameter(
            "name a SCHEDULE or give --person, not both", param_hint="SCHEDULE"
        )
    target, name = ("schedule", schedule) if schedule else ("person", person)
    feed, secret = common.app().oncall.add_feed(target, name or "", actor(as_))
    url = _base_url() + feed_path(feed, secret)
    if as_json:
        data: dict[str, Any] = {**feed_json(feed), "path": feed_path(feed, secret), "token": secret}
        print_json({**data, "url": url})
    else:
        out.print(f"[green]✔[/green] calendar feed {feed.id} for {feed.target.value} {feed.name}")
        out.print(f"URL (shown once): {url}", markup=False)


@feed_commands.command("list")
@handled
def feed_list(as_json: JsonOpt = False) -> None:
    found = common.app().oncall.feeds()
    if as_json:
        print_json([{**feed_json(f), "path": feed_path(f)} for f in found])
        return
    for f in found:
        out.print(f"{f.id}\t{f.target.value}\t{f.name}\tby {f.created_by}", markup=False)


@feed_commands.command("remove")
@handled
def feed_remove(feed_id: int, as_json: JsonOpt = False) -> None:
    """Revoke a feed: its URL stops working at once."""
    removed = common.app().oncall.remove_feed(feed_id)
    if as_json:
        print_json({**feed_json(removed), "path": feed_path(removed)})
    else:
        out.print(f"[green]✔[/green] calendar feed {removed.id} removed")
