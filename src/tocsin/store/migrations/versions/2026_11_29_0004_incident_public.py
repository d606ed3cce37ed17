"""The incident's public JSON beside its stored state, for the read models.

`incidents.public` holds the API's JSON of the incident (app/views.py `incident_text`) and
`public_version` the encoder version that wrote it; existing rows are encoded here, from their
state as `core/snapshot.py` reads it (any stored version). A row that cannot be read keeps
version 0 and is encoded when first read, where its error names it.

Revision ID: 0004_incident_public
Revises: 0003_alerts
Create Date: 2026-11-29
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from tocsin.app.views import PUBLIC_VERSION, incident_text
from tocsin.core import snapshot
from tocsin.store.types import Json

revision = "0004_incident_public"
down_revision = "0003_alerts"
branch_labels = None
depends_on = None

BATCH = 500
log = logging.getLogger(__name__)
incidents = sa.table(
    "incidents",
    sa.column("number", sa.Integer),
    sa.column("state", Json),
    sa.column("public", sa.Text),
    sa.column("public_version", sa.Integer),
)


def upgrade() -> None:
    # Plain ADD COLUMN on SQLite too (no table copy): the defaults mean "not encoded yet".
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("public", sa.Text, nullable=False, server_default=""))
        batch.add_column(
            sa.Column("public_version", sa.Integer, nullable=False, server_default="0")
        )
    backfill(op.get_bind())


def backfill(conn: sa.Connection) -> None:
    c = incidents.c
    store = (
        sa.update(incidents)
        .where(c.number == sa.bindparam("n"))
        .values(public=sa.bindparam("text"), public_version=PUBLIC_VERSION)
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(c.number, c.state).where(c.number > last).order_by(c.number).limit(BATCH)
        ).all()
        if not rows:
            return
        encoded = []
        for number, state in rows:
            try:
                encoded.append({"n": number, "text": incident_text(snapshot.from_dict(state))})
            except snapshot.SnapshotError as exc:
                log.warning("INC-%d left to be encoded when read: %s", number, exc)
        if encoded:
            conn.execute(store, encoded)
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("public_version")
        batch.drop_column("public")
