"""Alembic environment: always run with a connection handed in by tocsin.store.database."""

from __future__ import annotations

from alembic import context

from tocsin.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
)
if connection.dialect.name == "postgresql":
    # Two processes starting at once: one migrates, the other waits and then finds head.
    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7406322)")
with context.begin_transaction():
    context.run_migrations()
