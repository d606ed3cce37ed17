"""Alert ingestion: integrations, alerts, alert groups, silences, maintenance, changes.

Revision ID: 0003_alerts
Revises: 0002_accounts
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.store.types import Json, UTCDateTime

revision = "0003_alerts"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None

NEW_TABLES = (
    "change_events",
    "maintenance_windows",
    "silences",
    "alert_groups",
    "alerts",
    "integrations",
)


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("rotated_at", UTCDateTime),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("integration", sa.String(100), nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("source_severity", sa.String(40)),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("group_key", sa.String(64), nullable=False),
        sa.Column("labels", Json, nullable=False),
        sa.Column("annotations", Json, nullable=False),
        sa.Column("source_url", sa.Text),
        sa.Column("first_seen", UTCDateTime, nullable=False),
        sa.Column("last_seen", UTCDateTime, nullable=False),
        sa.Column("starts_at", UTCDateTime),
        sa.Column("ends_at", UTCDateTime),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("flaps", sa.Integer, nullable=False),
        sa.Column("incident", sa.Integer),
        sa.Column("suppressed_by", sa.String(40)),
        sa.Column("acknowledged", sa.Boolean, nullable=False),
        sa.UniqueConstraint("integration", "dedup_key", name="uq_alerts_integration_dedup"),
    )
    op.create_index("ix_alerts_last_seen", "alerts", ["last_seen"])
    op.create_index("ix_alerts_group_key", "alerts", ["group_key"])
    op.create_index("ix_alerts_incident", "alerts", ["incident"])
    op.create_table(
        "alert_groups",
        sa.Column("group_key", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("incident", sa.Integer),
        sa.Column("alerts", sa.Integer, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("firing", sa.Integer, nullable=False),
        sa.Column("first_at", UTCDateTime, nullable=False),
        sa.Column("last_at", UTCDateTime, nullable=False),
        sa.Column("label_counts", Json, nullable=False),
        sa.Column("next_milestone", sa.Integer, nullable=False),
    )
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("matchers", Json, nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
    )
    op.create_index("ix_silences_ends_at", "silences", ["ends_at"])
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
    )
    op.create_index("ix_maintenance_windows_ends_at", "maintenance_windows", ["ends_at"])
    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("integration", sa.String(100), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("source", sa.String(255)),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("details", Json, nullable=False),
    )
    op.create_index("ix_change_events_at", "change_events", ["at"])


def downgrade() -> None:
    for table in NEW_TABLES:
        op.drop_table(table)
