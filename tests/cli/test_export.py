"""The 台账 export: five sheets with Chinese headers; every column right (issue 14 point 2);
csv and json carry the same rows; counts agree with the monthly report's figures."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime

from openpyxl import load_workbook

from bot.export import SHEET_NAMES, export
from storage import metrics
from storage.items import Scope
from storage.ledger import LedgerFilter
from storage.metrics import organisation_totals
from tests.handlers.chat import say


async def seed(dispatcher, clock):
    clock.set(datetime(2026, 10, 30, 9, 0))
    await say(dispatcher, "zhao", "有同学反映二食堂饭菜偏咸")  # 1: never signed, overdue
    clock.set(datetime(2026, 11, 18, 10, 0))
    await say(
        dispatcher,
        "zhang",
        "今天去梅园3栋走访，5名同学反映热水不稳定，晚上宿舍网络很卡，学生电话13812345678，身份证420102200001011234",
    )  # visit 1: items 2, 3
    await say(dispatcher, "zhang", "进展 #2 已报修")
    await say(dispatcher, "zhang", "转办 #3 后勤处")  # owner 刘处长, unit 后勤处
    clock.set(datetime(2026, 11, 19, 9, 0))
    await say(dispatcher, "liu", "签收 #3")
    await say(dispatcher, "zhang", "办结 #2 更换了循环泵")
    await say(dispatcher, "zhang", "回访 #2 不满意 水温还是忽冷忽热")
    await say(dispatcher, "zhang", "办结 #2 加装了恒温阀")
    await say(dispatcher, "zhang", "回访 #2 基本满意 水温还行")


def sheet(wb, name):
    rows = list(wb[name].values)
    return rows[0], rows[1:]


async def test_every_column_right(dispatcher, db, clock, tmp_path):
    await seed(dispatcher, clock)
    out = tmp_path / "台账.xlsx"
    await export(db, "xlsx", out, None, date(2026, 11, 20))
    wb = load_workbook(out)
    assert wb.sheetnames == list(SHEET_NAMES)

    h, rows = sheet(wb, "问题清单")
    assert h == (
        "编号",
        "提出日期",
        "提出单位",
        "提出人",
        "问题类别",
        "问题描述",
        "来源",
        "走访编号",
        "责任单位",
        "当前状态",
        "照片",
    )
    by_id = {r[0]: dict(zip(h, r, strict=True)) for r in rows}
    assert list(by_id) == [1, 2, 3]
    assert by_id[3]["提出单位"] == "计算机学院" and by_id[3]["责任单位"] == "后勤处"  # reporter's unit, not owner's
    assert by_id[2]["走访编号"] == 1 and by_id[1]["走访编号"] is None
    assert by_id[1]["提出日期"] == datetime(2026, 10, 30)  # a real date cell
    assert wb["问题清单"]["B2"].number_format == "yyyy-mm-dd"

    h, rows = sheet(wb, "任务清单")
    tasks = {r[0]: dict(zip(h, r, strict=True)) for r in rows}
    assert tasks[1]["是否逾期"] == "是" and tasks[1]["逾期天数"] == 14  # deadline 11-06, as of 11-20
    assert tasks[3]["是否逾期"] == "否" and tasks[2]["是否逾期"] == "否"
    assert tasks[1]["签收时间"] is None  # never signed
    assert tasks[2]["签收时间"] is None  # progress and 办结 are not a 签收
    assert tasks[3]["签收时间"] == datetime(2026, 11, 19, 9, 0)
    assert wb["任务清单"]["H4"].number_format == "yyyy-mm-dd hh:mm"
    assert tasks[2]["最新进展"] == "已报修"

    h, rows = sheet(wb, "效果清单")
    assert [r[0] for r in rows] == [2]
    effect = dict(zip(h, rows[0], strict=True))
    assert effect["回访次数"] == 2 and effect["最近回访评价"] == "基本满意" and effect["是否销号"] == "是"
    assert effect["办理结果"] == "加装了恒温阀" and effect["按期办结"] == "是"

    h, rows = sheet(wb, "回访记录")
    assert h == ("问题编号", "回访时间", "回访人", "责任单位", "评价", "评价来源", "说明")
    assert rows == [
        (2, datetime(2026, 11, 19, 9, 0), "张老师", "计算机学院", "不满意", "干部", "水温还是忽冷忽热"),
        (2, datetime(2026, 11, 19, 9, 0), "张老师", "计算机学院", "基本满意", "干部", "水温还行"),
    ]

    h, rows = sheet(wb, "走访台账")
    visit = dict(zip(h, rows[0], strict=True))
    assert visit["走访编号"] == 1 and visit["走访日期"] == datetime(2026, 11, 18)
    assert (visit["单位"], visit["干部"], visit["走访类型"], visit["地点"], visit["交流人数"]) == (
        "计算机学院",
        "张老师",
        "宿舍",
        "梅园3栋",
        5,
    )
    assert visit["发现问题数"] == 2 and visit["问题编号"] == "#2、#3"
    assert "138****5678" in visit["走访情况"] and "13812345678" not in visit["走访情况"]
    assert "（证件号已隐去）" in visit["走访情况"] and "420102200001011234" not in visit["走访情况"]

    for name in SHEET_NAMES:  # frozen header, auto-filter over all rows, sensible widths
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        assert all(ws.column_dimensions[c].width >= 10 for c in "AB")
    assert 48 <= wb["问题清单"].column_dimensions["F"].width < 49  # 问题描述: wide


async def test_as_of_moves_overdue(dispatcher, db, clock, tmp_path):
    await seed(dispatcher, clock)
    out = tmp_path / "a.json"
    await export(db, "json", out, None, date(2026, 11, 5))
    tasks = {r["编号"]: r for r in json.loads(out.read_text(encoding="utf-8"))["任务清单"]}
    assert tasks[1]["是否逾期"] == "否" and tasks[1]["逾期天数"] == ""


async def test_unmasked_only_on_request(dispatcher, db, clock, tmp_path):
    await seed(dispatcher, clock)
    out = tmp_path / "u.json"
    await export(db, "json", out, None, date(2026, 11, 20), unmasked=True)
    visit = json.loads(out.read_text(encoding="utf-8"))["走访台账"][0]
    assert "13812345678" in visit["走访情况"] and "420102200001011234" in visit["走访情况"]


async def test_month_filter_csv_and_json(dispatcher, db, clock, tmp_path):
    await seed(dispatcher, clock)
    files = await export(db, "csv", tmp_path / "ledger.csv", "2026-11", date(2026, 11, 18))
    assert [f.name for f in files] == [f"ledger-{n}.csv" for n in SHEET_NAMES]
    with files[0].open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert [r[0] for r in rows[1:]] == ["2", "3"]  # October's item is not in November
    assert rows[1][1] == "2026-11-18"
    out = tmp_path / "ledger.json"
    await export(db, "json", out, "2026-10", date(2026, 11, 18))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["编号"] for r in data["问题清单"]] == [1] and data["走访台账"] == []


async def test_scope_limits_rows(dispatcher, db, clock, tmp_path):
    await seed(dispatcher, clock)
    out = tmp_path / "s.json"
    # 刘处长 (cadre 5, unit head of 后勤处, unit 3): only item 3, now in his unit
    await export(db, "json", out, None, date(2026, 11, 20), filt=LedgerFilter(scope=Scope(5, unit_id=3)))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["编号"] for r in data["问题清单"]] == [3] and data["走访台账"] == []


async def test_counts_agree_with_the_monthly_report(dispatcher, db, clock, tmp_path):
    await seed(dispatcher, clock)
    clock.set(datetime(2026, 11, 20, 15, 0))
    await say(dispatcher, "zhao", "二食堂门口的灯坏了")  # 4
    await say(dispatcher, "zhao", "办结 #4 已换灯泡")  # same day: not a task
    out = tmp_path / "m.json"
    await export(db, "json", out, "2026-11", date(2026, 12, 1))
    data = json.loads(out.read_text(encoding="utf-8"))
    async with db.session() as s:
        periods = await metrics.unit_period(s, date(2026, 11, 1), date(2026, 12, 1), date(2026, 12, 1))
    total, _ = organisation_totals(periods, {})
    assert (total.new, total.tasks, total.resolved) == (3, 2, 2)
    assert (len(data["问题清单"]), len(data["任务清单"]), len(data["效果清单"])) == (
        total.new,
        total.tasks,
        total.resolved,
    )


def test_cli_as_of_and_unmasked(tmp_path, monkeypatch, capsys, caplog):
    """`minqing export --as-of … --unmasked` (a bad --as-of is one clear line, exit 2)."""
    from bot.cli import main

    monkeypatch.setenv("MINQING_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("MINQING_DATA_DIR", str(tmp_path))
    out = tmp_path / "l.json"
    assert main(["export", "--format", "json", "--out", str(out), "--as-of", "2026-12-01", "--unmasked"]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["回访记录"] == []
    assert "unmasked ledger export requested on the command line" in caplog.text
    assert main(["export", "--format", "json", "--out", str(out), "--as-of", "12月1日"]) == 2
    assert "--as-of" in capsys.readouterr().err
