"""Alembic environment: the connection is handed in by storage.migrate (never opened here)."""

from alembic import context

from storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `minqing db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite needs batch mode for ALTER
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
