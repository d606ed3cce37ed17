"""The one place concrete adapters are chosen and wired. Nothing is built at import time."""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
from tocsin.app.comms import Comms
from tocsin.app.delivery import Courier
from tocsin.app.diagnostics import Diagnostics
from tocsin.app.directory import TeamDirectory
from tocsin.app.health import CHECK_JOB, HealthMonitor, Probe
from tocsin.app.incidents import IncidentService
from tocsin.app.insights import Insights
from tocsin.app.jobs import (
    PRUNE,
    JobAdmin,
    JobHandlers,
    JobRunner,
    JobSignal,
    Recurring,
    prune_done,
)
from tocsin.app.messages import MESSAGE_SETS
from tocsin.app.oncall import OncallService, Roster
from tocsin.app.paging import Paging
from tocsin.app.ports import ActionRunner, Clock, JobWakeups, Notifier, PasswordHasher
from tocsin.app.postmortem_context import context as postmortem_context
from tocsin.app.postmortem_meeting import AttendeeRules, MeetingPlanner
from tocsin.app.postmortem_reminders import PostmortemReminders, ReminderPolicy
from tocsin.app.postmortems import PostmortemService, PostmortemSettings, no_action_items
from tocsin.app.quarterly import Destination, QuarterlyReviews
from tocsin.app.runbooks import Runbooks, RunSettings
from tocsin.app.runs import RunbookRuns
from tocsin.app.suggestions import Suggestions
from tocsin.app.uow import Handlers, Outbox
from tocsin.config import ConfigProblem, TocsinConfig, find_config_path, load_config
from tocsin.config.channels import contact_method
from tocsin.config.escalation import unknown_targets
from tocsin.core.errors import DomainError, InvalidInput
from tocsin.core.incident import Incident
from tocsin.core.notify import ContactKind, ContactMethod
from tocsin.core.postmortem import DEFAULT_CATEGORIES
from tocsin.integrations.actions.shell import ShellRunner
from tocsin.integrations.notifiers import wiring as adapters
from tocsin.integrations.notifiers.renderers.jinja import JinjaRenderer
from tocsin.integrations.passwords import Argon2Hasher
from tocsin.integrations.postmortems import markdown
from tocsin.integrations.postmortems.renderer import TemplateFile
from tocsin.integrations.probes import HttpProbe
from tocsin.integrations.report.render import ReportRenderer
from tocsin.integrations.runbook_files import RunbookDirectory
from tocsin.integrations.source_parsers import SourceParsers
from tocsin.store import database, reads
from tocsin.store.insights import SqlInsights
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
    oncall: OncallService
    ack_links: AckLinks
    callback_secrets: CallbackSecrets
    suggestions: Suggestions
    runbooks: RunbookRuns
    audit: AuditLog
    actions: ActionService
    postmortems: PostmortemService
    meetings: MeetingPlanner
    notifiers: dict[ContactKind, Notifier] = field(default_factory=dict)
    insights: Insights = field(init=False)  # the quarterly review (set by build)
    quarterly: QuarterlyReviews = field(init=False)  # made and sent at each quarter's end

    def recurring(self) -> list[Recurring]:
        """The chains every worker seeds at start: each health check, pruning, and the look
        for a quarter's end."""
        return [*self.health.recurring(), PRUNE, *self.quarterly.recurring()]


def database_url(config: TocsinConfig, config_path: Path, env: Mapping[str, str]) -> str:
    """TOCSIN_DATABASE_URL, else `database.url` in tocsin.yaml, else .tocsin/tocsin.db beside it."""
    return (
        env.get("TOCSIN_DATABASE_URL")
        or config.database.url
        or database.default_url(config_path.resolve().parent / ".tocsin")
    )


def renderer_for(config: TocsinConfig) -> JinjaRenderer:
    """The built-in messages `messages:` names, with the team's `templates` over them."""
    return JinjaRenderer(MESSAGE_SETS[config.messages], config.templates.model_dump())


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
    oncall = OncallService(uow, clock, roster_for(config), reader)
    acks = AckLinks(secret_key(env, path), env.get("TOCSIN_PUBLIC_URL"), clock, service)
    adapters = notifiers(config, env, clock)
    install_paging(config, clock, service, oncall, acks, adapters, outbox.handlers, handlers)
    actions = aws_actions(env)
    runs = runbook_runs(config, path, env, clock, uow, reader, actions)
    Diagnostics(runs, clock).install(outbox.handlers, handlers)
    postmortems = postmortem_service(config, path, clock, service, uow, reader)
    postmortems.install(outbox.handlers)
    postmortem_reminders(config, clock, oncall, adapters).install(outbox.handlers, handlers)
    meetings = postmortem_meetings(config, clock, oncall, adapters, uow)
    meetings.install(handlers)
    wired = Tocsin(
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
        oncall,
        acks,
        callback_secrets(config, env),
        Suggestions(uow, clock, service, reader),
        runs,
        AuditLog(reader),
        ActionService(uow, clock, actions),
        postmortems,
        meetings,
        adapters,
    )
    wired.insights = Insights(
        SqlInsights(engine), clock, config.severity_model(), runs.runbooks, ReportRenderer()
    )
    courier = Courier(adapters, clock, random.Random())  # noqa: S311 - jitter
    wired.quarterly = QuarterlyReviews(
        wired.insights, clock, courier, review_destinations(config), env.get("TOCSIN_PUBLIC_URL")
    )
    wired.quarterly.install(handlers)
    return wired


def review_destinations(config: TocsinConfig) -> list[Destination]:
    """`insights:` of tocsin.yaml: the channel and the addresses the quarterly review goes to."""
    wanted = config.insights
    if not wanted.send:
        return []
    found = [Destination(f"email:{a}", ContactMethod(ContactKind.EMAIL, a)) for a in wanted.email]
    channel = next((c for c in config.channels if c.name == wanted.channel), None)
    if channel is not None:
        found.insert(0, Destination(f"channel:{channel.name}", contact_method(channel)))
    return found


@dataclass(frozen=True, slots=True)
class CallbackSecrets:
    """What checks a button press or keypress: Slack's signing secret, Telegram's webhook
    secret token, Twilio's auth token (None: that callback is not set up)."""

    slack: str | None = None
    telegram: str | None = None
    twilio: str | None = None


def callback_secrets(config: TocsinConfig, env: Mapping[str, str]) -> CallbackSecrets:
    def read(name: str | None) -> str | None:
        return env.get(name or "", "").strip() or None

    n = config.notifiers
    return CallbackSecrets(
        read(n.slack.signing_secret_env) if n.slack else None,
        read(n.telegram.webhook_secret_env) if n.telegram else None,
        read(n.twilio.auth_token_env) if n.twilio else None,
    )


def install_paging(
    config: TocsinConfig,
    clock: Clock,
    incidents: IncidentService,
    oncall: OncallService,
    acks: AckLinks,
    adapters: dict[ContactKind, Notifier],
    entry_handlers: Handlers,
    job_handlers: JobHandlers,
) -> None:
    """Escalation and pages, and the team channels' posts and reminders: handlers inside
    the transactions that cause them, and the jobs the worker runs."""
    keys = {s.key.casefold(): s.key for s in config.severities}
    channels = {c.name: contact_method(c) for c in config.channels}
    directory = TeamDirectory(oncall, channels)
    courier = Courier(adapters, clock, random.Random())  # noqa: S311 - jitter
    severities = incidents.severities
    paging = Paging(clock, severities, config.policy_for(), directory, courier, acks.link)
    paging.install(entry_handlers, job_handlers)
    comms = Comms(clock, severities, config.escalation.channels_for(keys), directory, courier)
    comms.install(entry_handlers, job_handlers)


def postmortem_settings(config: TocsinConfig) -> PostmortemSettings:
    """The outline (`postmortem.outline`, else the one `messages` names) and categories."""
    outline = config.postmortem.outline or config.messages
    categories = config.postmortem.categories or DEFAULT_CATEGORIES[outline]
    return PostmortemSettings(outline, tuple(categories))


def postmortem_template_path(config: TocsinConfig, config_path: Path) -> Path | None:
    name = config.postmortem.template
    return None if name is None else config_path.resolve().parent / name


def postmortem_service(
    config: TocsinConfig,
    config_path: Path,
    clock: Clock,
    incidents: IncidentService,
    uow: Callable[[], SqlUnitOfWork],
    reader: Callable[[], SqlUnitOfWork],
) -> PostmortemService:
    settings = postmortem_settings(config)
    template = TemplateFile(settings.outline, postmortem_template_path(config, config_path))
    return PostmortemService(
        uow, clock, incidents.severities, template, settings, no_action_items, reader
    )


def postmortem_reminders(
    config: TocsinConfig,
    clock: Clock,
    oncall: OncallService,
    adapters: dict[ContactKind, Notifier],
) -> PostmortemReminders:
    """Reminders to the author (else the commander) before and after the due date."""
    r = config.postmortem.reminders
    channels = {c.name: contact_method(c) for c in config.channels}
    courier = Courier(adapters, clock, random.Random())  # noqa: S311 - jitter
    policy = ReminderPolicy(r.before, r.every, r.max_after)
    return PostmortemReminders(clock, policy, TeamDirectory(oncall, channels), courier)


def postmortem_meetings(
    config: TocsinConfig,
    clock: Clock,
    oncall: OncallService,
    adapters: dict[ContactKind, Notifier],
    uow: Callable[[], SqlUnitOfWork],
) -> MeetingPlanner:
    """Invitations through the e-mail notifier, from `notifiers.email.from`."""
    a = config.postmortem.attendees
    rules = AttendeeRules(
        tuple(a.engineering), a.product_owner, a.devops_lead, tuple(a.customer_success)
    )
    channels = {c.name: contact_method(c) for c in config.channels}
    courier = Courier(adapters, clock, random.Random())  # noqa: S311 - jitter
    email = config.notifiers.email
    organizer = email.from_ if email else "tocsin@localhost"
    return MeetingPlanner(uow, clock, rules, TeamDirectory(oncall, channels), courier, organizer)


def markdown_html(text: str) -> str:
    """The post-mortem preview (the web page): Markdown as HTML, raw HTML off."""
    return markdown.to_html(text)


def postmortem_problems(config: TocsinConfig, config_path: Path) -> list[ConfigProblem]:
    """The team's post-mortem template: readable, parses (the line of a syntax error named),
    and renders a sample incident's draft."""
    settings = postmortem_settings(config)
    path = postmortem_template_path(config, config_path)
    people = {p.handle for p in config.people}
    a = config.postmortem.attendees
    named = [*a.engineering, a.product_owner, a.devops_lead, *a.customer_success]
    unknown = [
        ConfigProblem(None, "postmortem.attendees", f"{h} is not in people:")
        for h in named
        if h and h not in people
    ]
    if path is None:
        return unknown
    severity = config.severity_model().severities[0]
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    sample = Incident.declare(1, "Sample incident", severity, now, "tocsin")
    sample.resolve(now, "tocsin", severity, "a cause", "a fix")
    ctx = postmortem_context(sample, sample.pending, severity, "tocsin", None, settings.outline, [])
    try:
        TemplateFile(settings.outline, path).render(ctx)
    except InvalidInput as exc:
        return [*unknown, ConfigProblem(None, "postmortem.template", str(exc))]
    return unknown


def roster_for(config: TocsinConfig) -> Roster:
    """The people and schedules of tocsin.yaml, as the on-call use cases take them."""
    people = {p.handle: p.to_core() for p in config.people}
    return Roster(people, {s.name: s.to_core() for s in config.schedules})


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
    for name in messages.KINDS:
        extra = {"text": "Sample update"} if name == messages.UPDATE else {}
        error = renderer.check(name, messages.context(sample, severity, now, **extra))
        if error:
            problems.append(ConfigProblem(None, f"templates.{name}", f"does not render: {error}"))
    return problems


def notifiers(
    config: TocsinConfig, env: Mapping[str, str], clock: Clock
) -> dict[ContactKind, Notifier]:
    """One adapter per channel in `notifiers:` whose secrets are set (`tocsin config check`
    names the missing ones). Adapters connect on first use, so building them costs nothing."""
    c = config.notifiers
    wire = adapters.Wiring(
        lambda name: env.get(name or "", "").strip() or None,
        adapters.Timeouts(c.timeouts.connect.total_seconds(), c.timeouts.read.total_seconds()),
        clock,
    )
    found: list[Notifier] = []
    if c.slack:
        found += wire.slack(c.slack.base_url, c.slack.bot_token_env, c.slack.webhooks)
    if c.telegram:
        found += wire.telegram(c.telegram.base_url, c.telegram.bot_token_env)
    if c.twilio:
        t = c.twilio
        found += wire.twilio(t.base_url, t.account_sid_env, t.auth_token_env, t.from_number_env)
    if c.email:
        e = c.email
        found += wire.email(
            adapters.SmtpSettings(
                e.host, e.port, e.starttls, e.tls, None, None, e.from_, e.from_name
            ),
            e.username_env,
            e.password_env,
        )
    if c.ntfy:
        found += wire.ntfy(c.ntfy.base_url, c.ntfy.token_env)
    hooks = {name: (hook.url, hook.secret_env) for name, hook in c.webhooks.items()}
    found += wire.webhooks(hooks, c.event_source)
    return {notifier.kind: notifier for notifier in found}


def notifier_problems(config: TocsinConfig, env: Mapping[str, str]) -> list[ConfigProblem]:
    """Each channel secret whose environment variable is unset: found by `config check`,
    not by the first page at 3 a.m."""
    return config.notifiers.missing_secrets(env)


def policy_problems(config: TocsinConfig) -> list[ConfigProblem]:
    """Escalation targets and announce channels that name nobody: found by `config check`,
    not when the step fires."""
    people = {p.handle for p in config.people}
    schedules = {s.name for s in config.schedules}
    channels = {c.name for c in config.channels}
    found = unknown_targets(config.escalation, people, schedules, channels)
    for i, route in enumerate(config.escalation.announce):
        for name in route.channels:
            if name not in channels:
                listed = ", ".join(sorted(channels)) or "none"
                where = f"escalation.announce[{i}].channels"
                found.append((where, f"channel {name} is not in channels; known: {listed}"))
    return [ConfigProblem(None, where, message) for where, message in found]
