"""`runbooks:` in tocsin.yaml: where the runbooks are and how their steps run."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from tocsin.config.duration import Duration
from tocsin.config.fields import matching

VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KB|KiB|MB|MiB|K|M)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1 << 20, "mb": 10**6,
          "mib": 1 << 20}  # fmt: skip
MAX_OUTPUT_LIMIT = 8 << 20

VariableName = Annotated[
    str,
    AfterValidator(
        matching(
            VARIABLE_PATTERN,
            "variable_name",
            "invalid variable name {value}: use letters, digits and _, e.g. API_ID",
        )
    ),
]


def _size(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str) and (m := _SIZE.match(value)):
        size = int(m.group(1)) * _UNITS[(m.group(2) or "").lower()]
    else:
        raise PydanticCustomError(
            "size", "invalid size {value}: write bytes or e.g. 64KiB, 1MiB", {"value": repr(value)}
        )
    if not 1024 <= size <= MAX_OUTPUT_LIMIT:
        raise PydanticCustomError(
            "size_range", "size {value} must be between 1KiB and 8MiB", {"value": repr(value)}
        )
    return size


ByteSize = Annotated[int, BeforeValidator(_size)]


class RunbooksConfig(BaseModel):
    """Runbooks are Markdown files in `dir` (relative to tocsin.yaml), kept in the team's git."""

    model_config = ConfigDict(extra="forbid")

    dir: str = Field(default="runbooks", description="relative to tocsin.yaml")
    shell: bool = Field(default=True, description="false: only typed actions run, no shell")
    output_limit: ByteSize = Field(
        default=64 * 1024, description="output shown on the timeline; the whole is stored"
    )
    timeout: Duration = Field(default=timedelta(seconds=60), description="a step's default")
    redact: list[str] = Field(default_factory=list, description="regular expressions to mask")
    values: dict[VariableName, str] = Field(
        default_factory=dict, description="variables every step may use, e.g. API_ID"
    )
    secrets: dict[VariableName, VariableName] = Field(
        default_factory=dict,
        description="NAME: ENV_VAR; the value is read from the environment and masked in output",
    )
    approval: list[str] = Field(
        default_factory=list,
        description="severities whose mitigations need a second person's approval, e.g. [P1]",
    )

    @field_validator("redact")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise PydanticCustomError(
                    "pattern",
                    "redact pattern {value} is not a regular expression: {error}",
                    {"value": repr(pattern), "error": str(exc)},
                ) from None
        return value


def severities_yaml(severities: list[dict[str, Any]]) -> str:
    """Severities offered by `runbook import`, as the `severities:` block of tocsin.yaml."""
    return yaml.safe_dump(
        {"severities": severities}, allow_unicode=True, sort_keys=False, width=100
    )
