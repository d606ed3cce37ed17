"""Request bodies. Unknown fields are refused; every text has a limit."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from tocsin.core import passwords

Text = Field(min_length=1, max_length=10_000)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EXAMPLE = "e.g. 2026-11-22T03:00:00Z"


def _iso_only(value: object) -> object:
    """Pydantic would read "0.5" as seconds since 1970; a time here is ISO 8601 only."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise PydanticCustomError("iso_time", f"give an ISO 8601 time with a timezone, {_EXAMPLE}")
    return value


def _in_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError("timezone_required", f"give a timezone, {_EXAMPLE}")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("time_range", "out of range once in UTC") from None


# An ISO 8601 time with a timezone, in UTC.
IsoTime = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_in_utc)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Versioned(Strict):
    version: int | None = Field(
        default=None, ge=1, description="The version you read; a stale one gets 409."
    )


class ScopeIn(Strict):
    services: list[str] | None = Field(default=None, max_length=100)
    tenants: list[str] | Literal["all"] | None = Field(default=None, description='A list, or "all"')
    endpoints: list[str] | None = Field(default=None, max_length=100)


class ImpactIn(Strict):
    summary: str | None = Field(default=None, max_length=1000)
    customer_impact: bool | None = None
    users_affected: str | None = Field(default=None, max_length=200)
    data_loss: str | None = Field(
        default=None,
        max_length=1000,
        description='What was lost; "none" when nothing was, "" or "unknown" when not known',
    )


class DeclareIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    severity: str | None = Field(default=None, max_length=20)
    scope: ScopeIn = Field(default_factory=ScopeIn)
    impact: ImpactIn = Field(default_factory=ImpactIn)
    labels: list[str] = Field(default_factory=list, max_length=50)
    commander: str | None = Field(default=None, max_length=100)


class ActIn(Versioned):
    pass


class UpdateIn(Versioned):
    text: str = Text


class SeverityIn(Versioned):
    severity: str = Field(min_length=1, max_length=20)
    reason: str = Field(default="", max_length=1000)


class AssignIn(Versioned):
    role: Literal["commander", "comms", "scribe"]
    person: str | None = Field(default=None, max_length=100, description="null unassigns")


class ScopePatch(ScopeIn, Versioned):
    pass


class ImpactPatch(ImpactIn, Versioned):
    pass


class LabelsIn(Versioned):
    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class MitigateIn(Versioned):
    action: str = Text


class ResolveIn(Versioned):
    root_cause: str | None = Field(default=None, max_length=10_000)
    fix: str | None = Field(default=None, max_length=10_000)


class ReopenIn(Versioned):
    reason: str = Field(default="", max_length=1000)


class NoteIn(Versioned):
    text: str = Text


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["viewer", "responder", "admin"]


Password = Field(max_length=passwords.MAX_LENGTH, description=f"Passwords: {passwords.ADVICE}.")


class UserIn(Strict):
    username: str = Field(min_length=1, max_length=100)
    password: str = Password
    role: Literal["viewer", "responder", "admin"]


class UserPatch(Strict):
    role: Literal["viewer", "responder", "admin"] | None = None
    disabled: bool | None = Field(
        default=None,
        description="true ends the user's sessions and revokes their tokens; false enables "
        "the user again (revoked tokens stay revoked).",
    )


class PasswordReset(Strict):
    password: str = Password


class PasswordChange(Strict):
    current_password: str = Field(max_length=1000)
    new_password: str = Password
    username: str | None = Field(
        default=None,
        max_length=100,
        description="Whose password this is, as a check: it must be the caller's own.",
    )
