"""Post-mortems and their versions.

Revision ID: 0010_postmortems
Revises: 0009_runbooks
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.store.types import UTCDateTime

revision = "0010_postmortems"
down_revision = "0009_runbooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postmortems",
        sa.Column("incident", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("due", UTCDateTime),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16)),
        sa.Column("published_version", sa.Integer),
        sa.Column("author", sa.String(200)),
        sa.Column("category", sa.String(64)),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_postmortems_due", "postmortems", ["due"])
    op.create_table(
        "postmortem_versions",
        sa.Column("incident", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("category", sa.String(64)),
        sa.Column("saved_by", sa.String(200), nullable=False),
        sa.Column("saved_at", UTCDateTime, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("postmortem_versions")
    op.drop_index("ix_postmortems_due", "postmortems")
    op.drop_table("postmortems")
