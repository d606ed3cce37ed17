"""Options for scope and impact, shared by declare, scope and impact."""

from __future__ import annotations

from typing import Annotated

import typer

from tocsin.core.scope import ALL_TENANTS, Impact, Scope

ServiceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--service",
        help="Affected service, named as in tocsin.yaml, e.g. payments-api (repeatable).",
    ),
]
TenantOpt = Annotated[
    list[str] | None, typer.Option("--tenant", help="Affected tenant (repeatable).")
]
AllTenantsOpt = Annotated[bool, typer.Option("--all-tenants", help="Every tenant is affected.")]
EndpointOpt = Annotated[
    list[str] | None, typer.Option("--endpoint", help="Affected endpoint (repeatable).")
]
SummaryOpt = Annotated[
    str | None, typer.Option("--impact", help="Who or what is affected, in a sentence.")
]
CustomerOpt = Annotated[
    bool | None,
    typer.Option("--customer-impact/--no-customer-impact", help="Are customers affected?"),
]
UsersOpt = Annotated[
    str | None, typer.Option("--users-affected", help="A count, or e.g. 'all tenants'.")
]
DataLossOpt = Annotated[
    str | None,
    typer.Option("--data-loss", help="What was lost; 'none' if nothing, 'unknown' if not known."),
]


def scope_from(
    base: Scope,
    services: list[str] | None,
    tenants: list[str] | None,
    all_tenants: bool,
    endpoints: list[str] | None,
) -> Scope:
    if all_tenants and tenants:
        raise typer.BadParameter("give --tenant or --all-tenants, not both", param_hint="--tenant")
    return base.merged(services, ALL_TENANTS if all_tenants else tenants or None, endpoints)


def impact_from(
    base: Impact,
    summary: str | None,
    customer_impact: bool | None,
    users_affected: str | None,
    data_loss: str | None,
) -> Impact:
    return base.merged(summary, customer_impact, users_affected, data_loss)
