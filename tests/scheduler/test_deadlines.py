"""The deadline ladder: due soon → 催办 → 督办 to the unit head → to the leaders, each once,
counted in working days across the 2026 National Day holiday."""

from __future__ import annotations

from datetime import date, datetime

from handlers.policy import Policy
from scheduler.deadlines import deadline_job
from tests.scheduler.conftest import add, cadre, item, reminder_keys, unit

OWNER, HEAD, LEADER1, LEADER2, OTHER_HEAD = 1, 2, 3, 4, 5


async def org(db):
    await add(db, unit(1, "后勤处"), unit(2, "化工学院"))
    await add(
        db,
        cadre(OWNER, name="张三"),
        cadre(HEAD, name="李处长", roles=("cadre", "unit_head")),
        cadre(LEADER1, name="王校长", roles=("leader",), unit_id=2),
        cadre(LEADER2, name="赵书记", roles=("leader",), unit_id=2),
        cadre(OTHER_HEAD, name="钱院长", roles=("unit_head",), unit_id=2),
    )
    await add(db, item(12, OWNER, date(2026, 9, 30), text="3号楼热水器坏了，学生反映一周没热水"))


async def run(db, sender, at: datetime):
    return await deadline_job(at, db, sender, _settings(), Policy())


def _settings():
    from scheduler.settings import parse_settings

    return parse_settings({})


async def test_escalation_ladder_across_national_day(db, sender):
    """Every step counted in working days from the deadline: 催办 on the first working day
    after it, 督办 3 and 7 working days after the 催办 day (issue 12, finding 3)."""
    await org(db)
    assert await run(db, sender, datetime(2026, 9, 27, 9, 0)) == []  # 调休 Sunday; 3 working days left

    soon = await run(db, sender, datetime(2026, 9, 28, 9, 0))  # Monday: 2 working days left
    assert [(m.to.cadre_id, m.not_before) for m in soon] == [(1, None)]
    assert soon[0].body == (
        "【民情通】以下问题即将到期，请抓紧办理：\n"
        "#12 宿舍｜3号楼热水器坏了，学生反映一周没热水｜9月30日到期（还剩2个工作日）\n"
        "回复「办结 #12 结果」办结，或「进展 #12 内容」报告进展。"
    )
    assert await run(db, sender, datetime(2026, 9, 30, 9, 0)) == []  # due soon is sent once

    for day in range(1, 8):  # National Day: no working day after the deadline yet, nothing queued
        assert await run(db, sender, datetime(2026, 10, day, 9, 0)) == [], day
    nudge = await run(db, sender, datetime(2026, 10, 8, 9, 0))  # first working day after: 催办
    assert [(m.to.cadre_id, m.not_before) for m in nudge] == [(1, None)]
    assert "催办" in nudge[0].body and "已逾期8天" in nudge[0].body and "回复「办结 #12" in nudge[0].body

    for day in (9, 10, 11):  # 9, 10 (调休 Saturday) are the 1st and 2nd working day after the 催办 day
        assert await run(db, sender, datetime(2026, 10, day, 9, 0)) == [], day

    head = await run(db, sender, datetime(2026, 10, 12, 9, 0))  # 3rd working day after the 催办 day
    assert [(m.to.cadre_id, m.not_before) for m in head] == [(HEAD, None)]
    assert "督办" in head[0].body and "责任人：张三" in head[0].body and "后勤处" in head[0].body
    assert "回复「转办 #12" in head[0].body

    for day in (13, 14, 15):
        assert await run(db, sender, datetime(2026, 10, day, 9, 0)) == [], day
    leaders = await run(db, sender, datetime(2026, 10, 16, 9, 0))  # 7th working day after the 催办 day
    assert sorted(m.to.cadre_id for m in leaders) == [LEADER1, LEADER2]
    assert all("报领导" in m.body and "#12" in m.body for m in leaders)

    assert await run(db, sender, datetime(2026, 10, 20, 9, 0)) == []  # every step once
    assert await reminder_keys(db) == {"due_soon:1:#12", "nudge:1:#12", "esc_head:u1:#12", "esc_leaders:all:#12"}


async def test_due_friday_escalates_three_working_days_after_monday_nudge(db, sender):
    """Due Friday 2026-11-20: 催办 Monday 23rd, 督办 to the head Thursday 26th (not Wednesday),
    to the leaders on the 7th working day after Monday: Wednesday 2 December."""
    await org(db)
    async with db.write() as s:
        from sqlalchemy import update

        from storage.models import Item

        await s.execute(update(Item).values(deadline=date(2026, 11, 20)))
    assert await run(db, sender, datetime(2026, 11, 21, 9, 0)) == []  # Saturday: not yet a working day after
    assert [m.to.cadre_id for m in await run(db, sender, datetime(2026, 11, 23, 9, 0))] == [1]
    assert await run(db, sender, datetime(2026, 11, 25, 9, 0)) == []  # Wednesday: only 2 working days
    assert [m.to.cadre_id for m in await run(db, sender, datetime(2026, 11, 26, 9, 0))] == [HEAD]
    assert await run(db, sender, datetime(2026, 12, 1, 9, 0)) == []
    assert sorted(m.to.cadre_id for m in await run(db, sender, datetime(2026, 12, 2, 9, 0))) == [LEADER1, LEADER2]


async def test_due_monday_is_reminded_two_working_days_before_not_on_saturday(db, sender):
    """到期前2天 counts working days: an item due Monday 2026-11-30 is reminded on Thursday."""
    await org(db)
    async with db.write() as s:
        from sqlalchemy import update

        from storage.models import Item

        await s.execute(update(Item).values(deadline=date(2026, 11, 30)))
    assert await run(db, sender, datetime(2026, 11, 25, 9, 0)) == []  # Wednesday: 3 working days left
    soon = await run(db, sender, datetime(2026, 11, 26, 9, 0))
    assert [m.to.cadre_id for m in soon] == [1] and "11月30日到期（还剩2个工作日）" in soon[0].body
    assert await run(db, sender, datetime(2026, 11, 28, 9, 0)) == []  # Saturday: already claimed


async def test_after_downtime_all_due_steps_go_out_once(db, sender):
    await org(db)
    sent = await run(db, sender, datetime(2026, 10, 16, 9, 0))
    assert sorted(m.to.cadre_id for m in sent) == [1, 2, 3, 4]
    assert "即将到期" not in sent[0].body  # an overdue item is not also "due soon"


async def test_resolved_items_are_left_alone(db, sender):
    await add(db, unit(1), cadre(1))
    await add(
        db,
        item(1, 1, date(2026, 10, 13), status="resolved", resolved_at=datetime(2026, 10, 12)),
        item(2, 1, date(2026, 10, 13), status="closed"),
        item(3, 1, date(2026, 10, 13), status="revoked"),
    )
    assert await run(db, sender, datetime(2026, 10, 20, 9, 0)) == []


async def test_accept_nudge_for_items_not_signed_for(db, sender):
    await add(db, unit(1), cadre(1, name="张三"), cadre(2, name="李四"))
    await add(
        db,
        item(7, 1, date(2026, 11, 30), status="new", created_at=datetime(2026, 10, 12, 10, 0), reporter_id=2),
        item(8, 1, date(2026, 11, 30), status="new", created_at=datetime(2026, 10, 13, 8, 0), reporter_id=2),
    )
    sent = await run(db, sender, datetime(2026, 10, 13, 10, 30))  # 24.5 h after #7, 2.5 h after #8
    assert len(sent) == 1
    assert "#7" in sent[0].body and "#8" not in sent[0].body and "回复「签收 #7」" in sent[0].body
    again = await run(db, sender, datetime(2026, 10, 14, 10, 30))
    assert len(again) == 1 and "#8" in again[0].body and "#7" not in again[0].body


async def test_no_accept_nudge_for_an_item_the_owner_reported_themselves(db, sender):
    """A cadre who reported an item and owns it is never asked to 签收 it (issue 10)."""
    await add(db, unit(1), cadre(1, name="张三"), cadre(2, name="李四"))
    await add(
        db,
        item(7, 1, date(2026, 11, 30), status="new", created_at=datetime(2026, 10, 12, 10, 0)),
        item(8, 1, date(2026, 11, 30), status="new", created_at=datetime(2026, 10, 12, 10, 0), reporter_id=2),
    )
    sent = await run(db, sender, datetime(2026, 10, 13, 10, 30))
    assert [m.to.cadre_id for m in sent] == [1]
    assert "#8" in sent[0].body and "#7" not in sent[0].body
    assert "accept:1:#7" not in await reminder_keys(db)


async def test_owner_on_leave_is_reminded_after_coming_back(db, sender):
    await add(db, unit(1), cadre(1, leave_until=date(2026, 10, 14)))
    await add(db, item(9, 1, date(2026, 10, 12)))
    assert await run(db, sender, datetime(2026, 10, 13, 9, 0)) == []
    assert await reminder_keys(db) == set()
    back = await run(db, sender, datetime(2026, 10, 15, 9, 0))
    assert [m.to.cadre_id for m in back] == [1] and "催办" in back[0].body


async def test_one_message_per_owner_listing_items_within_limits(db, sender):
    await add(db, unit(1), cadre(1))
    await add(db, *[item(i, 1, date(2026, 10, 12), text="很长的问题描述" * 20) for i in range(1, 41)])
    sent = await run(db, sender, datetime(2026, 10, 13, 9, 0))
    assert len(sent) == 1
    body = sent[0].body
    assert len(body.encode()) <= 2048 and "等共40项" in body and "#1 " in body
    assert len(await reminder_keys(db)) == 40  # every item's step is claimed
