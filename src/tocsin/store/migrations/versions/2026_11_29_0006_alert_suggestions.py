"""Suggested incidents: each alert group keeps its last routing decision's declare mode, when
its current firing began, and who dismissed it as a suggestion.

Groups stored before this version get `declare_mode` "suggest" (the shipped default route's
mode until now, and the one that lets a person see them); their next alert stores the mode
their route gives. `firing_since` starts as the group's first alert for groups firing now.

Revision ID: 0006_alert_suggestions
Revises: 0005_jobs
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.store.types import UTCDateTime

revision = "0006_alert_suggestions"
down_revision = "0005_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on SQLite too (no table copy): each is nullable or has a default.
    with op.batch_alter_table("alert_groups") as batch:
        batch.add_column(
            sa.Column("declare_mode", sa.String(8), nullable=False, server_default="suggest")
        )
        batch.add_column(sa.Column("firing_since", UTCDateTime))
        batch.add_column(sa.Column("dismissed_at", UTCDateTime))
        batch.add_column(sa.Column("dismissed_by", sa.String(200)))
    groups = sa.table(
        "alert_groups",
        sa.column("firing", sa.Integer),
        sa.column("first_at", UTCDateTime),
        sa.column("firing_since", UTCDateTime),
    )
    op.execute(sa.update(groups).where(groups.c.firing > 0).values(firing_since=groups.c.first_at))


def downgrade() -> None:
    with op.batch_alter_table("alert_groups") as batch:
        batch.drop_column("dismissed_by")
        batch.drop_column("dismissed_at")
        batch.drop_column("firing_since")
        batch.drop_column("declare_mode")
