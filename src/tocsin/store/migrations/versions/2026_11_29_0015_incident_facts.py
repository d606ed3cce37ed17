"""Per-incident facts for the quarterly review, filled in from the incidents there are;
the reviews made at each quarter's end.

The incident repository keeps `incident_facts` in the same transaction as the incident from
now on; existing incidents get their row here, from their state and the few timeline entries
that add to it (`store/insights.py`, `rebuild`; `tocsin report rebuild` runs it again).

Revision ID: 0015_incident_facts
Revises: 0014_page_tests
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.store.insights import rebuild
from tocsin.store.types import Json, UTCDateTime

revision = "0015_incident_facts"
down_revision = "0014_page_tests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_facts",
        sa.Column("number", sa.Integer, sa.ForeignKey("incidents.number"), primary_key=True),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("declared", sa.BigInteger, nullable=False),
        sa.Column("acknowledged", sa.BigInteger),
        sa.Column("resolved", sa.BigInteger),
        sa.Column("first_resolved", sa.BigInteger),
        sa.Column("reopens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("services", sa.Text, nullable=False, server_default=""),
        sa.Column("tenants", sa.Text, nullable=False, server_default=""),
        sa.Column("all_tenants", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("steps_run", sa.Integer, nullable=False, server_default="0"),
        sa.Column("runbooks", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_incident_facts_declared", "incident_facts", ["declared"])
    op.create_table(
        "insights_reviews",
        sa.Column("quarter", sa.String(8), primary_key=True),
        sa.Column("made_at", UTCDateTime, nullable=False),
        sa.Column("incidents", sa.Integer, nullable=False),
        sa.Column("markdown", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("deliveries", Json, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
    )
    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("insights_reviews")
    op.drop_table("incident_facts")
