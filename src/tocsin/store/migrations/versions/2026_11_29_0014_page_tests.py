"""Notices: test pages (`tocsin page test PERSON`) and hand-off notifications, one row per
person, contact method and occasion, with what came back and when a test was acknowledged.

Revision ID: 0014_page_tests
Revises: 0013_incident_search
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.store.types import UTCDateTime

revision = "0014_page_tests"
down_revision = "0013_incident_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("remote_id", sa.String(255)),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("acknowledged_at", UTCDateTime),
        sa.Column("acknowledged_via", sa.String(50)),
    )
    op.create_index("ix_notices_purpose_person", "notices", ["purpose", "person"])


def downgrade() -> None:
    op.drop_table("notices")
