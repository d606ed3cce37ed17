"""Value objects describing an incident: its scope, its impact and who holds which role."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from tocsin.core import rules
from tocsin.core.errors import InvalidInput

ALL_TENANTS: Literal["all"] = "all"
NO_DATA_LOSS = "none"
UNKNOWN = "unknown"


class Role(StrEnum):
    COMMANDER = "commander"
    COMMS = "comms"
    SCRIBE = "scribe"

    @classmethod
    def parse(cls, text: str) -> Role:
        aliases = {"ic": "commander", "comms-lead": "comms", "comms_lead": "comms"}
        value = aliases.get(text.strip().lower(), text.strip().lower())
        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(r.value for r in cls)
            raise InvalidInput(f"unknown role {text!r}; valid roles: {valid}") from None


@dataclass(frozen=True, slots=True)
class Scope:
    """What is affected: services, tenants (a list, or every tenant) and endpoints."""

    services: tuple[str, ...] = ()
    tenants: tuple[str, ...] | Literal["all"] = ()
    endpoints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "services", rules.services(self.services))
        set_(self, "endpoints", rules.names(self.endpoints, "endpoint"))
        if self.tenants != ALL_TENANTS:
            set_(self, "tenants", rules.names(self.tenants, "tenant"))

    @classmethod
    def _stored(
        cls,
        services: tuple[str, ...],
        tenants: tuple[str, ...] | Literal["all"],
        endpoints: tuple[str, ...],
    ) -> Scope:
        """A scope as it was stored, not checked again: rules tighten, and an incident
        written under older rules must still load (and keep the parts nobody changes)."""
        scope = object.__new__(cls)
        for name, value in (("services", services), ("tenants", tenants), ("endpoints", endpoints)):
            object.__setattr__(scope, name, value)
        return scope

    @property
    def all_tenants(self) -> bool:
        return self.tenants == ALL_TENANTS

    def merged(
        self,
        services: Iterable[str] | None = None,
        tenants: Iterable[str] | Literal["all"] | None = None,
        endpoints: Iterable[str] | None = None,
    ) -> Scope:
        """This scope with the parts given replaced; parts left out (None) keep their value."""
        given = Scope(
            services=tuple(services or ()),
            tenants=ALL_TENANTS if tenants == ALL_TENANTS else tuple(tenants or ()),
            endpoints=tuple(endpoints or ()),
        )
        return Scope._stored(
            self.services if services is None else given.services,
            self.tenants if tenants is None else given.tenants,
            self.endpoints if endpoints is None else given.endpoints,
        )

    def describe(self) -> str:
        tenants = "all" if self.all_tenants else ", ".join(self.tenants) or "—"
        return (
            f"services {', '.join(self.services) or '—'}; tenants {tenants}; "
            f"endpoints {', '.join(self.endpoints) or '—'}"
        )

    def to_dict(self) -> dict[str, Any]:
        tenants = ALL_TENANTS if self.all_tenants else list(self.tenants)
        return {
            "services": list(self.services),
            "tenants": tenants,
            "endpoints": list(self.endpoints),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scope:
        tenants = data.get("tenants", [])
        return cls._stored(
            tuple(data.get("services", [])),
            ALL_TENANTS if tenants == ALL_TENANTS else tuple(tenants),
            tuple(data.get("endpoints", [])),
        )


@dataclass(frozen=True, slots=True)
class Impact:
    """Who or what is affected. `data_loss` is None while unknown, "none" when nothing was
    lost, else what was lost."""

    summary: str = ""
    customer_impact: bool | None = None
    users_affected: str | None = None
    data_loss: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "summary", rules.optional_text(self.summary, "impact summary", 1000) or "")
        users = rules.optional_text(self.users_affected, "users affected", 200)
        set_(self, "users_affected", users and rules.line(users, "users affected"))
        loss = rules.optional_text(self.data_loss, "data loss", 1000)
        set_(self, "data_loss", NO_DATA_LOSS if loss and loss.casefold() == NO_DATA_LOSS else loss)

    def merged(
        self,
        summary: str | None = None,
        customer_impact: bool | None = None,
        users_affected: str | None = None,
        data_loss: str | None = None,
    ) -> Impact:
        """This impact with the parts given replaced. `data_loss`: "none" when nothing was
        lost, "" or "unknown" when it is not known, else what was lost."""
        loss = self.data_loss if data_loss is None else data_loss.strip()
        return Impact(
            summary=self.summary if summary is None else summary,
            customer_impact=self.customer_impact if customer_impact is None else customer_impact,
            users_affected=self.users_affected if users_affected is None else users_affected,
            data_loss=None if loss is None or loss.casefold() == UNKNOWN else loss,
        )

    def describe(self) -> str:
        customers = {None: "unknown", True: "yes", False: "no"}[self.customer_impact]
        return (
            f"{self.summary or '—'} (customer impact {customers}; users affected "
            f"{self.users_affected or UNKNOWN}; data loss {self.data_loss or UNKNOWN})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "customer_impact": self.customer_impact,
            "users_affected": self.users_affected,
            "data_loss": self.data_loss,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Impact:
        """As stored, not checked again (see `Scope._stored`)."""
        impact = object.__new__(cls)
        for name in ("customer_impact", "users_affected", "data_loss"):
            object.__setattr__(impact, name, data.get(name))
        object.__setattr__(impact, "summary", data.get("summary", ""))
        return impact
