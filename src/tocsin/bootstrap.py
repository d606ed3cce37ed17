"""The one place concrete adapters are chosen and wired. Nothing is built at import time."""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from tocsin.app import messages
from tocsin.app.accounts import AccountService
from tocsin.app.acklinks import AckLinks
from tocsin.app.actions import ActionService
from tocsin.app.alert_admin import AlertAdmin
from tocsin.app.alerts import AlertService
from tocsin.app.audit import AuditLog
from tocsin.app.bus import MessageBus
from tocsin.app.clock import SystemClock
from tocsin.app.diagnostics import Diagnostics
from tocsin.app.health import CHECK_JOB, HealthMonitor, Probe
from tocsin.app.incidents import IncidentService
from tocsin.app.jobs import (
    PRUNE,
    JobAdmin,
    JobHandlers,
    JobRunner,
    JobSignal,
    Recurring,
    prune_done,
)
from tocsin.app.messages import DEFAULT_TEMPLATES
from tocsin.app.ports import ActionRunner, Clock, JobWakeups, PasswordHasher
from tocsin.app.runbooks import Runbooks, RunSettings
from tocsin.app.runs import RunbookRuns
from tocsin.app.uow import Handlers, Outbox
from tocsin.config import ConfigProblem, TocsinConfig, find_config_path, load_config
from tocsin.core.errors import DomainError
from tocsin.core.incident import Incident
from tocsin.integrations.actions.shell import ShellRunner
from tocsin.integrations.notifiers.renderers.jinja import JinjaRenderer
from tocsin.integrations.passwords import Argon2Hasher
from tocsin.integrations.probes import HttpProbe
from tocsin.integrations.runbook_files import RunbookDirectory
from tocsin.integrations.source_parsers import SourceParsers
from tocsin.store import database, reads
from tocsin.store.notify import PgJobWakeups
from tocsin.store.reads import SqlIncidentReads
from tocsin.store.uow import SqlUnitOfWork


@dataclass
class Tocsin:
    """Everything an entrypoint needs, wired."""

    config: TocsinConfig
    config_path: Path
    database_url: str
    engine: Engine
    incidents: IncidentService
    accounts: AccountService
    bus: MessageBus
    handlers: Handlers
    renderer: JinjaRenderer
    clock: Clock
    alerts: AlertService
    alert_admin: AlertAdmin
    sources: SourceParsers
    health: HealthMonitor
    jobs: JobAdmin
    job_runner: JobRunner
    job_signal: JobSignal  # notify() after a commit that scheduled a job due now
    job_wakeups: Callable[[], JobWakeups | None]  # PostgreSQL LISTEN, else None (polling)
    ack_links: AckLinks
    runbooks: RunbookRuns
    audit: AuditLog
    actions: ActionService

    def recurring(self) -> list[Recurring]:
        """The chains every worker seeds at start: each health check, and pruning."""
        return [*self.health.recurring(), PRUNE]


def database_url(config: TocsinConfig, config_path: Path, env: Mapping[str, str]) -> str:
    """TOCSIN_DATABASE_URL, else `database.url` in tocsin.yaml, else .tocsin/tocsin.db beside it."""
    return (
        env.get("TOCSIN_DATABASE_URL")
        or config.database.url
        or database.default_url(config_path.resolve().parent / ".tocsin")
    )


def renderer_for(config: TocsinConfig) -> JinjaRenderer:
    return JinjaRenderer(DEFAULT_TEMPLATES, config.templates.model_dump())


def build(
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    clock: Clock | None = None,
    migrate: bool = True,
    hasher: PasswordHasher | None = None,
    probe: Probe | None = None,
) -> Tocsin:
    env = os.environ if env is None else env
    path = find_config_path(env, cwd or Path.cwd())
    config = load_config(path)
    url = database_url(config, path, env)
    engine = database.create(url, config.database.sqlite_synchronous)
    if migrate:
        database.upgrade(engine)
    outbox = Outbox()
    renderer = renderer_for(config)
    clock = clock or SystemClock()

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, outbox=outbox)

    def reader() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, write=False)

    service = IncidentService(
        uow,
        clock,
        config.severity_model(),
        renderer,
        config.default_severity,
        reader,
        SqlIncidentReads(engine),
    )
    accounts = AccountService(uow, clock, hasher or Argon2Hasher(), reader)
    alerts = AlertService(uow, clock, config.router, service)
    health = health_monitor(config, probe or HttpProbe(), clock, alerts, uow)
    handlers = JobHandlers()
    handlers.register(PRUNE.kind, prune_done(clock))
    handlers.register(CHECK_JOB, health.handle)
    signal = JobSignal()
    outbox.wake = signal.notify
    actions = aws_actions(env)
    runs = runbook_runs(config, path, env, clock, uow, reader, actions)
    Diagnostics(runs, clock).install(outbox.handlers, handlers)
    return Tocsin(
        config,
        path,
        url,
        engine,
        service,
        accounts,
        outbox.bus,
        outbox.handlers,
        renderer,
        clock,
        alerts,
        AlertAdmin(uow, clock, reader),
        SourceParsers(),
        health,
        JobAdmin(uow, clock, signal, reader),
        JobRunner(uow, handlers, clock, random.Random(), reader=reader),  # noqa: S311 - jitter
        signal,
        lambda: job_wakeups(url),
        AckLinks(secret_key(env, path), env.get("TOCSIN_PUBLIC_URL"), clock, service),
        runs,
        AuditLog(reader),
        ActionService(uow, clock, actions),
    )


def aws_actions(env: Mapping[str, str]) -> Callable[[], ActionRunner]:
    """boto3 is imported when the first typed action runs, not at start (it is the `aws`
    extra: `pip install tocsin[aws]`)."""
    made: list[ActionRunner] = []

    def get() -> ActionRunner:
        if not made:
            try:
                from tocsin.integrations.actions.aws import AwsActions
            except ImportError as exc:
                raise DomainError(
                    f"typed AWS actions need boto3 ({exc}): pip install 'tocsin[aws]'"
                ) from None
            made.append(AwsActions(env))
        return made[0]

    return get


def runbook_runs(
    config: TocsinConfig,
    config_path: Path,
    env: Mapping[str, str],
    clock: Clock,
    uow: Callable[[], SqlUnitOfWork],
    reader: Callable[[], SqlUnitOfWork],
    actions: Callable[[], ActionRunner] | None = None,
) -> RunbookRuns:
    """Runbooks from `runbooks.dir` (beside tocsin.yaml), run by bash from that folder with a
    clean environment (integrations/actions/shell.py)."""
    rb = config.runbooks
    home = config_path.resolve().parent
    settings = RunSettings(
        rb.shell, rb.output_limit, rb.timeout, dict(rb.values), dict(rb.secrets),
        frozenset(s.casefold() for s in rb.approval), tuple(rb.redact),
    )  # fmt: skip
    library = Runbooks(RunbookDirectory(home / rb.dir), settings)
    return RunbookRuns(uow, clock, library, ShellRunner(env, cwd=home), env, reader, actions)


def secret_key(env: Mapping[str, str], config_path: Path) -> bytes:
    """TOCSIN_SECRET_KEY, else a key made once and kept in .tocsin/secret_key beside
    tocsin.yaml (mode 0600). Processes on several hosts must share TOCSIN_SECRET_KEY."""
    given = env.get("TOCSIN_SECRET_KEY")
    if given:
        return given.encode()
    path = config_path.resolve().parent / ".tocsin" / "secret_key"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32).encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as out:
            out.write(key)
        return key


def job_wakeups(url: str) -> JobWakeups | None:
    """PostgreSQL wakes workers with NOTIFY; on SQLite they poll (and wake in-process)."""
    return PgJobWakeups(url) if url.startswith("postgresql") else None


def health_monitor(
    config: TocsinConfig,
    probe: Probe,
    clock: Clock,
    alerts: AlertService,
    uow: Callable[[], SqlUnitOfWork],
) -> HealthMonitor:
    checks = [check for service in config.services for check in service.health_checks()]
    rules = [rule for service in config.services if (rule := service.sla_rule())]
    return HealthMonitor(checks, rules, probe, clock, alerts, uow)


def schema_revision(wired: Tocsin) -> str | None:
    return database.current_revision(wired.engine)


def check_database(wired: Tocsin) -> None:
    """Raise DatabaseUnavailable (a StorageError) if the database does not answer now."""
    database.ping(wired.engine)


def incident_counts(wired: Tocsin) -> dict[tuple[str, str], int]:
    """(status, severity) -> how many incidents; DatabaseUnavailable if the database fails."""
    return reads.incident_counts(wired.engine)


def template_problems(config: TocsinConfig) -> list[ConfigProblem]:
    """Render each of the team's templates against a sample incident: a typo shows up now,
    not at 3 a.m. in the middle of an outage."""
    renderer = renderer_for(config)
    model = config.severity_model()
    severity = model.severities[0]
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    sample = Incident.declare(1, "Sample incident", severity, now, "tocsin")
    sample.mitigate(now, "tocsin", "a rollback")
    sample.resolve(now, "tocsin", severity, "a cause", "a fix")
    problems = []
    for name in DEFAULT_TEMPLATES:
        extra = {"text": "Sample update"} if name == messages.UPDATE else {}
        error = renderer.check(name, messages.context(sample, severity, now, **extra))
        if error:
            problems.append(ConfigProblem(None, f"templates.{name}", f"does not render: {error}"))
    return problems
