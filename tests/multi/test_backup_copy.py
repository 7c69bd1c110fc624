"""`minqing db copy` SQLite → PostgreSQL keeps every row and id (sequences continue after
them); `minqing backup` / `restore` give back exactly what was saved."""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest
from sqlalchemy import select

from bot.roster_import import import_roster
from storage import migrate
from storage import outbox as q
from storage.backup import BackupError, backup, copy, restore
from storage.db import Database
from storage.models import Base, Cadre, Outbox
from storage.notice import CadreAddress, Notice
from tests.multi.conftest import PG_URL

ROSTER = __import__("pathlib").Path(__file__).parents[2] / "bot" / "demo" / "roster.csv"
NOW = datetime(2026, 11, 18, 10, 0)


async def _filled_sqlite(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path}/src.db")
    await migrate.upgrade(db)
    await import_roster(db, ROSTER)
    async with db.write() as s:
        for i in range(5):
            await q.enqueue(s, Notice(CadreAddress(1), f"第{i}条", f"k{i}"), NOW)
        await q.mark_failed(s, 2, attempts=8, error="x")
        s.add(
            Outbox(
                id=40,
                channel="auto",
                target_kind="cadre",
                target="2",
                body="跳号",
                status="sent",
                attempts=1,
                next_attempt_at=NOW,
                created_at=NOW,
                subject={"job": "duties", "to": 2},
            )
        )
    return db


async def _dump(db: Database) -> dict[str, list[tuple]]:
    out = {}
    async with db.engine.connect() as conn:
        for t in Base.metadata.sorted_tables:
            rows = (await conn.execute(t.select().order_by(*t.primary_key.columns))).all()
            out[t.name] = [tuple(r) for r in rows]
    return out


async def test_copy_sqlite_to_postgresql_keeps_ids_and_continues_numbering(tmp_path, pg_pair):
    target, _ = pg_pair
    await migrate.downgrade(target, "base")  # copy migrates the target itself
    src = await _filled_sqlite(tmp_path)
    before = await _dump(src)
    copied = await copy(src.url, PG_URL)
    assert dict(copied)["outbox"] == 6 and dict(copied)["cadres"] == len(before["cadres"]) > 0
    assert await _dump(target) == before
    async with target.write() as s:  # the sequence continues after the highest copied id
        assert await q.enqueue(s, Notice(CadreAddress(1), "新"), NOW) == [41]
        s.add(Cadre(name="新干部", unit_id=before["cadres"][0][2], roles=["cadre"]))
        await s.flush()
        newest = await s.scalar(select(Cadre.id).order_by(Cadre.id.desc()).limit(1))
    assert newest == max(r[0] for r in before["cadres"]) + 1
    with pytest.raises(BackupError, match="not empty"):
        await copy(src.url, PG_URL)
    await src.dispose()


async def test_sqlite_backup_and_restore(tmp_path):
    db = await _filled_sqlite(tmp_path)
    saved = await _dump(db)
    backup(db.url, tmp_path / "b" / "minqing.db")
    async with db.write() as s:
        await q.enqueue(s, Notice(CadreAddress(1), "之后"), NOW)
    await db.dispose()
    restore(db.url, tmp_path / "b" / "minqing.db")
    db = Database(db.url)
    assert await _dump(db) == saved
    await db.dispose()


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="PostgreSQL client tools not installed")
async def test_postgresql_backup_and_restore(tmp_path, pg_pair):
    db, _ = pg_pair
    await import_roster(db, ROSTER)
    async with db.write() as s:
        await q.enqueue(s, Notice(CadreAddress(1), "之前"), NOW)
    saved = await _dump(db)
    backup(PG_URL, tmp_path / "pg.dump")
    async with db.write() as s:
        await q.enqueue(s, Notice(CadreAddress(1), "之后"), NOW)
    await db.dispose()
    restore(PG_URL, tmp_path / "pg.dump")
    assert await _dump(db) == saved
    with pytest.raises(BackupError, match="no backup file"):
        restore(PG_URL, tmp_path / "missing.dump")
