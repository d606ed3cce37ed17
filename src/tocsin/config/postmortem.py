"""`postmortem:` in tocsin.yaml: the template, root-cause categories, reminders, attendees."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tocsin.config.duration import Duration

Outline = Literal["p1-p4", "sev1-sev3"]


class RemindersConfig(BaseModel):
    """When the author (else the commander) is reminded of a post-mortem not yet published."""

    model_config = ConfigDict(extra="forbid")

    before: Duration | None = Field(
        default=timedelta(hours=24), description="how long before the due date; empty: none"
    )
    every: Duration = Field(default=timedelta(hours=24), description="after the due date")
    max_after: int = Field(default=3, ge=0, le=30, description="reminders after the due date")


class AttendeesConfig(BaseModel):
    """Who the post-mortem meeting invites besides the incident's roles (people handles)."""

    model_config = ConfigDict(extra="forbid")

    engineering: list[str] = Field(default_factory=list)
    product_owner: str | None = None
    devops_lead: str | None = None
    customer_success: list[str] = Field(
        default_factory=list, description="invited only when the incident had customer impact"
    )


class PostmortemConfig(BaseModel):
    """Post-mortems: which outline drafts start from, or the team's own Jinja2 template."""

    model_config = ConfigDict(extra="forbid")

    outline: Outline | None = Field(
        default=None, description="the built-in outline; empty: the one `messages` names"
    )
    template: str | None = Field(
        default=None, description="a Jinja2 file relative to tocsin.yaml; replaces the outline"
    )
    categories: list[str] | None = Field(
        default=None, description="root-cause categories; empty: the outline's defaults"
    )
    reminders: RemindersConfig = Field(default_factory=RemindersConfig)
    attendees: AttendeesConfig = Field(default_factory=AttendeesConfig)
