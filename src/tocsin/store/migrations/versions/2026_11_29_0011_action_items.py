"""Action items and where each is tracked (GitHub Issues, Jira).

Revision ID: 0011_action_items
Revises: 0010_postmortems
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.store.types import Json, UTCDateTime

revision = "0011_action_items"
down_revision = "0010_postmortems"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("deadline", sa.Date),
        sa.Column("priority", sa.String(4), nullable=False),
        sa.Column("labels", Json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("runbook", sa.Text),
        sa.Column("postmortem", sa.String(200)),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("closed_at", UTCDateTime),
    )
    op.create_index("ix_action_items_incident", "action_items", ["incident"])
    op.create_index("ix_action_items_owner", "action_items", ["owner"])
    op.create_index("ix_action_items_status_deadline", "action_items", ["status", "deadline"])
    op.create_table(
        "action_item_exports",
        sa.Column("item", sa.Integer, sa.ForeignKey("action_items.id"), primary_key=True),
        sa.Column("tracker", sa.String(16), primary_key=True),
        sa.Column("external_id", sa.String(100)),
        sa.Column("url", sa.Text),
        sa.Column("remote_status", sa.String(40)),
        sa.Column("last_error", sa.Text),
        sa.Column("exported_at", UTCDateTime),
        sa.Column("synced_at", UTCDateTime),
        sa.Column("creating_until", UTCDateTime),
    )


def downgrade() -> None:
    op.drop_table("action_item_exports")
    op.drop_index("ix_action_items_status_deadline", "action_items")
    op.drop_index("ix_action_items_owner", "action_items")
    op.drop_index("ix_action_items_incident", "action_items")
    op.drop_table("action_items")
