"""Integrations, alerts, silences and maintenance windows: `tocsin integration|alert|…`."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.text import Text

from tocsin.app.alert_admin import check_source
from tocsin.app.alert_records import Integration, Suggestion
from tocsin.app.ports import AlertFilter
from tocsin.app.views import (
    alert_json,
    dismissal_json,
    silence_json,
    suggestion_json,
    window_json,
)
from tocsin.bootstrap import Tocsin
from tocsin.cli import common
from tocsin.cli.common import ActorOpt, JsonOpt, actor, handled, out, print_json
from tocsin.cli.incidents import report
from tocsin.config.changes import add_integration
from tocsin.config.editing import edit_config
from tocsin.core.alert_rules import clean
from tocsin.core.alerts import AlertStatus
from tocsin.core.errors import InvalidInput
from tocsin.core.timeline import iso

integration_commands = typer.Typer(help="Monitoring systems that send alerts to Tocsin.")
alert_commands = typer.Typer(
    help="Alerts received, firing or resolved, suppressed or not; suggested incidents."
)
silence_commands = typer.Typer(help="Silences: keep matching alerts but do not page.")
maintenance_commands = typer.Typer(help="Maintenance windows: a service pages no one.")

RefArg = Annotated[
    str,
    typer.Argument(
        metavar="GROUP|ALERT",
        help="An alert group's key (32 hex characters) or an alert's id, "
        "as `tocsin alert suggestions` and `tocsin alert list --json` show them.",
        show_default=False,
    ),
]
_DURATION = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
PATHS = {
    "alertmanager": "/ingest/alertmanager/{key}",
    "pagerduty": "/v2/enqueue  (routing_key: {key})",
    "cloudwatch": "/ingest/cloudwatch/{key}",
    "grafana": "/ingest/grafana/{key}",
    "generic": "/ingest/generic/{key}",
}


def local_app() -> Tocsin:
    """`integration add` and `rotate` edit tocsin.yaml, which lives on the server host: with
    TOCSIN_URL set they refuse rather than change a file other than the server's."""
    if os.environ.get("TOCSIN_URL"):
        raise InvalidInput(
            "integration add and rotate edit the server's tocsin.yaml: run them on the "
            "server host, without TOCSIN_URL"
        )
    return common.local_app()


def public_url() -> str:
    return os.environ.get("TOCSIN_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/")


def integration_json(i: Integration) -> dict[str, Any]:
    return {
        "name": i.name,
        "source": i.source,
        "url": public_url() + PATHS[i.source].format(key=i.key),
        "key": i.key,
        "created_at": iso(i.created_at),
        "rotated_at": iso(i.rotated_at),
    }


@integration_commands.command("add")
@handled
def integration_add(
    name: str,
    source: Annotated[
        str, typer.Option(help="alertmanager, pagerduty, cloudwatch, grafana, generic")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Declare an integration in tocsin.yaml and generate its key (kept in the database)."""
    tocsin = local_app()
    check_source(source)
    if tocsin.config.integration(name) is None:
        edit_config(tocsin.config_path, add_integration(name, source))
    made = tocsin.alert_admin.add_integration(name, source)
    _show_integration(made, as_json)


@integration_commands.command("list")
@handled
def integration_list(as_json: JsonOpt = False) -> None:
    """Each integration with the URL and key its sender needs."""
    found = common.app().alert_admin.integrations()
    if as_json:
        print_json([integration_json(i) for i in found])
        return
    for i in found:
        out.print(f"{i.name}\t{i.source}\t{integration_json(i)['url']}", markup=False)


@integration_commands.command("rotate")
@handled
def integration_rotate(name: str, as_json: JsonOpt = False) -> None:
    """Give an integration a new key; the old one stops working at once."""
    _show_integration(local_app().alert_admin.rotate_key(name), as_json)


def _show_integration(i: Integration, as_json: bool) -> None:
    if as_json:
        print_json(integration_json(i))
        return
    out.print(f"[green]✔[/green] {i.name} ({i.source})")
    out.print(f"URL: {integration_json(i)['url']}", markup=False)


@alert_commands.command("list")
@handled
def alert_list(
    status: Annotated[str | None, typer.Option(help="firing or resolved")] = None,
    service: str | None = None,
    integration: str | None = None,
    suppressed: Annotated[bool | None, typer.Option("--suppressed/--paging")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Alerts, most recent first."""
    state = None
    if status is not None:
        try:
            state = AlertStatus(status)
        except ValueError:
            raise InvalidInput(f"status {status!r}; use firing or resolved") from None
    query = AlertFilter(state, service, integration, None, suppressed, limit)
    page = common.app().alert_admin.alerts(query)
    if as_json:
        print_json({"items": [alert_json(a) for a in page.items], "total": page.total})
        return
    for a in page.items:
        flag = f" [{a.suppressed_by}]" if a.suppressed_by else ""
        line = f"{a.status.value}\t{a.severity}\t{a.service}\t×{a.count}\t{a.summary}{flag}"
        out.print(clean(line), markup=False)  # stored before vetting: never raw escapes
    out.print(f"{len(page.items)} of {page.total}", style="dim")


@alert_commands.command("suggestions")
@handled
def alert_suggestions(
    dismissed: Annotated[
        bool, typer.Option("--dismissed", help="The dismissed ones, with who and when.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Suggested incidents, the worst first: firing alert groups a route leaves to a person.
    Declare one with `tocsin alert declare GROUP`, or dismiss it."""
    page = common.app().suggestions.list(dismissed, limit)
    if as_json:
        print_json({"items": [suggestion_json(s) for s in page.items], "total": page.total})
        return
    for s in page.items:
        out.print(clean(suggestion_line(s)), markup=False)  # alert text: never raw escapes
    out.print(f"{len(page.items)} of {page.total}", style="dim")


def suggestion_line(s: Suggestion) -> str:
    g = s.group
    counts = f"{g.alerts} alert{'' if g.alerts == 1 else 's'}, {g.firing} firing"
    line = (
        f"{g.group_key}\t{s.worst.severity}\t{g.service}\t{counts} since "
        f"{iso(g.firing_since or g.first_at)}\t{s.worst.summary}"
    )
    if g.dismissed_at is not None:
        line += f"\tdismissed by {g.dismissed_by} at {iso(g.dismissed_at)}"
    return line


@alert_commands.command("declare")
@handled
def alert_declare(
    ref: RefArg,
    title: Annotated[
        str | None, typer.Option(help="Default: the summary of the group's worst alert.")
    ] = None,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Declare an incident for an alert group (or an alert's group), its alerts linked;
    print the announcement."""
    result = common.app().suggestions.declare(ref, actor(as_), title)
    report(result, f"declared ({result.incident.severity})", as_json)


@alert_commands.command("dismiss")
@handled
def alert_dismiss(ref: RefArg, as_: ActorOpt = None, as_json: JsonOpt = False) -> None:
    """Stop suggesting an alert group until it fires again after all its alerts resolved."""
    done = common.app().suggestions.dismiss(ref, actor(as_))
    if as_json:
        print_json(dismissal_json(done))
    else:
        said = f" alert group {done.group_key} ({done.service}) dismissed by {done.dismissed_by}"
        out.print(Text.assemble(("✔", "green"), said))  # names people typed: never markup


def moment(text: str, option: str) -> datetime:
    """An ISO time given on the command line (UTC unless it says otherwise)."""
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{option}: {text!r} is not an ISO time, e.g. 2026-11-22T18:00Z"
        ) from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def ends(duration: str | None, until: str | None) -> datetime:
    if until:
        return moment(until, "--until")
    match = _DURATION.match(duration or "")
    if not match:
        raise InvalidInput("give --duration like 30m, 2h or 1d, or --until 2026-11-22T18:00Z")
    return datetime.now(UTC) + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@silence_commands.command("add")
@handled
def silence_add(
    match: Annotated[list[str], typer.Option("--match", help="name=value, name=~regex …")],
    comment: Annotated[str, typer.Option(help="Why.")],
    duration: Annotated[str | None, typer.Option(help="30m, 2h, 1d")] = None,
    until: Annotated[str | None, typer.Option(help="ISO time")] = None,
    as_: Annotated[str | None, typer.Option("--as")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Silence alerts matching every matcher until the end time."""
    silence = common.app().alert_admin.silence(
        match, None, ends(duration, until), actor(as_), comment
    )
    if as_json:
        print_json(silence_json(silence))
    else:
        out.print(f"[green]✔[/green] silence {silence.id} until {iso(silence.ends_at)}")


@silence_commands.command("list")
@handled
def silence_list(
    all_: Annotated[bool, typer.Option("--all")] = False, as_json: JsonOpt = False
) -> None:
    found = common.app().alert_admin.silences(all_)
    if as_json:
        print_json([silence_json(s) for s in found])
        return
    for s in found:
        out.print(
            f"{s.id}\t{', '.join(map(str, s.matchers))}\tuntil {iso(s.ends_at)}\t{s.comment}",
            markup=False,
        )


@silence_commands.command("expire")
@handled
def silence_expire(
    silence_id: int,
    as_: Annotated[str | None, typer.Option("--as")] = None,
    as_json: JsonOpt = False,
) -> None:
    """End a silence now (recorded in the audit log)."""
    common.app().alert_admin.expire_silence(silence_id, actor(as_))
    if as_json:
        print_json({"id": silence_id, "expired": True})
    else:
        out.print(f"[green]✔[/green] silence {silence_id} expired")


@maintenance_commands.command("add")
@handled
def maintenance_add(
    service: str,
    comment: Annotated[str, typer.Option(help="What is being done.")],
    duration: Annotated[str | None, typer.Option(help="30m, 2h, 1d")] = None,
    until: Annotated[str | None, typer.Option(help="ISO time")] = None,
    as_: Annotated[str | None, typer.Option("--as")] = None,
    as_json: JsonOpt = False,
) -> None:
    """No paging for a service's alerts until the end time (alerts are still kept)."""
    window = common.app().alert_admin.maintenance(
        service, None, ends(duration, until), actor(as_), comment
    )
    if as_json:
        print_json(window_json(window))
    else:
        out.print(
            f"[green]✔[/green] maintenance {window.id} for {window.service} "
            f"until {iso(window.ends_at)}"
        )


@maintenance_commands.command("list")
@handled
def maintenance_list(
    all_: Annotated[bool, typer.Option("--all")] = False, as_json: JsonOpt = False
) -> None:
    found = common.app().alert_admin.windows(all_)
    if as_json:
        print_json([window_json(w) for w in found])
        return
    for w in found:
        out.print(f"{w.id}\t{w.service}\tuntil {iso(w.ends_at)}\t{w.comment}", markup=False)


@maintenance_commands.command("end")
@handled
def maintenance_end(
    window_id: int,
    as_: Annotated[str | None, typer.Option("--as")] = None,
    as_json: JsonOpt = False,
) -> None:
    """End a maintenance window now (one not started yet is cancelled)."""
    window = common.app().alert_admin.end_maintenance(window_id, actor(as_))
    if as_json:
        print_json(window_json(window))
    else:
        out.print(f"[green]✔[/green] maintenance {window.id} for {window.service} ended")


@maintenance_commands.command("edit")
@handled
def maintenance_edit(
    window_id: int,
    duration: Annotated[str | None, typer.Option(help="A new end, from now: 30m, 2h, 1d")] = None,
    until: Annotated[str | None, typer.Option(help="A new end: ISO time")] = None,
    starts: Annotated[str | None, typer.Option(help="A new start: ISO time")] = None,
    comment: Annotated[str | None, typer.Option(help="A new comment.")] = None,
    as_: Annotated[str | None, typer.Option("--as")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a window that has not ended: its end, start or comment. Refused whole if any
    part is wrong, or if it would overlap another window of the service."""
    new_end = ends(duration, until) if duration or until else None
    new_start = moment(starts, "--starts") if starts else None
    if new_end is None and new_start is None and comment is None:
        raise InvalidInput("give --duration, --until, --starts or --comment: what to change")
    window = common.app().alert_admin.edit_maintenance(
        window_id, actor(as_), new_start, new_end, comment
    )
    if as_json:
        print_json(window_json(window))
    else:
        out.print(
            f"[green]✔[/green] maintenance {window.id} for {window.service} "
            f"from {iso(window.starts_at)} until {iso(window.ends_at)}"
        )
