"""Incidents, their timeline, services and the id counter.

Revision ID: 0001_incidents
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.store.types import Json, UTCDateTime

revision = "0001_incidents"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.bulk_insert(
        sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.Integer)),
        [{"name": "incident", "value": 0}],
    )
    op.create_table(
        "incidents",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("declared_at", UTCDateTime, nullable=False),
        sa.Column("acknowledged_at", UTCDateTime),
        sa.Column("mitigated_at", UTCDateTime),
        sa.Column("resolved_at", UTCDateTime),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state", Json, nullable=False),
    )
    op.create_index("ix_incidents_status_declared", "incidents", ["status", "declared_at"])
    op.create_index("ix_incidents_severity", "incidents", ["severity"])
    op.create_index("ix_incidents_declared_at", "incidents", ["declared_at"])
    op.create_table(
        "incident_services",
        sa.Column("incident", sa.Integer, sa.ForeignKey("incidents.number"), primary_key=True),
        sa.Column("service", sa.String(100), primary_key=True),
    )
    op.create_index("ix_incident_services_service", "incident_services", ["service"])
    op.create_table(
        "timeline_entries",
        sa.Column("incident", sa.Integer, sa.ForeignKey("incidents.number"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("data", Json, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("timeline_entries")
    op.drop_table("incident_services")
    op.drop_table("incidents")
    op.drop_table("counters")
