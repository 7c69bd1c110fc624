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


async def test_0019_moves_platform_ids_into_accounts_and_back(db):
    from sqlalchemy import text

    await migrate.downgrade(db, "0018")
    async with db.engine.begin() as conn:
        await conn.execute(text("insert into units (id, name) values (1, '计算机学院')"))
        await conn.execute(
            text(
                "insert into cadres (id, name, unit_id, roles, wecom_userid, dingtalk_userid, dingtalk_staffid, active)"
                " values (1, '张', 1, '[]', 'zhang', 'dz', 'dz', true), (2, '李', 1, '[]', null, null, 'staff9', true),"
                " (3, '王', 1, '[]', null, null, null, true)"
            )
        )
    await migrate.upgrade(db)
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("select cadre_id, channel, account_id from platform_accounts order by cadre_id, channel")
            )
        ).all()
        columns = {c["name"] for c in await conn.run_sync(lambda c: inspect(c).get_columns("cadres"))}
    assert [tuple(r) for r in rows] == [(1, "dingtalk", "dz"), (1, "wecom", "zhang"), (2, "dingtalk", "staff9")]
    assert not columns & {"wecom_userid", "dingtalk_userid", "dingtalk_staffid"}
    await migrate.downgrade(db, "0018")
    async with db.engine.connect() as conn:
        back = (await conn.execute(text("select id, wecom_userid, dingtalk_userid from cadres order by id"))).all()
    assert [tuple(r) for r in back] == [(1, "zhang", "dz"), (2, None, "staff9"), (3, None, None)]
    await migrate.upgrade(db)
