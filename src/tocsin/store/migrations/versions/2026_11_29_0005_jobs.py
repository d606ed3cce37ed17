"""Durable jobs, and the health checks' samples that the check jobs share.

Revision ID: 0005_jobs
Revises: 0004_incident_public
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.store.types import Json, UTCDateTime

revision = "0005_jobs"
down_revision = "0004_incident_public"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("lease_owner", sa.String(200)),
        sa.Column("lease_expires", UTCDateTime),
        sa.Column("incident", sa.Integer),
        sa.Column("key", sa.String(255), unique=True),
    )
    op.create_index("ix_jobs_status_due", "jobs", ["status", "due"])
    op.create_index("ix_jobs_incident", "jobs", ["incident"])
    op.create_table(
        "health_samples",
        sa.Column("check_key", sa.String(255), primary_key=True),
        sa.Column("at", UTCDateTime, primary_key=True),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_health_samples_service_at", "health_samples", ["service", "at"])


def downgrade() -> None:
    op.drop_table("health_samples")
    op.drop_table("jobs")
