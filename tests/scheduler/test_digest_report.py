"""Weekly digest (masked, within size limits, once per group and week) and monthly report."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from handlers.policy import Policy
from scheduler.digest import weekly_digest_job
from scheduler.monthly import monthly_report_job
from scheduler.settings import parse_settings
from storage import metrics
from storage.models import Followup, ItemEvent
from storage.notice import GroupAddress
from tests.scheduler.conftest import add, cadre, group, item, point, unit, visit

MON = datetime(2026, 10, 19, 9, 0)  # Monday; last week = 12–18 Oct
PHONE = re.compile(r"1[3-9]\d{9}")
ID = re.compile(r"\d{17}[\dXx]")


async def test_unit_digest_is_masked_and_counts_last_week(db, sender, settings):
    await add(db, unit(1, "化学学院"), unit(2, "物理学院"))
    await add(db, cadre(1, name="张老师"), cadre(2, name="李老师"), cadre(3, unit_id=2))
    await add(db, group(1, 1), group(2, 2, "dingtalk"))
    await add(
        db, visit(1, date(2026, 10, 13)), visit(1, date(2026, 10, 14)), visit(2, date(2026, 10, 19))
    )  # this week: not counted
    await add(
        db,
        item(
            1,
            1,
            date(2026, 10, 15),
            created_at=datetime(2026, 10, 13, 9),
            text="学生王小明反映宿舍漏水，电话13812345678，身份证420106200301011234",
            category="宿舍",
        ),
        item(2, 2, date(2026, 10, 30), created_at=datetime(2026, 10, 14, 9), category="食堂"),
        item(
            3,
            2,
            date(2026, 10, 30),
            created_at=datetime(2026, 10, 14, 9),
            category="食堂",
            status="resolved",
            resolved_at=datetime(2026, 10, 16, 9),
        ),
    )
    sent = await weekly_digest_job(MON, db, sender, settings, Policy())
    by = {m.to.binding_id: m for m in sent}
    body = by[1].body
    assert isinstance(by[1].to, GroupAddress) and by[1].kind == "markdown"
    assert "化学学院 周报（10.12—10.18）" in body
    assert "走访：2次，1/2名干部下基层（50.0%）" in body
    assert "新增问题：3项（食堂2，宿舍1）" in body and "办结问题：1项" in body and "逾期未办结：1项" in body
    assert "#1 宿舍" in body and "王某某" in body and "王小明" not in body
    assert not PHONE.search(body) and not ID.search(body) and "138****5678" in body
    assert "响应率" in body and "解决率33.3%" in body and "按时办结率100.0%" in body and "满意率—" in body
    assert "物理学院" in by[2].body
    assert await weekly_digest_job(MON, db, sender, settings, Policy()) == []  # once per week
    # a holiday Monday waits for the next working day
    holiday = await weekly_digest_job(datetime(2026, 10, 5, 9, 0), db, sender, settings, Policy())
    assert {m.not_before for m in holiday} == {datetime(2026, 10, 8, 9, 0)}


async def test_unit_digest_fits_one_message(db, sender, settings):
    await add(db, unit(1), cadre(1))
    await add(db, group(1, 1))
    long = "学生反映宿舍楼道灯坏了很久，晚上回宿舍很不方便，希望尽快修好，" * 3
    await add(db, *[item(i, 1, date(2026, 10, 1), text=long) for i in range(1, 101)])
    (msg,) = await weekly_digest_job(MON, db, sender, settings, Policy())
    assert len(msg.body.encode()) <= 4096
    assert "共100项逾期" in msg.body and "累计：响应率" in msg.body


async def test_unit_digest_lists_the_longest_overdue_few(db, sender, settings):
    """A group reads the digest at a glance: the ten longest overdue items, then the total."""
    await add(db, unit(1), cadre(1))
    await add(db, group(1, 1))
    await add(db, *[item(i, 1, date(2026, 9, 1) + timedelta(days=i), text=f"问题{i}") for i in range(1, 41)])
    (msg,) = await weekly_digest_job(MON, db, sender, settings, Policy())
    listed = [line for line in msg.body.splitlines() if line.startswith("> #")]
    assert [line.split()[1] for line in listed] == [f"#{i}" for i in range(1, 11)]
    assert "共40项逾期" in msg.body


@pytest.mark.parametrize(("channel", "limit"), [("wecom", 4096), ("dingtalk", 20000)])
async def test_leaders_digest_is_split_by_bytes(db, sender, settings, channel, limit):
    await add(db, *[unit(i, f"第{i}个很长名字的学院或部门") for i in range(1, 201)])
    await add(db, *[cadre(i, unit_id=i) for i in range(1, 201)])
    await add(db, *[visit(i, date(2026, 10, 13), unit_id=i) for i in range(1, 201)])
    await add(db, group(1, None, channel, leaders=True))
    sent = await weekly_digest_job(MON, db, sender, settings, Policy())
    assert len(sent) > 1 and all(len(m.body.encode()) <= limit for m in sent)
    assert all(m.to.binding_id == 1 for m in sent)
    assert sent[0].body.startswith(f"**【民情通】全校（全单位）周报（10.12—10.18）**（1/{len(sent)}）")
    text = "\n".join(m.body for m in sent)
    assert all(f"第{i}个很长名字的学院或部门：" in text for i in range(1, 201))
    assert len({m.dedupe_key for m in sent}) == len(sent)


async def test_metrics_follow_the_definitions(db):
    await add(db, unit(1), cadre(1))
    t = datetime(2026, 10, 1, 9, 0)
    await add(
        db,
        item(
            1,
            1,
            date(2026, 10, 5),
            created_at=t,
            responded_at=datetime(2026, 10, 1, 20),
            status="closed",
            resolved_at=datetime(2026, 10, 5, 18),
        ),  # in time, on time
        item(
            2,
            1,
            date(2026, 10, 5),
            created_at=t,
            responded_at=datetime(2026, 10, 3, 9),
            status="resolved",
            resolved_at=datetime(2026, 10, 6, 9),
        ),  # late response, late
        item(3, 1, date(2026, 10, 5), created_at=t, status="new"),  # no response yet
        item(4, 1, date(2026, 10, 5), created_at=t, status="reopened"),
        item(5, 1, date(2026, 10, 5), created_at=t, status="revoked"),
    )  # not counted
    await add(
        db,
        Followup(item_id=1, actor_id=1, rating="满意", at=datetime(2026, 10, 6)),
        Followup(item_id=2, actor_id=1, rating="基本满意", at=datetime(2026, 10, 7)),
        Followup(item_id=4, actor_id=1, rating="不满意", at=datetime(2026, 10, 7)),
        ItemEvent(item_id=4, kind="reopened", at=datetime(2026, 10, 7), data={}),
    )
    async with db.session() as s:
        m = (
            await metrics.unit_metrics(
                s, datetime(2026, 10, 10), response_hours=24, weights=Policy().satisfaction_weights
            )
        )[1]
    assert m.items == 4
    assert m.response_rate == pytest.approx(2 / 4)  # #1 and #4 (responded at creation) in time
    assert m.resolve_rate == pytest.approx(2 / 4)
    assert m.on_time_rate == pytest.approx(1 / 2)
    assert m.satisfaction_rate == pytest.approx((1 + 0.9) / 3)
    assert m.reopen_rate == pytest.approx(1 / 3)


async def test_monthly_report_to_leaders(db, sender, settings):
    await add(db, unit(1, "化学学院"), unit(2, "物理学院"))
    await add(
        db,
        cadre(1, name="张老师"),
        cadre(2, name="李老师"),
        cadre(3, name="王老师", unit_id=2),
        cadre(9, name="孙校长", roles=("leader",), unit_id=2),
        cadre(8, name="周书记", roles=("leader",), unit_id=2, leave_until=date(2026, 11, 3)),
    )
    await add(db, point(1, 1, "1号楼"), point(2, 2, "2号楼"), point(3, 3, "3号楼"))
    await add(
        db,
        visit(1, date(2026, 10, 31), place="1号楼"),  # met on the last day
        visit(2, date(2026, 11, 1), place="2号楼", unit_id=1),
    )  # November: not October
    await add(
        db,
        item(
            1,
            1,
            date(2026, 10, 20),
            created_at=datetime(2026, 10, 10, 9),
            status="resolved",
            resolved_at=datetime(2026, 10, 10, 17),
        ),  # solved the same day: not a task
        item(2, 1, date(2026, 10, 20), created_at=datetime(2026, 10, 11, 9)),
    )
    sent = await monthly_report_job(datetime(2026, 11, 2, 9, 0), db, sender, settings, Policy())
    assert [m.to.cadre_id for m in sent] == [9]  # 8 is on leave
    body = sent[0].body
    assert body.startswith("【民情通】2026年10月工作月报")
    assert "走访任务：1/3名干部完成（走访完成率33.3%）" in body
    assert "问题清单2项，任务清单1项，效果清单1项" in body
    assert "化学学院：走访完成1/2" in body and "物理学院：走访完成0/1" in body
    assert "李老师" in body and "王老师" in body and "张老师" not in body
    assert "minqing export --format xlsx --month 2026-10 --out 台账.xlsx" in body
    assert await monthly_report_job(datetime(2026, 11, 3, 9, 0), db, sender, settings, Policy()) == []


async def test_monthly_report_is_bounded(db, sender):
    s = parse_settings({"monthly_max_parts": 2})
    await add(db, *[unit(i, f"单位{i:03d}") for i in range(1, 301)])
    await add(db, *[cadre(i, unit_id=i) for i in range(1, 301)], cadre(999, roles=("leader",)))
    await add(db, *[point(i, i, "1号楼") for i in range(1, 301)])
    sent = await monthly_report_job(datetime(2026, 11, 2, 9, 0), db, sender, s, Policy())
    assert len(sent) == 2 and all(len(m.body.encode()) <= 2048 for m in sent)
    assert "其余单位和干部明细见台账" in sent[-1].body and "minqing export" in sent[-1].body
