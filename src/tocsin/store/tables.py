"""The schema. `incidents` is the projection; `timeline_entries` is the log it is folded from."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tocsin.store.types import Json, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)

incidents = Table(
    "incidents",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("title", Text, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("status", String(16), nullable=False),
    Column("declared_at", UTCDateTime, nullable=False),
    Column("acknowledged_at", UTCDateTime),
    Column("mitigated_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("state", Json, nullable=False),  # core/snapshot.py: versioned, upgraded on read
    # The API's JSON of the incident (app/views.py: incident_text) and the encoder version
    # that wrote it; the read models serve it as is, encoding again what is older (0: never).
    Column("public", Text, nullable=False, server_default=""),
    Column("public_version", Integer, nullable=False, server_default="0"),
    Index("ix_incidents_status_declared", "status", "declared_at"),
    Index("ix_incidents_severity", "severity"),
    Index("ix_incidents_declared_at", "declared_at"),
    Index("ix_incidents_updated_at", "updated_at"),  # the live lists' change mark
)

incident_services = Table(
    "incident_services",
    metadata,
    Column("incident", Integer, ForeignKey("incidents.number"), primary_key=True),
    Column("service", String(100), primary_key=True),
    Index("ix_incident_services_service", "service"),
)

# What a text search reads (core/search.py): the title and what people wrote, case-folded,
# appended to as entries are written: one row per incident instead of its whole timeline.
incident_search = Table(
    "incident_search",
    metadata,
    Column("incident", Integer, ForeignKey("incidents.number"), primary_key=True),
    Column("text", Text, nullable=False),
)

# One row per incident for the quarterly review (core/insights.py), kept by the incident
# repository in the same transaction as the incident: times in whole seconds since the epoch,
# lists of names joined by a newline. A review reads these rows, never the timeline.
incident_facts = Table(
    "incident_facts",
    metadata,
    Column("number", Integer, ForeignKey("incidents.number"), primary_key=True),
    Column("severity", String(20), nullable=False),
    Column("declared", BigInteger, nullable=False),
    Column("acknowledged", BigInteger),
    Column("resolved", BigInteger),  # the last resolve; NULL while open or reopened
    Column("first_resolved", BigInteger),
    Column("reopens", Integer, nullable=False, server_default="0"),
    Column("services", Text, nullable=False, server_default=""),
    Column("tenants", Text, nullable=False, server_default=""),
    Column("all_tenants", Boolean, nullable=False, server_default="0"),
    Column("steps_run", Integer, nullable=False, server_default="0"),  # by people
    Column("runbooks", Text, nullable=False, server_default=""),  # whose steps people ran
    Index("ix_incident_facts_declared", "declared"),
)

# The quarterly reviews made when a quarter ended (app/insights.py), as sent: listed on the
# dashboard; `deliveries` says, per destination, what came of sending it.
insights_reviews = Table(
    "insights_reviews",
    metadata,
    Column("quarter", String(8), primary_key=True),
    Column("made_at", UTCDateTime, nullable=False),
    Column("incidents", Integer, nullable=False),
    Column("markdown", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("deliveries", Json, nullable=False),
    Column("summary", Text, nullable=False),
)

timeline_entries = Table(
    "timeline_entries",
    metadata,
    Column("incident", Integer, ForeignKey("incidents.number"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("data", Json, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    # The user the token acts for (None: a token made on the server, for nobody in particular).
    Column("owner_id", Integer, ForeignKey("users.id"), index=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

integrations = Table(
    "integrations",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("source", String(20), nullable=False),
    Column("key", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("rotated_at", UTCDateTime),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("integration", String(100), nullable=False),
    Column("dedup_key", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("source_severity", String(40)),
    Column("severity", String(20), nullable=False),
    Column("service", String(100), nullable=False),
    Column("group_key", String(64), nullable=False),
    Column("labels", Json, nullable=False),
    Column("annotations", Json, nullable=False),
    Column("source_url", Text),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("starts_at", UTCDateTime),
    Column("ends_at", UTCDateTime),
    Column("count", Integer, nullable=False),
    Column("flaps", Integer, nullable=False),
    Column("incident", Integer),
    Column("suppressed_by", String(40)),
    Column("acknowledged", Boolean, nullable=False),
    UniqueConstraint("integration", "dedup_key", name="uq_alerts_integration_dedup"),
    Index("ix_alerts_last_seen", "last_seen"),
    Index("ix_alerts_group_key", "group_key"),
    Index("ix_alerts_incident", "incident"),
)

alert_groups = Table(
    "alert_groups",
    metadata,
    Column("group_key", String(64), primary_key=True),
    Column("service", String(100), nullable=False),
    Column("incident", Integer),
    Column("alerts", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("firing", Integer, nullable=False),
    Column("first_at", UTCDateTime, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
    Column("label_counts", Json, nullable=False),
    Column("next_milestone", Integer, nullable=False),
    # The routing decision's declare mode at the group's last alert (auto, suggest, never),
    # when the current firing began, and who dismissed it as a suggestion (until it fires
    # again after every alert resolved).
    Column("declare_mode", String(8), nullable=False, server_default="suggest"),
    Column("firing_since", UTCDateTime),
    Column("dismissed_at", UTCDateTime),
    Column("dismissed_by", String(200)),
)

silences = Table(
    "silences",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("matchers", Json, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("author", String(200), nullable=False),
    Column("comment", Text, nullable=False),
    Index("ix_silences_ends_at", "ends_at"),
)

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String(100), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("author", String(200), nullable=False),
    Column("comment", Text, nullable=False),
    Index("ix_maintenance_windows_ends_at", "ends_at"),
)

change_events = Table(
    "change_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("integration", String(100), nullable=False),
    Column("summary", Text, nullable=False),
    Column("source", String(255)),
    Column("at", UTCDateTime, nullable=False),
    Column("details", Json, nullable=False),
    Index("ix_change_events_at", "at"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("payload", Json, nullable=False),
    Column("status", String(16), nullable=False),
    Column("due", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("lease_owner", String(200)),
    Column("lease_expires", UTCDateTime),
    Column("incident", Integer),
    Column("key", String(255), unique=True),
    Index("ix_jobs_status_due", "status", "due"),
    Index("ix_jobs_incident", "incident"),
)

health_samples = Table(
    "health_samples",
    metadata,
    Column("check_key", String(255), primary_key=True),
    Column("at", UTCDateTime, primary_key=True),
    Column("service", String(100), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("detail", Text, nullable=False),
    Index("ix_health_samples_service_at", "service", "at"),
)

oncall_overrides = Table(
    "oncall_overrides",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("schedule", String(100), nullable=False),
    Column("person", String(100), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_oncall_overrides_schedule_ends_at", "schedule", "ends_at"),
)

calendar_feeds = Table(
    "calendar_feeds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target", String(16), nullable=False),  # "schedule" or "person"
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

runbook_runs = Table(
    "runbook_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident", Integer, nullable=False),
    Column("runbook", String(100), nullable=False),
    Column("step", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("command", Text, nullable=False),
    Column("action", String(64), nullable=False),  # a typed action's name; "" for shell
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("status", String(20), nullable=False),
    Column("timeout_s", Float, nullable=False),
    Column("vars", Json, nullable=False),  # variables given, secrets excepted
    Column("secret_names", Json, nullable=False),  # read from the environment when it runs
    Column("key", String(255), unique=True),  # one run per key: triggered diagnostics
    Column("approved_by", String(200)),
    Column("approved_at", UTCDateTime),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("exit_code", Integer),
    Column("duration_ms", Integer),
    Column("output", Text, nullable=False),  # the whole output, redacted
    Column("output_bytes", Integer, nullable=False),
    Column("note", Text, nullable=False),
    Column("runner", String(300), nullable=False, server_default=""),  # host:pid running it
    Index("ix_runbook_runs_incident", "incident"),
    Index("ix_runbook_runs_status", "status"),
)

# Test pages and hand-off notices: one row per person, contact method and occasion
# (app/notices.py); the row is the marker written before a send, so a rerun sends nothing twice.
notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("purpose", String(16), nullable=False),  # "test" or "handoff"
    Column("key", String(255), nullable=False, unique=True),
    Column("person", String(100), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("address", String(500), nullable=False),
    Column("label", String(100), nullable=False),
    Column("subject", String(100), nullable=False),  # the schedule of a hand-off
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("detail", Text, nullable=False),
    Column("remote_id", String(255)),
    Column("requested_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("acknowledged_at", UTCDateTime),
    Column("acknowledged_via", String(50)),
    Index("ix_notices_purpose_person", "purpose", "person"),
)

# Append-only, each record chained to the one before by its hash (core/audit.py).
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("incident", Integer),
    Column("detail", Json, nullable=False),
    Column("prev", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# One row per incident whose post-mortem is due or written (core/postmortem.py): the due
# date set at resolve, the current version and status, the last published version.
postmortems = Table(
    "postmortems",
    metadata,
    Column("incident", Integer, primary_key=True, autoincrement=False),
    Column("due", UTCDateTime),  # None: not required (or reopened since)
    Column("version", Integer, nullable=False),  # the current version; 0: none written yet
    Column("status", String(16)),  # the current version's status
    Column("published_version", Integer),  # the newest published version
    Column("author", String(200)),
    Column("category", String(64)),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_postmortems_due", "due"),
)

# Every saved version, never updated: the history, and each published text as it was.
postmortem_versions = Table(
    "postmortem_versions",
    metadata,
    Column("incident", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(200), nullable=False),
    Column("category", String(64)),
    Column("saved_by", String(200), nullable=False),
    Column("saved_at", UTCDateTime, nullable=False),
    Column("action", String(16), nullable=False),
)

# Action items (core/action_items.py) and where each is tracked (one row per tracker).
action_items = Table(
    "action_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("owner", String(100), nullable=False),
    Column("deadline", Date),
    Column("priority", String(4), nullable=False),
    Column("labels", Json, nullable=False),
    Column("status", String(16), nullable=False),
    Column("category", String(32), nullable=False),
    Column("runbook", Text),
    Column("postmortem", String(200)),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("closed_at", UTCDateTime),  # when it became done or won't do; None while open
    Index("ix_action_items_incident", "incident"),
    Index("ix_action_items_owner", "owner"),
    Index("ix_action_items_status_deadline", "status", "deadline"),
)

action_item_exports = Table(
    "action_item_exports",
    metadata,
    Column("item", Integer, ForeignKey("action_items.id"), primary_key=True),
    Column("tracker", String(16), primary_key=True),
    Column("external_id", String(100)),
    Column("url", Text),
    Column("remote_status", String(40)),
    Column("last_error", Text),
    Column("exported_at", UTCDateTime),
    Column("synced_at", UTCDateTime),
    Column("creating_until", UTCDateTime),  # one worker at a time may create the issue
)
