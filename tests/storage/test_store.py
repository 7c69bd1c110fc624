"""Storage contract: dedupe keys, the outbox, one transaction per write (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage import outbox
from storage.errors import StorageError
from storage.items import Scope, count_items, count_items_split, list_items
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


async def _cadres(s, units: tuple[str, ...]) -> list[Cadre]:
    """One cadre 干部<n> (account u<n>) in each of `units`, in order."""
    for n, unit in enumerate(units):
        await upsert_cadre(s, RosterRow(f"干部{n}", unit, ("cadre",), (("wecom", f"u{n}"),), ()))
    return list(await s.scalars(select(Cadre).order_by(Cadre.id)))


def _item(owner: Cadre, deadline: date, **fields) -> Item:
    """An item raised and owned by `owner`, created at NOW."""
    fields = {"category": "食堂", "text": "x", **fields}
    return Item(
        reporter_id=owner.id, owner_id=owner.id, unit_id=owner.unit_id, deadline=deadline, created_at=NOW, **fields
    )


async def test_item_queries_respect_scope_and_overdue(db):
    async with db.write() as s:
        a, b = await _cadres(s, ("甲", "乙"))
        for owner, deadline in ((a, date(2026, 11, 10)), (a, date(2026, 11, 30)), (b, date(2026, 11, 1))):
            s.add(_item(owner, deadline))
    today = date(2026, 11, 18)
    async with db.session() as s:
        assert await count_items(s, Scope(a.id), status="overdue", today=today) == 1
        assert await count_items(s, Scope(a.id, everything=True), status="overdue", today=today) == 2
        assert await count_items(s, Scope(b.id, unit_id=b.unit_id), status="open", today=today) == 1
        listed = await list_items(s, Scope(a.id, everything=True), status="open", today=today)
        assert [i.deadline.day for i in listed] == [1, 10, 30]
        assert [i.owner.id for i in listed] == [b.id, a.id, a.id]
        assert [i.is_overdue(today) for i in listed] == [True, True, False]
        # the period's count and the older still-open ones, in one query
        everyone = Scope(a.id, everything=True)
        assert await count_items_split(s, everyone, status="open", today=today, start=NOW) == (3, 0)
        assert await count_items_split(s, everyone, status="open", today=today, start=NOW + timedelta(1)) == (0, 3)
        assert await count_items_split(s, Scope(a.id), status="overdue", today=today, start=NOW - timedelta(1)) == (
            1,
            0,
        )


async def test_sql_errors_do_not_carry_parameters(db):
    """A failing statement's error (which may reach a log) must not contain what users wrote."""
    with pytest.raises(StorageError, match="IntegrityError") as e:
        async with db.write() as s:
            s.add(Unit(name="学生王小明 13800138000"))
            s.add(Unit(name="学生王小明 13800138000"))
    assert "13800138000" not in str(e.value) and "13800138000" not in str(e.value.__cause__)


async def test_items_are_plain_records_written_with_their_event(db):
    """get_item gives plain data (owner, reporter, unit by name); a change is written with the
    event that logs it, only the columns that changed, and a revoked item is not found."""
    from storage.items import UnitRef, add_event, get_item, item_history
    from storage.models import ItemEvent
    from storage.roster import Sender

    async with db.write() as s:
        a, b = await _cadres(s, ("甲单位", "乙单位"))
        s.add(_item(a, date(2026, 11, 25), category="宿舍", text="热水不稳"))
        s.add(_item(a, date(2026, 11, 25), status="revoked"))
    async with db.write() as s:
        item = await get_item(s, 1)
        assert item is not None and not isinstance(item, Item)
        assert (item.owner.name, item.reporter.name, item.unit.name) == ("干部0", "干部0", "甲单位")
        assert item.changes() == {} and await get_item(s, 2) is None  # revoked
        item.assign(Sender(b.id, "干部1", b.unit_id), UnitRef(b.unit_id, "乙单位"))
        item.status = "in_progress"
        assert item.changes() == {"owner_id": b.id, "unit_id": b.unit_id, "status": "in_progress"}
        await add_event(s, item, "transferred", a.id, NOW, to_owner=b.id)
        assert item.changes() == {}
    async with db.session() as s:
        again = await get_item(s, 1)
        assert again is not None and (again.owner.name, again.unit.name, again.status) == (
            "干部1",
            "乙单位",
            "in_progress",
        )
        assert again.text == "热水不稳" and again.deadline == date(2026, 11, 25)  # untouched columns kept
        assert [e.kind for e, _ in await item_history(s, 1)] == ["transferred"]
        assert await s.scalar(select(func.count(ItemEvent.id))) == 1


async def test_only_the_cadres_a_question_can_name_are_read(db):
    """cadre_names_in: full names written in the text, or names starting with a titled surname;
    inactive cadres never (a question's person filter no longer reads the whole roster)."""
    from storage.roster import cadre_names_in

    async with db.write() as s:
        for name in ("张伟", "张敏", "李娜", "王芳", "赵强"):
            await upsert_cadre(s, RosterRow(name, "甲单位", ("cadre",), (("wecom", f"u-{name}"),), ()))
        await s.flush()
        gone = await s.scalar(select(Cadre).where(Cadre.name == "赵强"))
        assert gone is not None
        gone.active = False
    async with db.session() as s:
        assert [n.name for n in await cadre_names_in(s, "李娜本月走访了几次")] == ["李娜"]
        assert [n.name for n in await cadre_names_in(s, "张老师的待办", ["张"])] == ["张伟", "张敏"]
        assert await cadre_names_in(s, "赵强的待办") == []  # inactive
        assert await cadre_names_in(s, "本月未办结") == []
