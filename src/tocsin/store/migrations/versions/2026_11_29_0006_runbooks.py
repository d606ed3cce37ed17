"""Runbook step runs and the audit log.

Revision ID: 0006_runbooks
Revises: 0005_jobs
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.store.types import Json, UTCDateTime

revision = "0006_runbooks"
down_revision = "0005_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runbook_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident", sa.Integer, nullable=False),
        sa.Column("runbook", sa.String(100), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("timeout_s", sa.Float, nullable=False),
        sa.Column("vars", Json, nullable=False),
        sa.Column("secret_names", Json, nullable=False),
        sa.Column("key", sa.String(255), unique=True),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", UTCDateTime),
        sa.Column("started_at", UTCDateTime),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("exit_code", sa.Integer),
        sa.Column("duration_ms", sa.Integer),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("output_bytes", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_runbook_runs_incident", "runbook_runs", ["incident"])
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("incident", sa.Integer),
        sa.Column("detail", Json, nullable=False),
        sa.Column("prev", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("runbook_runs")
