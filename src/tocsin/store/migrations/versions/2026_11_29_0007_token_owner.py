"""API tokens name the user they act for, so disabling the user revokes them.

Revision ID: 0007_token_owner
Revises: 0006_alert_suggestions
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_token_owner"
down_revision = "0006_alert_suggestions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("owner_id", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_api_tokens_owner_id_users", "users", ["owner_id"], ["id"])
        batch.create_index("ix_api_tokens_owner_id", ["owner_id"])


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index("ix_api_tokens_owner_id")
        batch.drop_constraint("fk_api_tokens_owner_id_users", type_="foreignkey")
        batch.drop_column("owner_id")
