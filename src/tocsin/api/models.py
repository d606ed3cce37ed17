"""Response bodies, so the OpenAPI schema says what comes back (clients, schemathesis).

The routers still build plain dicts (app/views.py, shared with the CLI's --json); FastAPI
checks them against these models (tests/api/test_models.py: nothing changes on the way).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

Role = Literal["viewer", "responder", "admin"]
IncidentStatus = Literal["investigating", "mitigated", "resolved", "closed"]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScopeOut(Out):
    services: list[str]
    tenants: list[str] | Literal["all"]
    endpoints: list[str]


class ImpactOut(Out):
    summary: str
    customer_impact: bool | None
    users_affected: str | None
    data_loss: str | None


class EntryOut(Out):
    seq: int
    kind: str
    at: AwareDatetime
    actor: str
    text: str
    data: dict[str, Any]


class IncidentOut(Out):
    id: str
    number: int
    title: str
    severity: str
    status: IncidentStatus
    declared_at: AwareDatetime
    declared_by: str
    acknowledged_at: AwareDatetime | None
    acknowledged_by: str | None
    mitigated_at: AwareDatetime | None
    mitigation: str | None
    resolved_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    updated_at: AwareDatetime
    roles: dict[str, str]
    scope: ScopeOut
    impact: ImpactOut
    root_cause: str | None
    fix: str | None
    labels: list[str]
    postmortem_due: AwareDatetime | None
    last_update_at: AwareDatetime | None
    version: int


class IncidentDetail(IncidentOut):
    timeline: list[EntryOut]


class Outcome(IncidentOut):
    message: str | None


class IncidentPage(Out):
    items: list[IncidentOut]
    total: int
    limit: int
    offset: int


class Me(Out):
    name: str
    role: Role
    kind: str
    user: str | None  # the person behind a session or a token; None for a token of nobody's


class SeverityOut(Out):
    key: str
    label: str
    emoji: str
    title: str


class Severities(Out):
    default: str | None
    items: list[SeverityOut]


class UserOut(Out):
    username: str
    role: Role
    created_at: AwareDatetime
    disabled: bool


class TokenOut(Out):
    id: int
    name: str
    role: Role
    created_at: AwareDatetime
    created_by: str
    revoked_at: AwareDatetime | None
    owner: str | None  # the user it acts for: disabling them revokes it


class NewToken(TokenOut):
    token: str


class Health(Out):
    status: str


class Ready(Out):
    status: str
    database: str


class Reload(Out):
    reloaded: bool
    config: str
    restart_needed: list[str]
