"""Value objects describing an incident: its scope, its impact and who holds which role."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from tocsin.core import rules
from tocsin.core.errors import InvalidInput

ALL_TENANTS: Literal["all"] = "all"


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
        set_(self, "services", rules.short_texts(self.services, "service"))
        set_(self, "endpoints", rules.short_texts(self.endpoints, "endpoint"))
        if self.tenants != ALL_TENANTS:
            set_(self, "tenants", rules.short_texts(self.tenants, "tenant"))

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
        if tenants is None:
            new_tenants: tuple[str, ...] | Literal["all"] = self.tenants
        else:
            new_tenants = ALL_TENANTS if tenants == ALL_TENANTS else tuple(tenants)
        return Scope(
            services=self.services if services is None else tuple(services),
            tenants=new_tenants,
            endpoints=self.endpoints if endpoints is None else tuple(endpoints),
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
        return cls(
            services=tuple(data.get("services", [])),
            tenants=ALL_TENANTS if tenants == ALL_TENANTS else tuple(tenants),
            endpoints=tuple(data.get("endpoints", [])),
        )


@dataclass(frozen=True, slots=True)
class Impact:
    """Who or what is affected. `data_loss` None means none."""

    summary: str = ""
    customer_impact: bool | None = None
    users_affected: str | None = None
    data_loss: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "summary", rules.optional_text(self.summary, "impact summary", 1000) or "")
        set_(
            self, "users_affected", rules.optional_text(self.users_affected, "users affected", 200)
        )
        set_(self, "data_loss", rules.optional_text(self.data_loss, "data loss", 1000))

    def merged(
        self,
        summary: str | None = None,
        customer_impact: bool | None = None,
        users_affected: str | None = None,
        data_loss: str | None = None,
    ) -> Impact:
        """This impact with the parts given replaced; `data_loss="none"` clears it."""
        loss = self.data_loss if data_loss is None else data_loss.strip()
        return Impact(
            summary=self.summary if summary is None else summary,
            customer_impact=self.customer_impact if customer_impact is None else customer_impact,
            users_affected=self.users_affected if users_affected is None else users_affected,
            data_loss=None if loss is None or loss.lower() in ("", "none") else loss,
        )

    def describe(self) -> str:
        customers = {None: "unknown", True: "yes", False: "no"}[self.customer_impact]
        return (
            f"{self.summary or '—'} (customer impact {customers}; users affected "
            f"{self.users_affected or 'unknown'}; data loss {self.data_loss or 'none'})"
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
        return cls(
            summary=data.get("summary", ""),
            customer_impact=data.get("customer_impact"),
            users_affected=data.get("users_affected"),
            data_loss=data.get("data_loss"),
        )
