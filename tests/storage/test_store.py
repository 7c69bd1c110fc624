"""Storage contract: dedupe keys, the outbox, one transaction per write (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from storage import outbox
from storage.errors import StorageError
from storage.items import Scope, count_items, list_items
from storage.models import Cadre, Item, Outbox, Unit
from storage.notice import CadreAddress, Notice
from storage.roster import RosterRow, accounts, upsert_cadre

NOW = datetime(2026, 11, 18, 9, 0)


async def test_outbox_dedupe_key_queues_once(db):
    async with db.write() as s:
        first = await outbox.enqueue(s, Notice(CadreAddress(1), "a", "k"), NOW)
        second = await outbox.enqueue(s, Notice(CadreAddress(1), "b", "k"), NOW)
    assert first != [None] and second == [None]
    async with db.session() as s:
        assert [o.body for o in await s.scalars(select(Outbox))] == ["a"]


async def test_write_rolls_back_as_a_whole(db):
    with pytest.raises(RuntimeError):
        async with db.write() as s:
            s.add(Unit(name="临时单位"))
            await s.flush()
            raise RuntimeError("boom")
    async with db.session() as s:
        assert await s.scalar(select(func.count(Unit.id))) == 0


async def test_upsert_cadre_updates_instead_of_duplicating(db):
    row = RosterRow(
        name="张老师",
        unit="计算机学院",
        roles=("cadre",),
        platform_ids=(("wecom", "zhang"),),
        points=(("梅园3栋", "宿舍"),),
    )
    async with db.write() as s:
        _, created = await upsert_cadre(s, row)
    moved = RosterRow(
        name="张老师",
        unit="文学院",
        roles=("cadre", "辅导员"),
        platform_ids=(("wecom", "zhang"), ("dingtalk", "dz")),
        points=(("桂园1栋", "宿舍"),),
    )
    async with db.write() as s:
        _, created_again = await upsert_cadre(s, moved)
    assert created and not created_again
    async with db.session() as s:
        assert await s.scalar(select(func.count(Cadre.id))) == 1
        c = await s.scalar(select(Cadre))
        assert (c.unit.name, c.roles) == ("文学院", ["cadre", "辅导员"])
        assert await accounts(s, c.id) == {"wecom": "zhang", "dingtalk": "dz"}


async def test_item_queries_respect_scope_and_overdue(db):
    async with db.write() as s:
        for n, unit in enumerate(("甲", "乙")):
            await upsert_cadre(
                s,
                RosterRow(name=f"干部{n}", unit=unit, roles=("cadre",), platform_ids=(("wecom", f"u{n}"),), points=()),
            )
        a, b = list(await s.scalars(select(Cadre).order_by(Cadre.id)))
        for owner, deadline in ((a, date(2026, 11, 10)), (a, date(2026, 11, 30)), (b, date(2026, 11, 1))):
            s.add(
                Item(
                    category="食堂",
                    text="x",
                    reporter_id=owner.id,
                    owner_id=owner.id,
                    unit_id=owner.unit_id,
                    deadline=deadline,
                    created_at=NOW,
                )
            )
    today = date(2026, 11, 18)
    async with db.session() as s:
        assert await count_items(s, Scope(a.id), status="overdue", today=today) == 1
        assert await count_items(s, Scope(a.id, everything=True), status="overdue", today=today) == 2
        assert await count_items(s, Scope(b.id, unit_id=b.unit_id), status="open", today=today) == 1
        listed = await list_items(s, Scope(a.id, everything=True), status="open", today=today)
        assert [i.deadline.day for i in listed] == [1, 10, 30]


async def test_sql_errors_do_not_carry_parameters(db):
    """A failing statement's error (which may reach a log) must not contain what users wrote."""
    with pytest.raises(StorageError, match="IntegrityError") as e:
        async with db.write() as s:
            s.add(Unit(name="学生王小明 13800138000"))
            s.add(Unit(name="学生王小明 13800138000"))
    assert "13800138000" not in str(e.value) and "13800138000" not in str(e.value.__cause__)
