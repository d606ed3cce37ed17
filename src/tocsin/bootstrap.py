"""The one place concrete adapters are chosen and wired. Nothing is built at import time."""

from __future__ import annotations

import logging
import os
import random
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from tocsin.app import messages
from tocsin.app.accounts import AccountService
from tocsin.app.acklinks import AckLinks
from tocsin.app.action_exports import Exports
from tocsin.app.action_items import ActionItems, draft_items
from tocsin.app.actions import ActionService, RoutedActions
from tocsin.app.alert_admin import AlertAdmin
from tocsin.app.alerts import AlertService
from tocsin.app.audit import AuditLog
from tocsin.app.bus import MessageBus
from tocsin.app.clock import SystemClock
from tocsin.app.comms import Comms
from tocsin.app.delivery import Courier
from tocsin.app.diagnostics import Diagnostics
from tocsin.app.directory import TeamDirectory
from tocsin.app.handoffs import HandoffNotices, HandoffRule
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
from tocsin.app.notices import NoticeSender
from tocsin.app.oncall import OncallService, Roster
from tocsin.app.pagetests import PageTests
from tocsin.app.paging import Paging
from tocsin.app.ports import ActionRunner, Clock, JobWakeups, Notifier, PasswordHasher
from tocsin.app.postmortem_context import context as postmortem_context
from tocsin.app.postmortem_meeting import AttendeeRules, MeetingPlanner
from tocsin.app.postmortem_reminders import PostmortemReminders, ReminderPolicy
from tocsin.app.postmortems import PostmortemService, PostmortemSettings
from tocsin.app.quarterly import Destination, QuarterlyReviews
from tocsin.app.runbooks import Runbooks, RunSettings
from tocsin.app.runs import REAP, RunbookRuns
from tocsin.app.suggestions import Suggestions
from tocsin.app.trackers import Tracker
from tocsin.app.uow import Handlers, Outbox
from tocsin.config import ConfigError, ConfigProblem, TocsinConfig, find_config_path, load_config
from tocsin.config.channels import contact_method, fold_channels
from tocsin.config.escalation import unknown_targets
from tocsin.core.action_items import TrackerKind
from tocsin.core.actions import ACTIONS, ActionSpec
from tocsin.core.errors import DomainError, InvalidInput
from tocsin.core.incident import Incident
from tocsin.core.notify import ContactKind, ContactMethod
from tocsin.core.postmortem import DEFAULT_CATEGORIES
from tocsin.integrations.actions.http import HttpActions
from tocsin.integrations.actions.shell import LocalProcesses, ShellRunner
from tocsin.integrations.notifiers import wiring as adapters
from tocsin.integrations.notifiers.renderers.jinja import JinjaRenderer
from tocsin.integrations.passwords import Argon2Hasher
from tocsin.integrations.postmortems import markdown
from tocsin.integrations.postmortems.renderer import TemplateFile
from tocsin.integrations.probes import HttpProbe
from tocsin.integrations.report.render import ReportRenderer
from tocsin.integrations.runbook_files import RunbookDirectory
from tocsin.integrations.source_parsers import SourceParsers
from tocsin.integrations.trackers.github import GitHubTracker
from tocsin.integrations.trackers.http import Credential
from tocsin.integrations.trackers.jira import JiraTracker
from tocsin.store import database, reads
from tocsin.store.insights import SqlInsights
from tocsin.store.notify import PgJobWakeups
from tocsin.store.reads import SqlIncidentReads
from tocsin.store.uow import SqlUnitOfWork

log = logging.getLogger(__name__)


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
    action_items: ActionItems
    exports: Exports
    page_tests: PageTests
    handoffs: HandoffNotices
    notifiers: dict[ContactKind, Notifier] = field(default_factory=dict)
    insights: Insights = field(init=False)  # the quarterly review (set by build)
    quarterly: QuarterlyReviews = field(init=False)  # made and sent at each quarter's end

    def recurring(self) -> list[Recurring]:
        """The chains every worker seeds at start: each health check, hand-off planning (when
        a schedule has `notify_handoff`), pruning, tracker sync, the look for runbook runs
        whose worker died, and the look for a quarter's end."""
        return [
            *self.health.recurring(),
            *self.handoffs.recurring(),
            PRUNE,
            *self.exports.recurring(),
            REAP,
            *self.quarterly.recurring(),
        ]


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
    previous: Tocsin | None = None,
) -> Tocsin:
    """Everything wired from tocsin.yaml. With `previous` (a reload: see `LiveWiring`), its
    file is read again and what outlives a configuration is kept: the database engine, the
    accounts (token cache, login throttle), the clock and the job worker's wake-up signal."""
    env = os.environ if env is None else env
    path = previous.config_path if previous else find_config_path(env, cwd or Path.cwd())
    config = load_config(path)
    if previous is not None:
        refuse_broken(config, path)
        url, engine = previous.database_url, previous.engine
    else:
        url = database_url(config, path, env)
        engine = database.create(url, config.database.sqlite_synchronous)
        if migrate:
            database.upgrade(engine)
    outbox = Outbox()
    renderer = renderer_for(config)
    clock = previous.clock if previous else clock or SystemClock()

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
    accounts = (
        previous.accounts
        if previous
        else AccountService(uow, clock, hasher or Argon2Hasher(), reader)
    )
    alerts = AlertService(uow, clock, config.router, service)
    health = health_monitor(config, probe or HttpProbe(), clock, alerts, uow)
    handlers = JobHandlers()
    handlers.register(PRUNE.kind, prune_done(clock))
    handlers.register(CHECK_JOB, health.handle)
    signal = previous.job_signal if previous else JobSignal()
    outbox.wake, outbox.source = signal.notify, signal.token
    oncall = OncallService(uow, clock, roster_for(config), reader)
    acks = AckLinks(secret_key(env, path), env.get("TOCSIN_PUBLIC_URL"), clock, service)
    adapters = notifiers(config, env, clock)
    install_paging(config, clock, service, oncall, acks, adapters, outbox.handlers, handlers)
    handoffs = HandoffNotices(oncall, handoff_rules(config), clock, uow)
    handoffs.install(handlers)
    specs, actions = typed_actions(config, env)
    runs = runbook_runs(config, path, env, clock, uow, reader, actions, specs)
    Diagnostics(runs, clock).install(outbox.handlers, handlers)
    rb_timeout_s = runs.settings.timeout.total_seconds()
    postmortems = postmortem_service(config, path, clock, service, uow, reader)
    postmortems.install(outbox.handlers)
    postmortem_reminders(config, clock, oncall, adapters).install(outbox.handlers, handlers)
    meetings = postmortem_meetings(config, clock, oncall, adapters, uow)
    meetings.install(handlers)
    items = ActionItems(uow, clock, runbook_index(config, runs), reader)
    exports = tracker_exports(config, env, clock, uow, items)
    exports.install(handlers)
    runner = JobRunner(uow, handlers, clock, random.Random(), reader=reader)  # noqa: S311
    if previous is not None:
        runner.lease = previous.job_runner.lease  # `tocsin worker --lease`
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
        runner,
        signal,
        lambda: job_wakeups(url, signal.token),
        oncall,
        acks,
        callback_secrets(config, env),
        Suggestions(uow, clock, service, reader),
        runs,
        AuditLog(reader),
        ActionService(uow, clock, actions, specs, runs.settings.approval, rb_timeout_s),
        postmortems,
        meetings,
        items,
        exports,
        PageTests(uow, clock, oncall.roster, reader),
        handoffs,
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


def refuse_broken(config: TocsinConfig, path: Path) -> None:
    """A reload is refused for what `tocsin config check` calls an error in the file itself:
    a template that does not render (the schema's errors were raised by load_config)."""
    problems = template_problems(config)
    if problems:
        raise ConfigError(path, problems)


class LiveWiring:
    """The wiring a process serves now, and who to tell when a reload replaces it.

    A reload builds a whole new `Tocsin` from tocsin.yaml beside the one in use and swaps one
    reference: a request in flight keeps the wiring it started with, the next one gets the new
    one, and nothing ever sees half of each. A file that does not load is refused with its
    problems (ConfigError) and the old wiring stays. Settings read once at start (the
    database, `server:`'s timeouts) are named in `restart_needed` when they changed."""

    def __init__(self, tocsin: Tocsin) -> None:
        self.current = tocsin
        self._lock = threading.Lock()  # one reload at a time
        self._listeners: list[Callable[[Tocsin], None]] = []

    def on_change(self, listener: Callable[[Tocsin], None]) -> None:
        self._listeners.append(listener)

    def reload(self, env: Mapping[str, str] | None = None) -> Reloaded:
        """Swap in a wiring built from the file as it is now, or raise ConfigError (logged
        with its problems) and keep the old one."""
        with self._lock:
            old = self.current
            try:
                new = build(env=env, previous=old)
            except ConfigError as exc:
                log.error("reload refused, the old configuration stays in force:\n%s", exc)
                raise
            self.current = new
            for listener in self._listeners:
                listener(new)
        done = Reloaded(new, restart_needed(old.config, new.config, env))
        later = (
            f"; at the next start: {', '.join(done.restart_needed)}" if done.restart_needed else ""
        )
        log.info("reloaded %s%s", new.config_path, later)
        return done

    def reload_in_background(self) -> None:
        """`reload` in a thread of its own, for a signal handler (which must not block the
        event loop or the worker); the outcome goes to the log."""

        def run() -> None:
            try:
                self.reload()
            except ConfigError:
                pass  # logged with its problems
            except Exception:
                log.exception("reload failed; the old configuration stays in force")

        threading.Thread(target=run, name="tocsin-reload").start()


@dataclass(frozen=True, slots=True)
class Reloaded:
    tocsin: Tocsin
    restart_needed: list[str]  # tocsin.yaml sections that changed but apply at the next start


def restart_needed(
    old: TocsinConfig, new: TocsinConfig, env: Mapping[str, str] | None = None
) -> list[str]:
    env = os.environ if env is None else env
    found = []
    if old.database != new.database and not env.get("TOCSIN_DATABASE_URL"):
        found.append("database")
    s, t = old.server, new.server
    if (s.keep_alive, s.request_head_timeout, s.request_body_timeout) != (
        t.keep_alive, t.request_head_timeout, t.request_body_timeout,
    ):  # fmt: skip
        found.append("server timeouts")
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

    n, _ = fold_channels(config.notifiers, config.channels)
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
    NoticeSender(clock, courier, acks.link).install(job_handlers)  # test pages, hand-offs


def handoff_rules(config: TocsinConfig) -> dict[str, HandoffRule]:
    """The schedules whose hand-offs are notified (`notify_handoff: true`)."""
    return {
        s.name: HandoffRule(s.handoff_lead, s.notify_outgoing)
        for s in config.schedules
        if s.notify_handoff
    }


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
        uow, clock, incidents.severities, template, settings, draft_items, reader
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


def typed_actions(
    config: TocsinConfig, env: Mapping[str, str]
) -> tuple[dict[str, ActionSpec], Callable[[], ActionRunner]]:
    """The built-in AWS actions and tocsin.yaml's `runbooks.http_actions`, each name routed
    to its adapter (boto3 loaded only when an AWS action first runs)."""
    defs = config.runbooks.http_defs()
    http = HttpActions(defs, env)
    aws = aws_actions(env)
    routes: dict[str, Callable[[], ActionRunner]] = {name: aws for name in ACTIONS}
    routes.update({name: (lambda: http) for name in defs})
    router = RoutedActions(routes)
    return {**ACTIONS, **{n: d.spec for n, d in defs.items()}}, lambda: router


def runbook_runs(
    config: TocsinConfig,
    config_path: Path,
    env: Mapping[str, str],
    clock: Clock,
    uow: Callable[[], SqlUnitOfWork],
    reader: Callable[[], SqlUnitOfWork],
    actions: Callable[[], ActionRunner] | None = None,
    specs: Mapping[str, ActionSpec] | None = None,
) -> RunbookRuns:
    """Runbooks from `runbooks.dir` (beside tocsin.yaml), run by bash from that folder with a
    clean environment (integrations/actions/shell.py)."""
    rb = config.runbooks
    home = config_path.resolve().parent
    settings = RunSettings(
        rb.shell, rb.output_limit, rb.timeout, dict(rb.values), dict(rb.secrets),
        frozenset(s.casefold() for s in rb.approval), tuple(rb.redact),
        dict(ACTIONS if specs is None else specs),
    )  # fmt: skip
    library = Runbooks(RunbookDirectory(home / rb.dir), settings)
    return RunbookRuns(uow, clock, library, ShellRunner(env, cwd=home), env, reader, actions,
                       LocalProcesses())  # fmt: skip


def runbook_index(
    config: TocsinConfig, runs: RunbookRuns
) -> Callable[[Sequence[str]], dict[str, str]]:
    """The runbooks for some services: name -> the file's path as tocsin.yaml sees it
    (`runbooks/NAME.md`), for an "update runbooks" action item's link."""

    def index(services: Sequence[str]) -> dict[str, str]:
        wanted = {s.casefold() for s in services}
        return {
            rb.name: f"{config.runbooks.dir}/{rb.name}.md"
            for rb in runs.runbooks.readable()
            if wanted & {s.casefold() for s in rb.services}
        }

    return index


def trackers(
    config: TocsinConfig, env: Mapping[str, str], clock: Clock
) -> dict[TrackerKind, Tracker]:
    """One adapter per tracker in `trackers:` whose token is set (`tocsin config check`
    names the missing ones). Adapters connect on first use."""
    t = config.trackers
    timeouts = adapters.Timeouts(
        t.timeouts.connect.total_seconds(), t.timeouts.read.total_seconds()
    )
    found: dict[TrackerKind, Tracker] = {}
    if t.github and (token := env.get(t.github.token_env, "").strip()):
        g = t.github
        found[TrackerKind.GITHUB] = GitHubTracker(
            g.repo, Credential(token, g.token_env), g.base_url, timeouts, clock
        )
    if t.jira and (token := env.get(t.jira.token_env, "").strip()):
        j = t.jira
        found[TrackerKind.JIRA] = JiraTracker(
            j.base_url, j.project, Credential(token, j.token_env), j.email, j.api,
            j.issue_type, timeouts, clock,
        )  # fmt: skip
    return found


def tracker_exports(
    config: TocsinConfig,
    env: Mapping[str, str],
    clock: Clock,
    uow: Callable[[], SqlUnitOfWork],
    items: ActionItems,
) -> Exports:
    t = config.trackers
    default = t.default_tracker()
    public = (env.get("TOCSIN_PUBLIC_URL") or "").rstrip("/")
    assignees = {
        TrackerKind.GITHUB: dict(t.github.assignees) if t.github else {},
        TrackerKind.JIRA: dict(t.jira.assignees) if t.jira else {},
    }
    return Exports(
        uow,
        clock,
        items,
        trackers(config, env, clock),
        None if default is None else TrackerKind(default),
        assignees,
        lambda number: f"{public}/incidents/INC-{number}" if public else None,
        t.sync_every,
    )


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


def job_wakeups(url: str, in_process: str | None = None) -> JobWakeups | None:
    """PostgreSQL wakes workers with NOTIFY; on SQLite they poll (and wake in-process).
    `in_process`: the token of the JobSignal the worker listens to as well, whose commits'
    notifications it skips."""
    return PgJobWakeups(url, in_process) if url.startswith("postgresql") else None


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


def change_markers(
    wired: Tocsin, numbers: frozenset[int]
) -> tuple[tuple[object, ...], tuple[object, ...], dict[int, int]]:
    """What the live streams' change feed compares from one look to the next (web/changes.py);
    DatabaseUnavailable if the database fails."""
    return reads.change_markers(wired.engine, numbers, wired.clock.now())


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
    c, _ = fold_channels(config.notifiers, config.channels)  # one place for connections
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
    """Each channel, tracker and HTTP action secret whose environment variable is unset, and
    each connection that `channels:` and `notifiers:` set differently: found by `config
    check`, not by the first page at 3 a.m."""
    folded, problems = fold_channels(config.notifiers, config.channels)
    return [
        *problems,
        *folded.missing_secrets(env),
        *config.trackers.missing_secrets(env),
        *config.runbooks.missing_secrets(env),
    ]


def policy_problems(config: TocsinConfig) -> list[ConfigProblem]:
    """Escalation targets and announce channels that name nobody: found by `config check`,
    not when the step fires."""
    people = {p.handle for p in config.people}
    schedules = {s.name for s in config.schedules}
    channels = {c.name for c in config.channels}
    found = unknown_targets(config.escalation, people, schedules, channels, in_use=True)
    for i, route in enumerate(config.escalation.announce):
        for name in route.channels:
            if name not in channels:
                listed = ", ".join(sorted(channels)) or "none"
                where = f"escalation.announce[{i}].channels"
                found.append((where, f"channel {name} is not in channels; known: {listed}"))
    return [ConfigProblem(None, where, message) for where, message in found]


def policy_warnings(config: TocsinConfig) -> list[ConfigProblem]:
    """Targets that name nobody in a policy no route or `default_policy` uses yet (a preset's
    placeholders before people and schedules are filled in): warned of, since they page
    nobody until a route names the policy, and then they are problems."""
    people = {p.handle for p in config.people}
    schedules = {s.name for s in config.schedules}
    channels = {c.name for c in config.channels}
    found = unknown_targets(config.escalation, people, schedules, channels, in_use=False)
    return [
        ConfigProblem(
            None,
            where,
            f"{message} (fill it in before a route or default_policy uses this policy)",
        )
        for where, message in found
    ]
