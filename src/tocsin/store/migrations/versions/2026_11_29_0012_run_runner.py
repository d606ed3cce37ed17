"""Which process runs a runbook step (`runner`: host:pid), so a run whose process died is
found and marked failed; an index on the runs' status for that search.

Revision ID: 0012_run_runner
Revises: 0011_action_items
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_run_runner"
down_revision = "0011_action_items"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runbook_runs") as batch:
        batch.add_column(sa.Column("runner", sa.String(300), nullable=False, server_default=""))
    op.create_index("ix_runbook_runs_status", "runbook_runs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_runbook_runs_status", "runbook_runs")
    with op.batch_alter_table("runbook_runs") as batch:
        batch.drop_column("runner")
