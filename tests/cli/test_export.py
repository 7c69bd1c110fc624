"""The 台账 export: one sheet per list with Chinese headers; csv and json carry the same rows."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime

from openpyxl import load_workbook

from bot.export import export
from tests.handlers.chat import say


async def seed(dispatcher, clock):
    clock.set(datetime(2026, 10, 30, 9, 0))
    await say(dispatcher, "zhao", "有同学反映二食堂饭菜偏咸")
    clock.set(datetime(2026, 11, 18, 10, 0))
    await say(dispatcher, "zhang", "今天去梅园3栋走访，5名同学反映热水不稳定，晚上宿舍网络很卡")
    await say(dispatcher, "zhang", "进展 #2 已报修")
    await say(dispatcher, "zhang", "办结 #2 更换了循环泵")
    await say(dispatcher, "zhang", "回访 #2 基本满意 水温还行")


async def test_xlsx_has_the_three_lists_and_the_visit_ledger(dispatcher, db, clock, tmp_path):
    await seed(dispatcher, clock)
    out = tmp_path / "台账.xlsx"
    await export(db, "xlsx", out, None, date(2026, 11, 18))
    wb = load_workbook(out)
    assert wb.sheetnames == ["问题清单", "任务清单", "效果清单", "走访台账"]
    issues = list(wb["问题清单"].values)
    assert issues[0][:6] == ("编号", "提出日期", "提出单位", "提出人", "问题类别", "问题描述")
    assert [r[0] for r in issues[1:]] == [1, 2, 3]
    tasks = {r[0]: r for r in list(wb["任务清单"].values)[1:]}
    header = next(iter(wb["任务清单"].values))
    assert tasks[1][header.index("是否逾期")] == "是"
    assert tasks[2][header.index("最新进展")] == "已报修"
    effect = list(wb["效果清单"].values)
    eh = effect[0]
    assert len(effect) == 2 and effect[1][eh.index("回访评价")] == "基本满意"
    assert effect[1][eh.index("是否销号")] == "是" and effect[1][eh.index("按期办结")] == "是"
    visits = list(wb["走访台账"].values)
    assert visits[1][:7] == ("2026-11-18", "计算机学院", "张老师", "宿舍", "梅园3栋", 5, 2)


async def test_month_filter_csv_and_json(dispatcher, db, clock, tmp_path):
    await seed(dispatcher, clock)
    files = await export(db, "csv", tmp_path / "ledger.csv", "2026-11", date(2026, 11, 18))
    assert [f.name for f in files] == ["ledger-问题清单.csv", "ledger-任务清单.csv", "ledger-效果清单.csv",
                                       "ledger-走访台账.csv"]
    with files[0].open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert [r[0] for r in rows[1:]] == ["2", "3"]  # October's item is not in November
    out = tmp_path / "ledger.json"
    await export(db, "json", out, "2026-10", date(2026, 11, 18))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["编号"] for r in data["问题清单"]] == [1] and data["走访台账"] == []
