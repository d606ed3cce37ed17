"""`server:` in tocsin.yaml: how long a connection may take, and how many live streams a
session may hold open."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from tocsin.config.duration import Duration


class ServerConfig(BaseModel):
    """Read when `tocsin serve` starts (the listener's timeouts) or at each new stream (the
    cap). `tocsin reload` applies `streams_per_session` at once; the timeouts at the next start."""

    model_config = ConfigDict(extra="forbid")

    keep_alive: Duration = Field(
        default=timedelta(seconds=5),
        description="an idle connection between requests is closed after this",
    )
    request_head_timeout: Duration = Field(
        default=timedelta(seconds=10),
        description="the request line and headers must arrive within this, or the "
        "connection is closed (slow clients, slowloris)",
    )
    request_body_timeout: Duration = Field(
        default=timedelta(seconds=30),
        description="a request's whole body must arrive within this after its headers, "
        "or the connection is closed",
    )
    streams_per_session: int = Field(
        default=6,
        ge=1,
        le=100,
        description="live streams (a page's self-refresh) one web session may hold open; "
        "one more is refused with 429",
    )
