"""`runbooks:` in tocsin.yaml: where the runbooks are and how their steps run."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tocsin.config.duration import Duration
from tocsin.config.fields import matching
from tocsin.config.problems import ConfigProblem
from tocsin.core.actions import ACTIONS, ActionSpec, Param
from tocsin.core.http_actions import HttpActionDef, HttpCall, placeholders

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

ACTION_NAME = r"^(?=.{3,64}$)[a-z][a-z0-9]*(\.[a-z0-9_-]+)+$"  # as the API's path takes them
ActionName = Annotated[
    str,
    AfterValidator(
        matching(ACTION_NAME, "action_name",
                 "invalid action name {value}: use lowercase words joined by dots, "
                 "e.g. feature.set or tenant.suspend")
    ),
]  # fmt: skip
ParamName = Annotated[
    str,
    AfterValidator(
        matching(r"^[a-z_][a-z0-9_]{0,39}$", "param_name",
                 "invalid parameter name {value}: use lowercase letters, digits and _, e.g. flag")
    ),
]  # fmt: skip
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


class HttpParamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["str", "int", "float", "bool"] = "str"
    default: str | int | float | bool | None = Field(default=None, description="none: required")
    help: str = ""


class HttpCallConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Method = "GET"
    path: str = Field(description="after base_url; {{ name }} is the parameter, URL-encoded")
    body: Any = Field(default=None, description="a JSON template; '{{ name }}': the typed value")


class HttpAuthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    header: str = "Authorization"
    env: VariableName = Field(description="the environment variable holding the credential")
    prefix: str = Field(default="Bearer ", description="before the credential, e.g. 'Bearer '")


class HttpActionConfig(BaseModel):
    """One typed action through a team's admin API (a feature flag, a tenant suspended)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["mitigation", "diagnostic"] = "mitigation"
    summary: str = ""
    base_url: str = Field(
        pattern=r"^https?://[^\s/]+", description="e.g. https://admin.example.com"
    )
    method: Method = "POST"
    path: str
    body: Any = None
    params: dict[ParamName, HttpParamConfig] = Field(default_factory=dict)
    auth: HttpAuthConfig | None = None
    headers: dict[str, str] = Field(default_factory=dict, description="sent as written: no secrets")
    before: HttpCallConfig | None = Field(
        default=None, description="a GET that reads the state first, recorded to undo it"
    )
    undo: str | None = Field(default=None, description="the action that reverts this one")
    timeout: Duration = Field(default=timedelta(seconds=10))

    @model_validator(mode="after")
    def _consistent(self) -> HttpActionConfig:
        named = set(placeholders(self.path)) | set(placeholders(self.body))
        if self.before is not None:
            named |= set(placeholders(self.before.path)) | set(placeholders(self.before.body))
        unknown = sorted(named - set(self.params))
        if unknown:
            raise PydanticCustomError(
                "unknown_placeholder",
                "placeholder {names} is not a parameter: declare it under params (params: {known})",
                {"names": ", ".join(unknown), "known": ", ".join(self.params) or "none"},
            )
        if self.kind == "diagnostic" and self.method != "GET":
            raise PydanticCustomError(
                "diagnostic_method",
                "a diagnostic only reads: method {method} changes things; use GET or "
                "kind: mitigation",
                {"method": self.method},
            )
        return self

    def to_core(self, name: str) -> HttpActionDef:
        params = tuple(Param(n, p.type, p.default, p.help) for n, p in self.params.items())
        spec = ActionSpec(name, self.kind, self.summary or f"{self.method} {self.path}", params)
        before = self.before
        return HttpActionDef(
            spec,
            self.base_url,
            HttpCall(self.method, self.path, self.body),
            HttpCall(before.method, before.path, before.body) if before else None,
            self.auth.header if self.auth else "",
            self.auth.env if self.auth else "",
            self.auth.prefix if self.auth else "",
            tuple(self.headers.items()),
            self.timeout.total_seconds(),
            self.undo or "",
        )


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
    http_actions: dict[ActionName, HttpActionConfig] = Field(
        default_factory=dict,
        description="typed actions through your admin API: feature flags, tenant suspend",
    )

    @model_validator(mode="after")
    def _http_names(self) -> RunbooksConfig:
        for name, action in self.http_actions.items():
            if name in ACTIONS:
                raise PydanticCustomError(
                    "action_taken", "http action {name} is a built-in action: choose another name",
                    {"name": name},
                )  # fmt: skip
            if action.undo and action.undo not in self.http_actions:
                raise PydanticCustomError(
                    "unknown_undo", "http action {name}: undo names {undo}, which is not one of "
                    "runbooks.http_actions ({known})",
                    {"name": name, "undo": action.undo, "known": ", ".join(self.http_actions)},
                )  # fmt: skip
        return self

    def missing_secrets(self, env: Mapping[str, str]) -> list[ConfigProblem]:
        """Each HTTP action whose credential's variable is unset (`config check`)."""
        found = []
        for name, action in self.http_actions.items():
            if action.auth is not None and not env.get(action.auth.env, "").strip():
                why = (f"the environment variable {action.auth.env} is not set; export it for "
                       f"Tocsin (the credential stays out of tocsin.yaml), or {name} sends "
                       "nothing")  # fmt: skip
                found.append(ConfigProblem(None, f"runbooks.http_actions.{name}.auth.env", why))
        return found

    def http_defs(self) -> dict[str, HttpActionDef]:
        return {name: action.to_core(name) for name, action in self.http_actions.items()}

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
