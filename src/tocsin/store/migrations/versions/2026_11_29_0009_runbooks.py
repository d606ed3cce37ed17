"""Runbook step runs and the audit log.

Revision ID: 0009_runbooks
Revises: 0008_oncall
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.store.types import Json, UTCDateTime

revision = "0009_runbooks"
down_revision = "0008_oncall"
branch_labels = None
depends_on = None


# The audit log refuses UPDATE and DELETE: records are only ever appended. (Whoever owns the
# database can drop the trigger; the hash chain then shows what they changed.)
APPEND_ONLY = {
    "sqlite": [
        f"CREATE TRIGGER audit_log_no_{what} BEFORE {what.upper()} ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        for what in ("update", "delete")
    ],
    "postgresql": [
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    ],
}


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
    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE")
    op.drop_table("audit_log")
    op.drop_table("runbook_runs")
