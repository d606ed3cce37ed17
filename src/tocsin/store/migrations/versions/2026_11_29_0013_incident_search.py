"""The search text of each incident: its title and what people wrote, case-folded; and an
index on incidents.updated_at, for the web's live lists (the latest change, looked up).

Revision ID: 0013_incident_search
Revises: 0012_run_runner
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tocsin.core.search import SEARCHED_KINDS, searchable

revision = "0013_incident_search"
down_revision = "0012_run_runner"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    table = op.create_table(
        "incident_search",
        sa.Column("incident", sa.Integer, sa.ForeignKey("incidents.number"), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_incidents_updated_at", "incidents", ["updated_at"])
    conn = op.get_bind()
    found = conn.execute(sa.text("SELECT number, title FROM incidents")).all()
    titles: dict[int, str] = {int(number): str(title) for number, title in found}
    written: dict[int, list[str]] = {number: [] for number in titles}
    kinds: sa.BindParameter[list[str]] = sa.bindparam(
        "kinds", [k.value for k in SEARCHED_KINDS], expanding=True
    )
    rows = conn.execute(
        sa.text(
            "SELECT incident, text FROM timeline_entries WHERE kind IN :kinds "
            "ORDER BY incident, seq"
        ).bindparams(kinds)
    )
    for number, text in rows:
        written.setdefault(number, []).append(text)
    values = [{"incident": n, "text": searchable([titles[n], *written[n]])} for n in sorted(titles)]
    for start in range(0, len(values), BATCH):
        op.bulk_insert(table, values[start : start + BATCH])


def downgrade() -> None:
    op.drop_table("incident_search")
    op.drop_index("ix_incidents_updated_at", "incidents")
