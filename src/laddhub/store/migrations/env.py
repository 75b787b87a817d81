"""Alembic environment: migrations run on a connection handed over by `laddhub.store.migrate`."""

from __future__ import annotations

from alembic import context

from laddhub.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations with `laddhub db upgrade` (laddhub.store.migrate), not the alembic CLI"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
