"""Alembic migrations, run programmatically on the application's own async engine.

On PostgreSQL every run holds a transaction-level advisory lock (`MIGRATION_LOCK`), so several
instances starting together on one database migrate one after the other: the first brings the
schema to head, the others find it there and do nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from storage.db import Database
from storage.errors import translated

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x6D71_0017  # pg_advisory_xact_lock key: "mq" + this migration's revision


def alembic_config() -> Config:
    """Alembic configuration pointing at storage/migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest). Raises StorageError."""
    await _run(db, command.upgrade, revision)


async def downgrade(db: Database, revision: str) -> None:
    """Migrate the database down to `revision` ("base": no tables; used by the tests)."""
    await _run(db, command.downgrade, revision)


async def _run(db: Database, step: Callable[[Config, str], None], revision: str) -> None:
    cfg = alembic_config()

    def run(sync_conn: Connection) -> None:
        cfg.attributes["connection"] = sync_conn
        step(cfg, revision)

    with translated():
        async with db.engine.begin() as conn:
            if not db.is_sqlite:  # released when this transaction ends (commit or rollback)
                await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            await conn.run_sync(run)


async def current_revision(db: Database) -> str | None:
    """The schema revision the database is at, or None before the first migration."""
    with translated():
        async with db.engine.connect() as conn:
            return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def head_revision() -> str | None:
    """The newest schema revision this code ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
