"""Structured commands and deadline dates."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.commands import Command, QueryCommand, parse_command
from handlers.nlu.dates import parse_date

CATS = ("食堂", "宿舍", "心理")


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("签收 #12", Command("accept", 12)),
        ("签收＃１２", Command("accept", 12)),
        ("#7 已签收", Command("accept", 7)),
        ("进展 #3 已联系宿管，周五上门", Command("progress", 3, "已联系宿管，周五上门")),
        ("转办 #5 后勤处", Command("transfer", 5, "后勤处")),
        ("转办 #5 后勤处 陈师傅", Command("transfer", 5, "后勤处", "陈师傅")),
        ("办结#8 更换了热水器。", Command("resolve", 8, "更换了热水器")),
        ("回访 #8 基本满意 水温还可以", Command("followup", 8, "基本满意", "水温还可以")),
        ("回访 第8号 满意", Command("followup", 8, "满意")),
        ("包保 #9", Command("take", 9)),
        ("改 #2 分类 宿舍", Command("edit", 2, "分类", "宿舍")),
        ("修改 #2 期限：12月5日", Command("edit", 2, "期限", "12月5日")),
        ("撤销", Command("undo")),
        ("撤回上一条", Command("undo")),
        ("请假 到12月5日", Command("leave", arg="到12月5日")),
        ("销假", Command("back")),
        ("绑定 计算机学院", Command("bind", arg="计算机学院")),
        ("帮助", Command("help")),
        ("本月未办结", QueryCommand("items", "open", "this_month")),
        ("我的待办", QueryCommand("items", "open", "all", mine=True)),
        ("逾期", QueryCommand("items", "overdue", "all")),
        ("心理问题", QueryCommand("items", "open", "all", category="心理")),
        ("本周走访", QueryCommand("visits", "any", "this_week")),
    ],
)
def test_commands(text, want):
    assert parse_command(text, CATS) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("把13号转给后勤处吧", Command("transfer", 13, "后勤处")),
        ("把13号转给后勤处 陈师傅", Command("transfer", 13, "后勤处", "陈师傅")),
        ("收到 #11", Command("accept", 11)),
        ("那个17号的灯已经修好了", Command("resolve", 17, "灯已经修好了")),
        ("#17 修好了，换了新灯管", Command("resolve", 17, "换了新灯管")),
        ("1号问题已经解决了，换了新的热水器", Command("resolve", 1, "换了新的热水器")),
        ("12月1日到12月5日请假", Command("leave", arg="12月1日到12月5日")),
        ("退回 #24 不属于我处职责", Command("refuse", 24, "不属于我处职责")),
        ("#24 不属于我处职责", Command("refuse", 24, "不属于我处职责")),
        ("查看 #19", Command("view", 19)),
        ("#19 现在什么情况", Command("view", 19)),
        ("#37", Command("view", 37)),
        ("#12 进展如何", Command("view", 12)),
        ("延期 #23 到12月20日 原因：等配件", Command("extend", 23, "12月20日 原因：等配件")),
        ("同意延期 #23", Command("approve", 23)),
        ("不同意延期 #23 先按原期限办", Command("deny", 23, "先按原期限办")),
        ("#12 已联系后勤处", Command("progress", 12, "已联系后勤处")),
        ("转办 #24 学工处", Command("transfer", 24, "学工处")),
    ],
)
def test_natural_wordings(text, want):
    assert parse_command(text, CATS) == want


@pytest.mark.parametrize(
    "text",
    [
        "今天去梅园3栋走访",
        "签收",
        "火星问题",
        "办结了吗",
        "",
        # reports and complaints that merely contain a number are never commands
        "302宿舍的灯修好了",
        "3号楼的灯修好了",
        "第29条已经落实",
        "12号晚上去梅园，灯修好了",
        "完成12个问题的整改",
        "12个寝室长都说热水解决了",
        "2026年问题都解决了",
        "请假流程太复杂",
        "同学反映想请假",
        "把3栋的热水器转给后勤处",
        "收到12个同学的反馈",
    ],
)
def test_not_commands(text):
    assert parse_command(text, CATS) is None


TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("12月5日", date(2026, 12, 5)),
        ("12.5", date(2026, 12, 5)),
        ("2027-01-10", date(2027, 1, 10)),
        ("2026年12月31号", date(2026, 12, 31)),
        ("3月1日", date(2027, 3, 1)),  # no year and already past: next year
        ("25号", date(2026, 11, 25)),
        ("5号", date(2026, 12, 5)),
        ("10天", date(2026, 12, 2)),
        ("到12月1日", date(2026, 12, 1)),
    ],
)
def test_future_dates(text, want):
    assert parse_date(text, TODAY) == want


@pytest.mark.parametrize("text", ["下下周", "明年", "31号x"])
def test_bad_dates(text):
    assert parse_date(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "ref", "want"),
    [
        ("No.110 闭环了，换了新灯管", 110, "换了新灯管"),
        ("64 已办结 换了新的", 64, "换了新的"),
        ("No.110 闭环了", 110, ""),  # only done-words: no result, the bot asks for it
        ("问题编号47，已经解决", 47, ""),
        ("#4已解决", 4, ""),
        ("#9 已经处理完毕", 9, ""),  # not 「毕」
        ("10号问题办理完毕", 10, ""),
        ("12号问题修好了", 12, "修好了"),  # names what was done
        ("#9 办完了", 9, ""),  # 办完/弄完/做完: done-words too
        ("9号问题弄完了，换了新灯管", 9, "换了新灯管"),
    ],
)
def test_resolve_result_drops_the_reference_and_done_words(text, ref, want):
    from handlers.commands import resolve_result

    assert resolve_result(text, ref) == want
