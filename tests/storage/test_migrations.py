"""Schema changes go through Alembic; the models and the migrations never drift apart."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage import migrate
from storage.models import Base


async def test_upgrade_reaches_head_and_creates_every_table(db):
    assert await migrate.current_revision(db) == migrate.head_revision()
    async with db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables


async def test_models_match_migrations(db):
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    assert diff == []


async def test_downgrade_to_base_and_back(db):
    await migrate.downgrade(db, "base")
    assert await migrate.current_revision(db) is None
    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()


async def test_upgrade_twice_is_harmless(db):
    await migrate.upgrade(db)
    assert await migrate.current_revision(db) == migrate.head_revision()
