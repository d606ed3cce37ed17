"""Options for scope and impact, shared by declare, scope and impact."""

from __future__ import annotations

from typing import Annotated

import typer

from tocsin.core.scope import ALL_TENANTS, Impact, Scope

ServiceOpt = Annotated[
    list[str] | None, typer.Option("--service", help="Affected service (repeatable).")
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
DataLossOpt = Annotated[str | None, typer.Option("--data-loss", help="'none', or what was lost.")]


def scope_from(
    base: Scope,
    services: list[str] | None,
    tenants: list[str] | None,
    all_tenants: bool,
    endpoints: list[str] | None,
) -> Scope:
    if all_tenants and tenants:
        raise typer.BadParameter("give --tenant or --all-tenants, not both", param_hint="--tenant")
    return Scope(
        services=tuple(services) if services is not None else base.services,
        tenants=ALL_TENANTS if all_tenants else (tuple(tenants) if tenants else base.tenants),
        endpoints=tuple(endpoints) if endpoints is not None else base.endpoints,
    )


def impact_from(
    base: Impact,
    summary: str | None,
    customer_impact: bool | None,
    users_affected: str | None,
    data_loss: str | None,
) -> Impact:
    loss = base.data_loss if data_loss is None else data_loss.strip()
    return Impact(
        summary=base.summary if summary is None else summary.strip(),
        customer_impact=base.customer_impact if customer_impact is None else customer_impact,
        users_affected=base.users_affected if users_affected is None else users_affected.strip(),
        data_loss=None if loss in (None, "", "none") else loss,
    )
