"""Health checks and SLA rules of a service in tocsin.yaml."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from tocsin.config.duration import Duration
from tocsin.config.fields import HttpUrlStr


class CheckConfig(BaseModel):
    """An HTTP GET Tocsin runs itself, like the seeds' `curl …/health`."""

    model_config = ConfigDict(extra="forbid")

    url: HttpUrlStr
    interval: Duration = Field(default=timedelta(seconds=30))
    timeout: Duration = Field(default=timedelta(seconds=5))
    expect_status: int = Field(default=200, ge=100, le=599)
    expect_body: str | None = Field(default=None, description="text the body must contain")
    failures_before_alert: int = Field(default=3, ge=1, le=100)
    severity: str | None = Field(default=None, description="a severity key or a word (critical)")


class SlaConfig(BaseModel):
    """Computed from the health checks' samples over a window."""

    model_config = ConfigDict(extra="forbid")

    p95_ms: float | None = Field(default=None, gt=0, description="alert when P95 latency is above")
    availability: float | None = Field(
        default=None, gt=0, le=100, description="alert when the percentage of good checks is under"
    )
    window: Duration = Field(default=timedelta(hours=1))
    min_samples: int = Field(default=10, ge=1)
    severity: str | None = None
