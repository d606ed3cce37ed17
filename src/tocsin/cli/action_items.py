"""`tocsin actions add|list|set|done|export|sync`: action items after an incident, exported to
GitHub Issues or Jira. (Not `tocsin action`, singular: that runs typed AWS actions.)

With TOCSIN_URL set they act on that server (`sync` excepted: it runs where the trackers'
tokens are); otherwise on the local database. Exports are jobs, carried out by `tocsin
worker` or `tocsin serve`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.markup import escape

from tocsin.app.action_items import Changes
from tocsin.bootstrap import Tocsin
from tocsin.cli.common import (
    ActorOpt,
    IdArg,
    JsonOpt,
    actor,
    app,
    handled,
    local_app,
    out,
    print_json,
)
from tocsin.cli.remote import Remote
from tocsin.core import action_items as rules
from tocsin.core.action_items import ActionItem, Draft
from tocsin.core.errors import InvalidInput

action_items_commands = typer.Typer(
    help="Action items after an incident (owner, deadline, priority, status), exported to "
    "GitHub Issues or Jira and synced back. For typed AWS actions see `tocsin action`.",
    no_args_is_help=True,
)

ItemArg = Annotated[str, typer.Argument(help="Action item id, e.g. AI-12.", show_default=False)]
Owner = Annotated[str | None, typer.Option(help="The owner's handle, e.g. alice.")]
Deadline = Annotated[str | None, typer.Option(help="YYYY-MM-DD.")]
PriorityOpt = Annotated[
    str | None, typer.Option(help="P1..P4 (or urgent, high, medium, low); default P3.")
]
Labels = Annotated[
    list[str] | None, typer.Option("--label", help="A label besides `incident`; repeatable.")
]
CategoryOpt = Annotated[
    str | None,
    typer.Option(
        help="update-runbooks, add-monitoring, fix-root-cause, improve-testing, "
        "update-documentation or none."
    ),
]
RunbookOpt = Annotated[
    str | None,
    typer.Option(help="The runbook an update-runbooks item is about (its name or file)."),
]


@action_items_commands.command("add")
@handled
def add(
    incident: IdArg,
    title: Annotated[str, typer.Argument(help="What will be done.", show_default=False)],
    owner: Annotated[str, typer.Option(help="The owner's handle, e.g. alice.")],
    deadline: Deadline = None,
    priority: PriorityOpt = None,
    label: Labels = None,
    category: CategoryOpt = None,
    runbook: RunbookOpt = None,
    postmortem: Annotated[str | None, typer.Option(help="The post-mortem it came from.")] = None,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add an action item to an incident.

    An update-runbooks item links the runbook file of the incident's service."""
    tocsin = app()
    draft = Draft(title, owner, deadline, priority, tuple(label or ()), category, runbook,
                  postmortem)  # fmt: skip
    item = tocsin.action_items.add(incident, draft, actor(as_))
    _show(tocsin, item, as_json, "added")


@action_items_commands.command("list")
@handled
def list_(
    incident: Annotated[str | None, typer.Option(help="Only this incident's, e.g. INC-7.")] = None,
    owner: Owner = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only those past their deadline and not done.")
    ] = False,
    status: Annotated[str | None, typer.Option(help="open, in_progress, done or wont_do.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Action items by deadline, with where each is exported and how that went."""
    tocsin = app()
    statuses = (rules.status(status),) if status else ()
    found = tocsin.action_items.list(incident, owner, overdue, statuses)
    today = tocsin.action_items.today()
    if as_json:
        print_json({"items": [i.to_dict(today) for i in found]})
        return
    if not found:
        out.print("No overdue action items." if overdue else "No action items.")
    for item in found:
        out.print(_line(item, today), markup=False)


@action_items_commands.command("set")
@handled
def set_(
    item: ItemArg,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    owner: Owner = None,
    deadline: Annotated[str | None, typer.Option(help="YYYY-MM-DD; '' clears it.")] = None,
    priority: PriorityOpt = None,
    label: Labels = None,
    category: CategoryOpt = None,
    runbook: RunbookOpt = None,
    status: Annotated[str | None, typer.Option(help="open, in_progress, done or wont_do.")] = None,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an action item; one exported before is exported again."""
    tocsin = app()
    labels = None if label is None else tuple(label)
    changes = Changes(title, owner, deadline, priority, labels, category, runbook, status)
    _show(tocsin, tocsin.action_items.edit(item, changes, actor(as_)), as_json, "changed")


@action_items_commands.command("done")
@handled
def done(item: ItemArg, as_: ActorOpt = None, as_json: JsonOpt = False) -> None:
    """Mark an action item done."""
    tocsin = app()
    _show(tocsin, tocsin.action_items.set_status(item, "done", actor(as_)), as_json, "done")


@action_items_commands.command("export")
@handled
def export(
    items: Annotated[
        list[str] | None, typer.Argument(help="Action item ids, e.g. AI-3 AI-4.")
    ] = None,
    incident: Annotated[
        str | None, typer.Option(help="Every item of this incident instead, e.g. INC-7.")
    ] = None,
    to: Annotated[
        str | None, typer.Option(help="github or jira (default: trackers.default).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Queue an export to GitHub or Jira: the first creates the issue, later ones update it.

    The worker (`tocsin worker` or `tocsin serve`) carries it out and retries it."""
    done = app().exports.export(list(items or []), to, incident)
    if as_json:
        print_json({"queued": [{"item": s.item.ref, "tracker": s.tracker.value, "new": s.new}
                               for s in done]})  # fmt: skip
        return
    for s in done:
        what = "queued" if s.new else "already queued (or done) for this revision"
        out.print(f"{s.item.ref} → {s.tracker.value}: {what}", markup=False)


@action_items_commands.command("sync")
@handled
def sync(as_json: JsonOpt = False) -> None:
    """Read each open exported item's status back from its tracker now.

    The worker also does it every trackers.sync_every."""
    if isinstance(app(), Remote):
        raise InvalidInput("`tocsin actions sync` talks to the trackers: run it on the server's "
                           "host (its worker also syncs every trackers.sync_every)")  # fmt: skip
    result = local_app().exports.sync()
    if as_json:
        print_json({"checked": result.checked, "changed": [i.to_dict() for i in result.changed],
                    "errors": result.errors})  # fmt: skip
        return
    out.print(f"Checked {result.checked}; changed {len(result.changed)}.")
    for item in result.changed:
        out.print(f"{item.ref} is now {item.status.value}", markup=False)
    for error in result.errors:
        out.print(f"[red]error:[/red] {escape(error)}")


def _show(tocsin: Tocsin | Remote, item: ActionItem, as_json: bool, what: str) -> None:
    if as_json:
        print_json(item.to_dict(tocsin.action_items.today()))
        return
    out.print(f"[green]✔[/green] {item.ref} {what}: {escape(item.title)}")
    if item.runbook:
        out.print(f"  runbook: {escape(item.runbook)}")


def _line(item: ActionItem, today: date) -> str:
    due = item.deadline.isoformat() if item.deadline else "no deadline"
    late = " OVERDUE" if item.overdue(today) else ""
    parts = [item.ref, f"INC-{item.incident}", item.status.value, item.priority.value,
             f"{due}{late}", f"@{item.owner}", item.title]  # fmt: skip
    for e in item.exports:
        where = f"{e.tracker.value}: {e.state}" + (f" {e.external_id}" if e.external_id else "")
        parts.append(f"[{where}{': ' + e.last_error if e.last_error else ''}]")
    return "  ".join(parts)
