"""Masking of personal data, and the operations functions behind `minqing jobs`."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from handlers.policy import Policy
from handlers.privacy import mask
from scheduler import ops
from scheduler.settings import parse_settings
from storage.models import Outbox, Reminder
from tests.scheduler.conftest import add, cadre, count, group, item, point, unit


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("联系电话13812345678", "联系电话138****5678"),
        ("手机 +86 138-1234-5678 找他", "手机 138****5678 找他"),
        ("座机027-87654321", "座机027-****"),
        ("微信：abc_12345", "微信：****"),
        ("身份证号42010619900101123X。", "身份证号（证件号已隐去）。"),
        ("卡号6222021234567890123", "卡号（号码已隐去）"),
        ("张三反映宿舍漏水", "张某反映宿舍漏水"),
        ("学生李明说食堂太贵", "学生李某说食堂太贵"),
        ("村民王建国家门口路灯坏了", "村民王某某家门口路灯坏了"),
        ("欧阳娜娜反映", "欧阳某某反映"),
        ("联系人：赵敏", "联系人：赵某"),
        ("张三、李四和王五反映", "张某、李某和王某反映"),
        ("学生王小明的家长来电", "学生王某某的家长来电"),
    ],
)
def test_mask_hides_numbers_and_names(raw, masked):
    assert mask(raw) == masked


@pytest.mark.parametrize(
    "kept",
    [
        "新生小张的家长来电",
        "刘某家屋顶漏雨",
        "王老师和李同学反映高数太难",
        "食堂王师傅说",
        "周末食堂人多",
        "马上反映到后勤",
        "高层宿舍没热水",
        "大家反映食堂贵",
        "#12 宿舍 2026-10-05 逾期5天",
        "3号楼409室水管坏了，涉及6名同学",
    ],
)
def test_mask_keeps_ordinary_text(kept):
    assert mask(kept) == kept


async def _org(db):
    await add(db, unit(1), cadre(1), cadre(2, roles=("leader",)))
    await add(db, point(1, 1, "1号楼"), group(1, 1))
    await add(db, item(1, 1, date(2026, 10, 12)))


async def test_run_job_dry_run_writes_nothing(db):
    await _org(db)
    s = parse_settings({})
    lines = await ops.run_job(
        "deadlines", now=datetime(2026, 10, 13, 22, 0), db=db, settings=s, policy=Policy(), dry_run=True
    )
    assert len(lines) == 1 and "催办" in lines[0]
    assert lines[0].startswith("→ 干部1（2026-10-14 09:00 后发送，发送前重新核对）\n")  # a name, not cadre:1 (issue 10)
    assert await count(db, Reminder) == 0 and await count(db, Outbox) == 0
    # previewing next Monday's digest today
    digest = await ops.run_job(
        "weekly_digest", now=datetime(2026, 10, 19, 9, 0), db=db, settings=s, policy=Policy(), dry_run=True
    )
    assert len(digest) == 1 and digest[0].startswith("→ 单位1群\n") and "周报" in digest[0]


async def test_run_job_for_real_then_dry_run_shows_nothing_left(db):
    await _org(db)
    s = parse_settings({})
    kw = dict(now=datetime(2026, 10, 15, 9, 0), db=db, settings=s, policy=Policy())
    sent = await ops.run_job("visit_duties", dry_run=False, **kw)
    assert len(sent) == 1 and await count(db, Outbox) == 1
    assert await ops.run_job("visit_duties", dry_run=True, **kw) == []
    for name in ("deadlines", "weekly_digest", "monthly_report"):
        assert isinstance(await ops.run_job(name, dry_run=True, **kw), list)


async def test_unknown_job_names_the_known_ones(db):
    with pytest.raises(ValueError, match="visit_duties"):
        await ops.run_job(
            "nope", now=datetime(2026, 10, 15), db=db, settings=parse_settings({}), policy=Policy(), dry_run=True
        )


def test_settings_from_config():
    from bot.config import parse_config

    cfg = parse_config({"timezone": "Asia/Urumqi", "scheduler": {"reminder_days": [10, 20]}})
    s = ops.settings_from(cfg)
    assert s.timezone == "Asia/Urumqi" and s.reminder_days == (10, 20)
