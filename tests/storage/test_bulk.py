"""storage.bulk and Database.run_write: multi-row inserts with the same values, types and
conflict handling as the ORM, on SQLite and PostgreSQL; WAL checkpoints off the hot path."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from storage import bulk, inbound
from storage.errors import StorageError
from storage.models import InboundMessage, Unit, Visit

AT = datetime(2026, 11, 18, 9, 30, 15)


def arrival(key: str, text: str = "走访记录") -> inbound.Arrival:
    return inbound.Arrival(dedupe_key=key, channel="wecom", sender="u1", chat_id=None, text=text, at=AT, cadre_id=None)


async def test_claim_skips_known_keys_and_returns_the_new_ids(db):
    first = await db.run_write(inbound.claim_many, [arrival("a"), arrival("b")])
    again = await db.run_write(inbound.claim_many, [arrival("b"), arrival("c"), arrival("c")])
    assert set(first) == {"a", "b"} and set(again) == {"c"}
    assert len(set(first.values()) | set(again.values())) == 3
    async with db.session() as s:
        rows = list(await s.scalars(select(InboundMessage).order_by(InboundMessage.id)))
    assert [r.dedupe_key for r in rows] == ["a", "b", "c"]
    assert all(r.received_at == AT and r.status == "received" for r in rows)  # read back as the ORM wrote it


async def test_a_refused_batch_leaves_nothing_and_text_with_nul_is_kept(db):
    async with db.write() as s:
        unit = Unit(name="计算机学院")
        s.add(unit)
        await s.flush()
    claimed = await db.run_write(inbound.claim_many, [arrival("k", "含\x00字符")])

    def write(conn):
        return bulk.insert_rows(
            conn,
            Visit.__table__,
            [
                {
                    "cadre_id": None,
                    "unit_id": unit.id,
                    "date": date(2026, 11, 18),
                    "place_type": "宿舍",
                    "place": "梅园3栋",
                    "people": 5,
                    "text": "t",
                    "message_id": claimed["k"],
                    "created_at": AT,
                    "revoked_at": None,
                }
            ],
            returning=("id",),
        )

    with pytest.raises(
        StorageError, match="IntegrityError"
    ):  # cadre_id is NOT NULL: the database refuses, nothing half-written
        await db.run_write(write)
    async with db.session() as s:
        assert await s.scalar(select(Visit.id)) is None
        assert (await s.scalar(select(InboundMessage.text))) == "含\ufffd字符"


async def test_many_rows_are_split_below_the_parameter_limit(db, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_PARAMS", 30)  # 9 columns → 3 rows per statement on SQLite
    claimed = await db.run_write(inbound.claim_many, [arrival(f"k{i:02}", f"第{i}条") for i in range(10)])
    assert sorted(claimed) == [f"k{i:02}" for i in range(10)]
    async with db.session() as s:
        rows = list(await s.scalars(select(InboundMessage).order_by(InboundMessage.id)))
    assert [(r.id, r.text) for r in rows] == [(claimed[f"k{i:02}"], f"第{i}条") for i in range(10)]


async def test_wal_checkpoints_run_off_the_loop_every_so_many_commits(db, monkeypatch):
    if db._sync_engine is None:
        pytest.skip("SQLite file databases only")
    import storage.db as storage_db

    monkeypatch.setattr(storage_db, "CHECKPOINT_EVERY", 3)
    for i in range(2):
        await db.run_write(inbound.claim_many, [arrival(f"k{i}")])
    assert db._checkpoint_task is None
    await db.run_write(inbound.claim_many, [arrival("k2")])
    assert db._checkpoint_task is not None
    await db._checkpoint_task
    async with db.engine.connect() as conn:  # a PASSIVE checkpoint copied the whole WAL back
        busy, frames, copied = (await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")).one()
    assert busy == 0 and frames == copied
