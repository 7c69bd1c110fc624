"""Structured commands and deadline dates."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.commands import Command, QueryCommand, parse_command, parse_future_date

CATS = ("食堂", "宿舍", "心理")


@pytest.mark.parametrize(("text", "want"), [
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
    ("请假 到12月5日", Command("leave", arg="12月5日")),
    ("销假", Command("back")),
    ("绑定 计算机学院", Command("bind", arg="计算机学院")),
    ("帮助", Command("help")),
    ("本月未办结", QueryCommand("items", "open", "this_month")),
    ("我的待办", QueryCommand("items", "open", "all", mine=True)),
    ("逾期", QueryCommand("items", "overdue", "all")),
    ("心理问题", QueryCommand("items", "open", "all", category="心理")),
    ("本周走访", QueryCommand("visits", "any", "this_week")),
])
def test_commands(text, want):
    assert parse_command(text, CATS) == want


@pytest.mark.parametrize("text", ["今天去梅园3栋走访", "签收", "火星问题", "办结了吗", ""])
def test_not_commands(text):
    assert parse_command(text, CATS) is None


TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(("text", "want"), [
    ("12月5日", date(2026, 12, 5)),
    ("12.5", date(2026, 12, 5)),
    ("2027-01-10", date(2027, 1, 10)),
    ("2026年12月31号", date(2026, 12, 31)),
    ("3月1日", date(2027, 3, 1)),  # no year and already past: next year
    ("25号", date(2026, 11, 25)),
    ("5号", date(2026, 12, 5)),
    ("10天", date(2026, 12, 2)),
    ("到12月1日", date(2026, 12, 1)),
])
def test_future_dates(text, want):
    assert parse_future_date(text, TODAY) == want


@pytest.mark.parametrize("text", ["2月30日", "13月1日", "下下周", "明年", "31号x"])
def test_bad_dates(text):
    assert parse_future_date(text, TODAY) is None
