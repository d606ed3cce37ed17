"""`trackers:` in tocsin.yaml: where action items are exported (GitHub Issues, Jira).

Tokens are never written here: each `*_env` key names the environment variable holding one.
Leave a tracker out and nothing is exported there; `default` is where `tocsin actions export`
goes without `--to`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tocsin.config.duration import Duration
from tocsin.config.fields import Email, EnvName, HttpUrlStr
from tocsin.config.notifiers import TimeoutsConfig
from tocsin.config.problems import ConfigProblem

REPO_PATTERN = r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$"
PROJECT_PATTERN = r"^[A-Z][A-Z0-9_]{0,19}$"


class GitHubTrackerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: HttpUrlStr = Field(
        default="https://api.github.com",
        description="GitHub Enterprise Server: https://HOST/api/v3",
    )
    repo: str = Field(pattern=REPO_PATTERN, description="owner/name, e.g. acme/platform")
    token_env: EnvName = Field(description="a token that may create and edit issues")
    assignees: dict[str, str] = Field(
        default_factory=dict, description="Tocsin handle -> GitHub login, to assign issues"
    )


class JiraTrackerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: HttpUrlStr = Field(description="e.g. https://acme.atlassian.net")
    api: Literal[2, 3] = Field(
        default=3, description="3: Jira Cloud (ADF descriptions); 2: Server/Data Center"
    )
    project: str = Field(pattern=PROJECT_PATTERN, description="the project key, e.g. OPS")
    issue_type: str = Field(default="Task", min_length=1, max_length=60)
    email: Email | None = Field(
        default=None, description="Jira Cloud: the API token's account (Basic auth)"
    )
    token_env: EnvName = Field(description="Cloud: API token; Server: personal access token")
    assignees: dict[str, str] = Field(
        default_factory=dict,
        description="Tocsin handle -> Jira accountId (Cloud) or user name (Server)",
    )

    @model_validator(mode="after")
    def _cloud_needs_email(self) -> JiraTrackerConfig:
        if self.api == 3 and self.email is None:
            raise ValueError("Jira Cloud (api: 3) signs in with an e-mail and an API token: "
                             "set email, or api: 2 for Server/Data Center")  # fmt: skip
        return self


class TrackerTimeouts(TimeoutsConfig):
    """The notifiers' timeouts, with a longer read: a tracker's create can be slow."""

    read: Duration = Field(default=timedelta(seconds=15), description="each wait for an answer")


class TrackersConfig(BaseModel):
    """Where action items go. Only the trackers written here are used."""

    model_config = ConfigDict(extra="forbid")

    github: GitHubTrackerConfig | None = None
    jira: JiraTrackerConfig | None = None
    default: Literal["github", "jira"] | None = Field(
        default=None, description="where `tocsin actions export` goes without --to"
    )
    sync_every: Duration = Field(
        default=timedelta(minutes=15), description="how often statuses are read back"
    )
    timeouts: TrackerTimeouts = Field(default_factory=TrackerTimeouts)

    @model_validator(mode="after")
    def _default_is_configured(self) -> TrackersConfig:
        configured = self.configured()
        if self.default is not None and self.default not in configured:
            raise ValueError(f"default: {self.default} is not configured here; "
                             f"configured: {', '.join(configured) or 'none'}")  # fmt: skip
        if self.sync_every < timedelta(minutes=1):
            raise ValueError("sync_every: at least 1m (each look is one request per item)")
        return self

    def configured(self) -> list[str]:
        return [name for name in ("github", "jira") if getattr(self, name) is not None]

    def default_tracker(self) -> str | None:
        """`default`, else the only one configured."""
        configured = self.configured()
        return self.default or (configured[0] if len(configured) == 1 else None)

    def secret_envs(self) -> Iterator[tuple[str, str]]:
        for name in self.configured():
            section = getattr(self, name)
            yield f"trackers.{name}.token_env", section.token_env

    def missing_secrets(self, env: Mapping[str, str]) -> list[ConfigProblem]:
        return [
            ConfigProblem(
                None,
                path,
                f"the environment variable {name} is not set; export it (the token stays out "
                "of tocsin.yaml), or remove this tracker",
            )
            for path, name in self.secret_envs()
            if not env.get(name, "").strip()
        ]
