from datetime import date

import pytest

from handlers.nlu.dates import resolve_date

WED = date(2026, 11, 18)
SUN = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("text", "today", "want"),
    [
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
        ("上个月底去了村里", WED, date(2026, 10, 31)),  # last month's last day
        ("上月末到社区", date(2026, 3, 2), date(2026, 2, 28)),
        ("上个月初走访了", WED, date(2026, 10, 1)),
        ("上个月25号去了", WED, date(2026, 10, 25)),
        ("上个月三十号", date(2026, 3, 2), date(2026, 3, 2)),  # February has no 30th: no date, so today
        ("二十八号去了", WED, date(2026, 10, 28)),  # not 八号 inside 二十八号
        ("没有日期的消息", WED, WED),
    ],
)
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


# --- the one date module: deadlines, leave, impossible dates, property tests ---------------

from datetime import timedelta  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from handlers.nlu.dates import FUTURE, PAST, ImpossibleDate, parse_date, parse_range  # noqa: E402

MON_DEC_7 = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("12月20日", date(2026, 12, 20)),
        ("12.20", date(2026, 12, 20)),
        ("20号", date(2026, 12, 20)),
        ("下周五", date(2026, 12, 18)),
        ("周五", date(2026, 12, 11)),
        ("月底", date(2026, 12, 31)),
        ("下月底", date(2027, 1, 31)),
        ("三天后", date(2026, 12, 10)),
        ("10天", date(2026, 12, 17)),
        ("两周内", date(2026, 12, 21)),
        ("明天", date(2026, 12, 8)),
        ("下个月5号", date(2027, 1, 5)),
        ("1月5日", date(2027, 1, 5)),  # ahead into next year
        ("十二月二十日", date(2026, 12, 20)),
        ("到12月20日", date(2026, 12, 20)),
        ("12月20日前", date(2026, 12, 20)),
        ("12月5日", date(2026, 12, 5)),  # two days ago, not 2027: the caller says it has passed
        ("5号", date(2026, 12, 5)),
    ],
)
def test_deadline_dates(text, want):
    assert parse_date(text, MON_DEC_7, FUTURE) == want


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("2月30日", "2月没有30日"),
        ("12月32日", "12月没有32日"),
        ("13月1日", "没有13月"),
        ("2027-02-29", "2027年2月没有29日"),
        ("32号", "没有32号"),
    ],
)
def test_impossible_dates_say_why(text, reply):
    with pytest.raises(ImpossibleDate) as err:
        parse_date(text, MON_DEC_7)
    assert err.value.reply == reply


@pytest.mark.parametrize("text", ["下下下周", "明年某天", "随便", "", "302"])
def test_not_a_date(text):
    assert parse_date(text, MON_DEC_7) is None


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("12月1日到12月5日", (date(2026, 12, 1), date(2026, 12, 5))),
        ("12.1-12.5", (date(2026, 12, 1), date(2026, 12, 5))),
        ("12月1日到5日", (date(2026, 12, 1), date(2026, 12, 5))),
        ("到12月5日", (date(2026, 11, 29), date(2026, 12, 5))),
        ("12月5日", (date(2026, 11, 29), date(2026, 12, 5))),
        ("11月27日到12月2日", (date(2026, 11, 27), date(2026, 12, 2))),  # started already
        ("12月30日到1月3日", (date(2026, 12, 30), date(2027, 1, 3))),
    ],
)
def test_leave_ranges(text, want):
    assert parse_range(text, date(2026, 11, 29)) == want


def test_leave_range_that_ends_before_it_starts_is_not_read():
    assert parse_range("12月5日到12月1日", date(2026, 11, 29)) is None


def _five_ways(d: date) -> list[str]:
    return [
        f"{d.month}月{d.day}日",
        f"{d.month}.{d.day}",
        f"{d.month}月{d.day}号",
        f"{d.year}-{d.month:02d}-{d.day:02d}",
        f"{d.year}年{d.month}月{d.day}日",
    ]


DAYS_2026_2027 = st.dates(date(2026, 1, 1), date(2027, 12, 31))


@settings(max_examples=400, deadline=None)
@given(target=DAYS_2026_2027, ahead=st.integers(0, 330))
def test_every_deadline_written_five_ways_resolves_to_itself(target, ahead):
    today = target - timedelta(days=ahead)
    for text in _five_ways(target):
        assert parse_date(text, today, FUTURE) == target, (text, today)


@settings(max_examples=400, deadline=None)
@given(target=DAYS_2026_2027, behind=st.integers(0, 360))
def test_every_visit_date_written_five_ways_resolves_to_itself(target, behind):
    today = target + timedelta(days=behind)
    for text in _five_ways(target):
        assert parse_date(text, today, PAST) == target, (text, today)
        assert resolve_date(f"{text}去梅园3栋走访", today) == target, (text, today)


@settings(max_examples=200, deadline=None)
@given(today=DAYS_2026_2027, ahead=st.integers(0, 6))
def test_weekday_deadlines_lie_ahead_within_a_week(today, ahead):
    target = today + timedelta(days=ahead)
    assert parse_date(f"周{'一二三四五六日'[target.weekday()]}", today, FUTURE) == target


@pytest.mark.parametrize(
    "text",
    ["走访了学三食堂，同学反映周末早餐结束太早", "去桃园6栋走访，同学说周一晚上经常停水"],
)
def test_a_day_inside_the_reported_problem_is_not_the_visit_date(parser, text):
    """「同学反映周末早餐…」: the weekend is when the problem happens; the visit, dated nowhere in
    the writer's own words, is today."""
    p = parser.parse(text, WED, "campus")
    assert p.visit is not None and p.visit.date == WED


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("昨天有同学吃了食堂的凉菜拉肚子，今天中午我去食堂看了", WED),
        ("上周五有村民打电话说卫生室的药过期了，我周日顺路去看了一下", date(2026, 11, 15)),
        ("昨天我去了梅园3栋，今天又有同学反映热水的事", date(2026, 11, 17)),  # the first going stays
    ],
)
def test_the_visit_is_dated_by_the_writers_own_going(parser, text, want):
    p = parser.parse(text, WED, "campus")
    assert p.visit is not None and p.visit.date == want
