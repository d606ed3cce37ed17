"""`insights:` in tocsin.yaml: where the quarterly review goes when a quarter ends."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tocsin.config.fields import Email


class InsightsConfig(BaseModel):
    """At each quarter's end Tocsin makes the incident review, lists it on the dashboard and
    sends it to `channel` (a name under `channels:`) and to each address in `email`
    (the HTML report as the mail's body, through `notifiers: email`)."""

    model_config = ConfigDict(extra="forbid")

    channel: str | None = Field(default=None, description="a channel name from channels:")
    email: list[Email] = Field(default_factory=list, description="addresses to mail it to")
    send: bool = Field(default=True, description="false: make and list it, send nothing")
