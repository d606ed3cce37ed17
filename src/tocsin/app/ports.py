"""Ports: what the use cases need from the world, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from tocsin.core.access import AccessRole
from tocsin.core.actions import ActionResult
from tocsin.core.audit import AuditRecord
from tocsin.core.execution import Execution, RunRecord, RunStatus
from tocsin.core.health import Sample
from tocsin.core.incident import Incident
from tocsin.core.jobs import Job, JobSpec, JobStatus
from tocsin.core.lifecycle import Status
from tocsin.core.notify import ContactKind, ContactMethod, Delivery, Notification
from tocsin.core.postmortem import Postmortem
from tocsin.core.postmortem import Summary as PostmortemSummary
from tocsin.core.timeline import TimelineEntry

if TYPE_CHECKING:
    from tocsin.app.accounts import ApiToken, Session, User
    from tocsin.app.action_items import ActionItemRepository
    from tocsin.app.alert_records import AlertGroup, AlertRow, Integration, Suggestion
    from tocsin.app.notice_records import NoticePurpose, NoticeRecord
    from tocsin.app.oncall_records import CalendarFeed, OverrideRecord
    from tocsin.core.alerts import AlertStatus
    from tocsin.core.silences import MaintenanceWindow, Silence


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    statuses: tuple[Status, ...] = ()
    severities: tuple[str, ...] = ()
    service: str | None = None
    since: datetime | None = None
    limit: int = 50
    offset: int = 0
    text: str | None = None  # in the title or what people wrote (core/search.py), any case


@dataclass(frozen=True, slots=True)
class Recorded:
    """Timeline entries written in the current transaction, with their incident."""

    incident: Incident
    entries: tuple[TimelineEntry, ...]


class IncidentRepository(Protocol):
    def next_number(self) -> int: ...
    def add(self, incident: Incident) -> None: ...
    def get(self, number: int) -> Incident: ...
    def save(self, incident: Incident) -> None: ...
    def find(self, query: IncidentFilter) -> list[Incident]: ...
    def count(self, query: IncidentFilter) -> int: ...
    def timeline(self, number: int) -> list[TimelineEntry]: ...
    def take_recorded(self) -> list[Recorded]:
        """The entries written since the last call (add and save record them)."""
        ...

    # Read models: the API's JSON as stored, without building aggregates (the hot pages).
    def find_json(self, query: IncidentFilter) -> tuple[list[str], int]: ...
    def detail_json(self, number: int) -> str: ...


class IncidentReads(Protocol):
    """The read models on their own, outside a unit of work (one statement each)."""

    def find_json(self, query: IncidentFilter) -> tuple[list[str], int]: ...
    def detail_json(self, number: int) -> str: ...


class Transaction(Protocol):
    """One transaction: entered, committed by the caller, rolled back on exit otherwise."""

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...


class JobRepository(Protocol):
    """The `jobs` table. `owner` names a claimer; complete and fail act only while the
    owner still holds the lease (False otherwise: another worker has it now)."""

    def schedule(self, spec: JobSpec) -> bool: ...  # False: a job with that key exists
    def claim(self, owner: str, now: datetime, lease: timedelta, limit: int) -> list[Job]: ...
    def complete(self, job_id: int, owner: str) -> bool: ...
    def fail(self, job_id: int, owner: str, error: str, retry_at: datetime | None) -> bool: ...
    def next_due(self) -> datetime | None: ...  # the earliest a job becomes claimable
    def get(self, job_id: int) -> Job | None: ...
    def find(self, statuses: tuple[JobStatus, ...] = (), limit: int = 100) -> list[Job]: ...
    def counts(self) -> dict[JobStatus, int]: ...
    def requeue(self, job_id: int, due: datetime) -> bool: ...  # dead -> queued, attempts 0
    def advance(self, key: str, due: datetime) -> bool: ...  # a queued job, brought forward
    def prune(self, before: datetime) -> int: ...  # delete done jobs due before


class JobWakeups(Protocol):
    """Tells a sleeping worker that jobs were scheduled elsewhere (PostgreSQL NOTIFY)."""

    def wait(self, timeout_s: float) -> bool: ...  # True when woken before the timeout
    def close(self) -> None: ...


class HealthSampleRepository(Protocol):
    def add(self, check: str, service: str, sample: Sample) -> bool: ...  # False: slot taken
    def recent(self, check: str, limit: int) -> list[Sample]: ...  # newest first
    def window(self, service: str, since: datetime) -> list[Sample]: ...  # oldest first
    def prune(self, check: str, before: datetime) -> int: ...


class MessageRenderer(Protocol):
    def render(self, template: str, context: Mapping[str, Any]) -> str | None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, hashed: str, password: str) -> bool: ...


class AccountRepository(Protocol):
    def add_user(
        self, username: str, password_hash: str, role: AccessRole, now: datetime
    ) -> User: ...
    def user_by_name(self, username: str) -> User | None: ...
    def user_by_id(self, user_id: int) -> User | None: ...
    def users(self) -> list[User]: ...
    def enabled_admins(self, lock: bool = False) -> list[int]:
        """Ids of the enabled admins; with `lock`, their rows stay locked until COMMIT."""
        ...

    def update_user(
        self,
        user_id: int,
        *,
        role: AccessRole | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> None: ...
    def add_token(
        self,
        name: str,
        role: AccessRole,
        token_hash: str,
        created_by: str,
        now: datetime,
        owner_id: int | None = None,
    ) -> ApiToken: ...
    def tokens(self) -> list[ApiToken]: ...
    def token_by_hash(self, token_hash: str) -> ApiToken | None: ...
    def revoke_token(self, token_id: int, now: datetime) -> ApiToken | None: ...
    def revoke_tokens_of(self, user_id: int, now: datetime) -> None: ...
    def add_session(
        self, session_hash: str, user_id: int, csrf: str, expires: datetime
    ) -> None: ...
    def session_by_hash(self, session_hash: str) -> Session | None: ...
    def delete_session(self, session_hash: str) -> None: ...
    def end_sessions_of(self, user_id: int) -> None: ...


@dataclass(frozen=True, slots=True)
class AlertFilter:
    status: AlertStatus | None = None
    service: str | None = None
    integration: str | None = None
    incident: int | None = None
    suppressed: bool | None = None
    limit: int = 50
    offset: int = 0
    group_key: str | None = None
    # The severity keys, most severe first: then firing before resolved, most severe first,
    # then the most recent. Empty: the most recent first.
    severity_order: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SuggestionFilter:
    severity_order: tuple[str, ...]  # most severe first: the worst suggestions come first
    dismissed: bool = False  # True: the dismissed ones instead, with who and when
    limit: int = 50
    offset: int = 0


class AlertRepository(Protocol):
    def add_integration(self, name: str, source: str, key: str, now: datetime) -> None: ...
    def rotate_integration(self, name: str, key: str, now: datetime) -> bool: ...
    def integrations(self) -> list[Integration]: ...
    def integration_by_key(self, key: str) -> Integration | None: ...
    def lock_groups(self, group_keys: list[str]) -> None:
        """Hold these groups until COMMIT, so concurrent writers count and declare each
        group one at a time (a no-op where the database has one writer at a time)."""
        ...

    def by_keys(self, integration: str, keys: Iterable[str]) -> dict[str, AlertRow]: ...
    def insert_alerts(self, rows: list[AlertRow]) -> None: ...
    def update_alerts(self, rows: list[AlertRow]) -> None: ...
    def link_group(self, group_key: str, incident: int, firing: bool = False) -> None:
        """The group's alerts without an incident join it; with `firing`, so do its firing
        alerts still linked to an earlier (closed) incident."""
        ...

    def incident_open(self, number: int) -> bool: ...
    def find(self, query: AlertFilter) -> list[AlertRow]: ...
    def count(self, query: AlertFilter) -> int: ...
    def alert(self, alert_id: int) -> AlertRow | None: ...
    def suggestions(self, query: SuggestionFilter) -> list[Suggestion]: ...
    def count_suggestions(self, query: SuggestionFilter) -> int: ...
    def group(self, group_key: str) -> AlertGroup | None: ...
    def groups(self, group_keys: Iterable[str]) -> dict[str, tuple[AlertGroup, bool]]:
        """The stored groups among these keys, each with whether its incident is open (False
        without one), in one statement where `group` and `incident_open` take one each."""
        ...

    def save_group(self, group: AlertGroup) -> None: ...
    def add_silence(self, silence: Silence) -> int: ...
    def expire_silence(self, silence_id: int, now: datetime) -> bool: ...
    def silences(self, now: datetime, include_expired: bool = False) -> list[Silence]: ...
    def add_window(self, window: MaintenanceWindow) -> int: ...
    def window(self, window_id: int) -> MaintenanceWindow | None: ...
    def update_window(self, window: MaintenanceWindow) -> None: ...
    def windows(self, now: datetime, include_expired: bool = False) -> list[MaintenanceWindow]: ...
    def add_change(
        self, integration: str, summary: str, source: str | None, at: datetime, details: Any
    ) -> None: ...


class OncallRepository(Protocol):
    """Overrides made at run time (the schedules themselves live in tocsin.yaml), and
    calendar feeds with their hashed secrets."""

    def add_override(self, override: OverrideRecord) -> int: ...  # its new id
    def overrides(
        self, schedule: str | None = None, ending_after: datetime | None = None
    ) -> list[OverrideRecord]: ...  # oldest first: a later one wins where they overlap
    def remove_override(self, override_id: int) -> OverrideRecord | None: ...
    def add_feed(
        self, target: str, name: str, token_hash: str, created_by: str, now: datetime
    ) -> CalendarFeed: ...
    def feeds(self) -> list[CalendarFeed]: ...
    def feed_by_hash(self, token_hash: str) -> CalendarFeed | None: ...
    def remove_feed(self, feed_id: int) -> CalendarFeed | None: ...


class NoticeRepository(Protocol):
    """Test pages and hand-off notices (`notices`), one row per person, method and occasion."""

    def add(self, notice: NoticeRecord) -> int | None: ...  # the new id; None: that key exists
    def get(self, notice_id: int) -> NoticeRecord | None: ...
    def by_key(self, key: str) -> NoticeRecord | None: ...
    def save(self, notice: NoticeRecord) -> None: ...  # status, attempts, times, detail
    def find(
        self, purpose: NoticePurpose, person: str | None = None, limit: int = 500
    ) -> list[NoticeRecord]: ...  # newest first


class RunRepository(Protocol):
    """Runbook step runs (`runbook_runs`): requested, approved, finished, with the whole
    (redacted) output."""

    def add(self, run: RunRecord) -> int | None: ...  # the new id; None: that key exists
    def get(self, run_id: int) -> RunRecord | None: ...
    def by_key(self, key: str) -> RunRecord | None: ...
    def save(self, run: RunRecord) -> None: ...
    def save_if(self, run: RunRecord, status: RunStatus) -> bool: ...  # False: it changed
    def running(self, limit: int = 100) -> list[RunRecord]: ...
    def for_incident(self, incident: int, limit: int = 100) -> list[RunRecord]: ...


class ProcessTable(Protocol):
    """Whether the process running a step (`host:pid`) is still there: True, False, or None
    when this host cannot tell (another host's process)."""

    def me(self) -> str: ...
    def alive(self, runner: str) -> bool | None: ...


class AuditRepository(Protocol):
    """The append-only audit log (core/audit.py). `last` holds the log until COMMIT, so two
    writers never chain onto the same record."""

    def last(self) -> AuditRecord | None: ...
    def append(self, record: AuditRecord) -> None: ...
    def page(self, after: int, limit: int) -> list[AuditRecord]: ...  # seq > after, in order


class PostmortemRepository(Protocol):
    """Post-mortems (core/postmortem.py): versions are only ever added; `save` refuses a
    version number another writer took (StaleVersion)."""

    def get(self, incident: int) -> Postmortem | None: ...
    def save(self, doc: Postmortem, now: datetime) -> None: ...
    def set_due(self, incident: int, due: datetime | None, now: datetime) -> None: ...
    def summary(self, incident: int) -> PostmortemSummary | None: ...
    def find(
        self, overdue_at: datetime | None = None, limit: int = 200
    ) -> list[PostmortemSummary]: ...  # with overdue_at: due before it, unpublished


class UnitOfWork(Transaction, Protocol):
    """One transaction over every repository the use cases need. `commit` first hands the
    timeline entries recorded in it to the registered handlers (app/uow.py), which write the
    work they cause in the same transaction, then commits."""

    @property
    def incidents(self) -> IncidentRepository: ...

    @property
    def alerts(self) -> AlertRepository: ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def jobs(self) -> JobRepository: ...

    @property
    def health(self) -> HealthSampleRepository: ...

    @property
    def oncall(self) -> OncallRepository: ...

    @property
    def runs(self) -> RunRepository: ...

    @property
    def audit(self) -> AuditRepository: ...

    @property
    def postmortems(self) -> PostmortemRepository: ...

    @property
    def action_items(self) -> ActionItemRepository: ...

    @property
    def notices(self) -> NoticeRepository: ...


class RunbookLibrary(Protocol):
    """The runbooks directory: Markdown files, read only (written only by `runbook import`)."""

    def names(self) -> list[str]: ...
    def read(self, name: str) -> str: ...  # NotFound naming the directory and what is there
    def write(self, name: str, text: str, replace: bool = False) -> str: ...  # the path


class CommandRunner(Protocol):
    """Runs one step's command (integrations/actions/shell.py): `bash -c` in a new process
    group, a clean environment plus `env`, the whole group killed at the timeout."""

    def run(self, command: str, env: Mapping[str, str], timeout_s: float) -> Execution: ...


class ActionRunner(Protocol):
    """Carries out typed actions (integrations/actions/aws.py); failures are results."""

    def run(self, name: str, params: dict[str, Any], dry_run: bool) -> ActionResult: ...


class Notifier(Protocol):
    """One channel's adapter (integrations/notifiers/): renders and delivers. It never
    raises for the far side's trouble: every outcome is a Delivery, so a caller retries or
    falls back to the person's next method. An adapter whose far side drops a repeat of the
    same idempotency key says so with a class attribute `idempotent = True` (Courier)."""

    kind: ContactKind

    def send(self, to: ContactMethod, notification: Notification) -> Delivery: ...


class Directory(Protocol):
    """Who is on call and how people and channels are reached (config and overrides)."""

    def on_call(self, schedule: str, at: datetime, uow: UnitOfWork | None = None) -> str | None:
        """`uow`: read the overrides in that transaction (a step fired inside one), not on a
        connection of its own: a declaration holding its connection while waiting for a
        second one from the pool could wait for ever under load."""
        ...

    def reach(self, person: str) -> list[tuple[timedelta, ContactMethod]]:
        """The person's notification rules in order: (after, method)."""
        ...

    def channel(self, name: str) -> ContactMethod | None: ...
