"""Commands that act on incidents: declare through close."""

from __future__ import annotations

from typing import Annotated

import typer

from tocsin.app.incidents import Outcome
from tocsin.app.views import incident_json
from tocsin.cli import render
from tocsin.cli.common import ActorOpt, IdArg, JsonOpt, actor, app, handled, print_json
from tocsin.cli.scope_options import (
    AllTenantsOpt,
    CustomerOpt,
    DataLossOpt,
    EndpointOpt,
    ServiceOpt,
    SummaryOpt,
    TenantOpt,
    UsersOpt,
    impact_from,
    scope_from,
)
from tocsin.core.scope import Impact, Scope

commands = typer.Typer()


def report(result: Outcome, done: str, as_json: bool) -> None:
    if as_json:
        data = incident_json(result.incident)
        data["message"] = result.message
        print_json(data)
    else:
        render.outcome(result, done)


@commands.command()
@handled
def declare(
    title: Annotated[str, typer.Argument(help="Brief description, e.g. 'API returning 500s'.")],
    severity: Annotated[
        str | None, typer.Option("--severity", "-s", help="Severity key from tocsin.yaml.")
    ] = None,
    service: ServiceOpt = None,
    tenant: TenantOpt = None,
    all_tenants: AllTenantsOpt = False,
    endpoint: EndpointOpt = None,
    summary: SummaryOpt = None,
    customer_impact: CustomerOpt = None,
    users_affected: UsersOpt = None,
    data_loss: DataLossOpt = None,
    label: Annotated[list[str] | None, typer.Option("--label", "-l", help="Repeatable.")] = None,
    commander: Annotated[str | None, typer.Option(help="Incident commander's handle.")] = None,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Declare an incident and print the announcement, ready to paste."""
    result = app().incidents.declare(
        actor(as_),
        title,
        severity,
        scope_from(Scope(), service, tenant, all_tenants, endpoint),
        impact_from(Impact(), summary, customer_impact, users_affected, data_loss),
        label or (),
        commander,
    )
    report(result, f"declared ({result.incident.severity})", as_json)


@commands.command("acknowledge", hidden=True)
@commands.command("ack")
@handled
def acknowledge(incident: IdArg, as_: ActorOpt = None, as_json: JsonOpt = False) -> None:
    """Acknowledge an incident: you are on it."""
    result = app().incidents.acknowledge(incident, actor(as_))
    report(result, f"acknowledged by {result.incident.acknowledged_by}", as_json)


@commands.command()
@handled
def update(
    incident: IdArg,
    text: Annotated[str, typer.Argument(help="What is known now, what is being done.")],
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Post a status update and print it, ready to paste."""
    report(app().incidents.post_update(incident, actor(as_), text), "update recorded", as_json)


@commands.command()
@handled
def severity(
    incident: IdArg,
    key: Annotated[str, typer.Argument(help="New severity key.")],
    reason: Annotated[str, typer.Option(help="Why it changed.")] = "",
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Raise or lower an incident's severity."""
    result = app().incidents.change_severity(incident, actor(as_), key, reason)
    report(result, f"is now {result.incident.severity}", as_json)


@commands.command()
@handled
def assign(
    incident: IdArg,
    role: Annotated[str, typer.Argument(help="commander, comms or scribe.")],
    person: Annotated[str, typer.Argument(help="A handle, or - to unassign.")],
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a role (commander, comms, scribe) to a person."""
    who = None if person == "-" else person
    result = app().incidents.assign(incident, actor(as_), role, who)
    report(result, f"{role} → {who or 'unassigned'}", as_json)


@commands.command()
@handled
def scope(
    incident: IdArg,
    service: ServiceOpt = None,
    tenant: TenantOpt = None,
    all_tenants: AllTenantsOpt = False,
    endpoint: EndpointOpt = None,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set what is affected; parts you leave out keep their value."""
    service_ = app().incidents
    current = service_.get(incident)
    new = scope_from(current.scope, service, tenant, all_tenants, endpoint)
    result = service_.change_scope(incident, actor(as_), new, version=current.version)
    report(result, "scope changed", as_json)


@commands.command()
@handled
def impact(
    incident: IdArg,
    summary: SummaryOpt = None,
    customer_impact: CustomerOpt = None,
    users_affected: UsersOpt = None,
    data_loss: DataLossOpt = None,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the impact; parts you leave out keep their value."""
    service_ = app().incidents
    current = service_.get(incident)
    new = impact_from(current.impact, summary, customer_impact, users_affected, data_loss)
    result = service_.change_impact(incident, actor(as_), new, version=current.version)
    report(result, "impact recorded", as_json)


@commands.command()
@handled
def label(
    incident: IdArg,
    add: Annotated[list[str] | None, typer.Option("--add", help="Repeatable.")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Repeatable.")] = None,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add or remove labels."""
    result = app().incidents.relabel(incident, actor(as_), add or (), remove or ())
    report(result, "labels: " + (", ".join(result.incident.labels) or "none"), as_json)


@commands.command()
@handled
def mitigate(
    incident: IdArg,
    action: Annotated[str, typer.Argument(help="What was done, e.g. 'rolled back to v41'.")],
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the mitigation and print the 'Mitigated by' message."""
    report(app().incidents.mitigate(incident, actor(as_), action), "mitigated", as_json)


@commands.command()
@handled
def resolve(
    incident: IdArg,
    root_cause: Annotated[str | None, typer.Option(help="What actually broke and why.")] = None,
    fix: Annotated[str | None, typer.Option(help="What change resolved it.")] = None,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolve an incident and print the RESOLVED message."""
    result = app().incidents.resolve(incident, actor(as_), root_cause, fix)
    report(result, "resolved", as_json)


@commands.command()
@handled
def reopen(
    incident: IdArg,
    reason: Annotated[str, typer.Option(help="Why it is back.")] = "",
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reopen a resolved or closed incident."""
    report(app().incidents.reopen(incident, actor(as_), reason), "reopened", as_json)


@commands.command()
@handled
def close(incident: IdArg, as_: ActorOpt = None, as_json: JsonOpt = False) -> None:
    """Close a resolved incident: nothing more to do."""
    report(app().incidents.close(incident, actor(as_)), "closed", as_json)


@commands.command()
@handled
def note(
    incident: IdArg,
    text: Annotated[str, typer.Argument(help="Anything worth keeping on the timeline.")],
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a note to the timeline."""
    report(app().incidents.note(incident, actor(as_), text), "note added", as_json)
