from datetime import date

import pytest

from handlers.nlu.dates import resolve_date

WED = date(2026, 11, 18)
SUN = date(2026, 11, 22)


@pytest.mark.parametrize(("text", "today", "want"), [
    ("今天去了", WED, date(2026, 11, 18)),
    ("昨晚查寝", WED, date(2026, 11, 17)),
    ("前天下午", WED, date(2026, 11, 16)),
    ("周一去的", WED, date(2026, 11, 16)),
    ("周三去的", WED, date(2026, 11, 18)),
    ("周五去的", WED, date(2026, 11, 13)),  # most recent Friday, never the future
    ("上周三", WED, date(2026, 11, 11)),
    ("上星期日", WED, date(2026, 11, 15)),
    ("上周五", SUN, date(2026, 11, 13)),  # Sunday edge: Monday-based weeks
    ("本周一", SUN, date(2026, 11, 16)),
    ("这周五", WED, date(2026, 11, 13)),  # would be in the future
    ("11月16日", WED, date(2026, 11, 16)),
    ("11.16 进课堂", WED, date(2026, 11, 16)),
    ("11/16", WED, date(2026, 11, 16)),
    ("16号晚上", WED, date(2026, 11, 16)),
    ("十二月十四日晚", WED, date(2025, 12, 14)),  # last year's December
    ("十一月三号", WED, date(2026, 11, 3)),
    ("3天前", WED, date(2026, 11, 15)),
    ("没有日期的消息", WED, WED),
])
def test_resolve_date(text, today, want):
    assert resolve_date(text, today) == want


def test_day_number_after_today_is_last_month():
    assert resolve_date("30号去了村里", date(2026, 12, 1)) == date(2026, 11, 30)
    assert resolve_date("31号", date(2026, 3, 2)) == date(2026, 1, 31)  # February has no 31st


def test_month_wrap_at_new_year():
    assert resolve_date("12月30日", date(2026, 1, 3)) == date(2025, 12, 30)
    assert resolve_date("12.30", date(2026, 1, 3)) == date(2025, 12, 30)


@pytest.mark.parametrize("text", ["8号楼宿舍", "第12号问题", "每周3节课", "花了2.5元"])
def test_not_dates(text):
    assert resolve_date(text, WED) == WED
