"""The one date module: dates as people write them, for visits, deadlines, leave and `/now`.

    parse_date(text, today, direction)  one whole expression → date (deadline: FUTURE, visit: PAST)
    parse_range(text, today)            leave: 「12月1日到12月5日」「到12月5日」「12.1-12.5」→ (start, end)
    find_dates(text, today)             every visit date inside a longer report (never in the future)
    resolve_date(text, today)           the date a visit report talks about (else today)

Forms: 2026-12-05, 2026年12月5日, 12月5日/号, 十二月五日, 12.5, 12/5, 5号, 今天/明天/后天/昨天/前天,
周五/下周五/上周五/本周五, 月底/下月底/月初/年底, 下个月5号, 三天后/3天内/10天/两周后/3天前.
Without a year a date is the nearest one in the sensible direction (a deadline lies ahead,
a visit behind). An impossible date raises ImpossibleDate with the reply 「2月没有30日」.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from .numerals import CN_NUM, cn_to_int

FUTURE, PAST = "future", "past"
MONTH_GRACE_DAYS = 31  # 「12月5日」 written on 12-07 means the one just passed, not next year's
DAY_GRACE_DAYS = 7  # 「5号」 written on the 7th: the 5th just passed

_N = rf"(?:[0-9]{{1,2}}|[{CN_NUM}]{{1,3}})"
WEEKDAYS = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "末": 5,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}
_WEEK = r"(?:周|星期|礼拜)"
_MAX_DAYS = {m: (29 if m == 2 else calendar.monthrange(2025, m)[1]) for m in range(1, 13)}


class ImpossibleDate(ValueError):
    """A date that does not exist (2月30日, 12月32日, 13月1日); `reply` says why in Chinese."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


# --- the nearest real date in a direction ---------------------------------------------------


def _check(month: int, day: int, year: int | None = None) -> None:
    if not 1 <= month <= 12:
        raise ImpossibleDate(f"没有{month}月")
    if day < 1 or day > _MAX_DAYS[month]:
        raise ImpossibleDate(f"{month}月没有{day}日")
    if year is not None and day > calendar.monthrange(year, month)[1]:
        raise ImpossibleDate(f"{year}年{month}月没有{day}日")


def nearest_month_day(today: date, month: int, day: int, direction: str, grace: int = 0) -> date:
    """The (month, day) nearest to today in `direction` (today itself counts), unless the same
    day lies at most `grace` days the other way (「12月5日」 on 12-07 is two days ago, not next
    year: the caller then says it has passed). Raises ImpossibleDate for 2月30日."""
    _check(month, day)
    if grace:
        back = -1 if direction == FUTURE else 1
        for year in (today.year, today.year + back):
            if day <= calendar.monthrange(year, month)[1]:
                d = date(year, month, day)
                if 0 < (today - d).days * -back <= grace:
                    return d
    step = 1 if direction == FUTURE else -1
    for k in range(9):  # 2月29日 may be up to 8 years away
        year = today.year + step * k
        if day <= calendar.monthrange(year, month)[1]:
            d = date(year, month, day)
            if (d >= today) if direction == FUTURE else (d <= today):
                return d
    raise ImpossibleDate(f"{month}月没有{day}日")  # pragma: no cover - unreachable


def nearest_day(today: date, day: int, direction: str, months: int = 3, grace: int = 0) -> date:
    """Day `day` of this month or the nearest month in `direction` that has it (5号); this
    month's day when it lies at most `grace` days the other way."""
    if not 1 <= day <= 31:
        raise ImpossibleDate(f"没有{day}号")
    if grace and day <= calendar.monthrange(today.year, today.month)[1]:
        d = today.replace(day=day)
        if 0 < (today - d).days * (1 if direction == FUTURE else -1) <= grace:
            return d
    first = today.replace(day=1)
    for k in range(months + 1):
        y, m = divmod(first.month - 1 + (k if direction == FUTURE else -k), 12)
        year, month = first.year + y, m + 1
        if day <= calendar.monthrange(year, month)[1]:
            d = date(year, month, day)
            if (d >= today) if direction == FUTURE else (d <= today):
                return d
    raise ImpossibleDate(f"没有{day}号")  # pragma: no cover - every day ≤ 31 recurs within 3 months


def _weekday(today: date, which: str | None, wd: int, direction: str) -> date:
    monday = today - timedelta(days=today.weekday())
    if which and which.startswith("上上"):
        return monday - timedelta(days=14) + timedelta(days=wd)
    if which and which.startswith("上"):
        return monday - timedelta(days=7) + timedelta(days=wd)
    if which and which.startswith("下下"):
        return monday + timedelta(days=14 + wd)
    if which and which.startswith("下"):
        return monday + timedelta(days=7 + wd)
    d = monday + timedelta(days=wd)
    if which:  # 本周X / 这周X: this Monday-based week, in the sensible direction when possible
        if direction == PAST and d > today:
            return d - timedelta(days=7)
        return d
    if direction == FUTURE:
        return today + timedelta(days=(wd - today.weekday()) % 7)
    return today - timedelta(days=(today.weekday() - wd) % 7)


def _month_offset(today: date, months: int) -> tuple[int, int]:
    y, m = divmod(today.month - 1 + months, 12)
    return today.year + y, m + 1


# --- one whole expression ----------------------------------------------------------------

_REL_DAYS = {
    "今天": 0,
    "今日": 0,
    "当天": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "大后天": 3,
    "昨天": -1,
    "昨日": -1,
    "前天": -2,
    "大前天": -3,
}
_MONTH_WORD = {"本": 0, "这": 0, "这个": 0, "": 0, "下": 1, "下个": 1, "下下": 2, "下下个": 2, "上": -1, "上个": -1}
_WHOLE: list[tuple[str, re.Pattern[str]]] = [
    ("ymd", re.compile(r"(?P<y>20[0-9]{2})\s*[-/.年]\s*(?P<m>[0-9]{1,2})\s*[-/.月]\s*(?P<d>[0-9]{1,2})\s*[日号]?")),
    ("md", re.compile(rf"(?P<m>{_N})\s*月份?\s*(?P<d>{_N})\s*[日号]?")),
    ("md", re.compile(r"(?P<m>[0-9]{1,2})\s*[./]\s*(?P<d>[0-9]{1,2})")),
    ("rel", re.compile("|".join(sorted(_REL_DAYS, key=len, reverse=True)))),
    ("week", re.compile(rf"(?P<which>上上|上个?|下下个?|下个?|本|这个?)?{_WEEK}(?P<wd>[一二三四五六日天末1-7])")),
    ("mend", re.compile(r"(?P<which>本|这个?|下下个?|下个?|上个?)?月(?P<edge>底|末|初)")),
    ("yend", re.compile(r"(?:今|本)?年(?:底|末)")),
    ("mday", re.compile(rf"(?P<which>本|这个?|下下个?|下个?|上个?)月\s*(?P<d>{_N})\s*[日号]")),
    ("day", re.compile(rf"(?P<d>{_N})\s*[日号]")),
    (
        "after",
        re.compile(
            rf"(?P<n>{_N}|半)\s*(?P<unit>天|日|周|个?星期|个?礼拜|个?月)\s*"
            r"(?P<dir>后|以后|之后|内|以内|之内|前|以前|之前)?"
        ),
    ),
]
_STRIP = re.compile(r"^(?:到|至|截止到?|截至|直到|延期到|延长到|改到|改为|改成)\s*|\s*(?:前|之前|以前|为止|截止)$")


def parse_date(text: str, today: date, direction: str = FUTURE) -> date | None:
    """The date `text` (nothing else) means, seen from `today`; None when it is not a date.
    Raises ImpossibleDate for 2月30日 and the like."""
    t = _STRIP.sub("", (text or "").strip().translate(_FULLWIDTH)).strip().rstrip("。.!！")
    if not t:
        return None
    for kind, rx in _WHOLE:
        m = rx.fullmatch(t)
        if m:
            return _resolve(kind, m, today, direction)
    return None


def _resolve(kind: str, m: re.Match[str], today: date, direction: str) -> date | None:
    if kind == "ymd":
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        _check(mo, d, y)
        return date(y, mo, d)
    if kind == "md":
        month, day = cn_to_int(m["m"]), cn_to_int(m["d"])
        if month is None or day is None:
            return None
        return nearest_month_day(today, month, day, direction, grace=MONTH_GRACE_DAYS if direction == FUTURE else 0)
    if kind == "rel":
        return today + timedelta(days=_REL_DAYS[m.group(0)])
    if kind == "week":
        return _weekday(today, m["which"], WEEKDAYS[m["wd"]], direction)
    if kind == "mend":
        year, month = _month_offset(today, _MONTH_WORD[m["which"] or ""])
        if m["edge"] == "初":
            if not m["which"]:  # 月初: the next (or last) first of a month
                year, month = _month_offset(today, 1 if direction == FUTURE and today.day > 1 else 0)
            return date(year, month, 1)
        return date(year, month, calendar.monthrange(year, month)[1])
    if kind == "yend":
        return date(today.year, 12, 31)
    if kind == "mday":
        day = cn_to_int(m["d"])
        year, month = _month_offset(today, _MONTH_WORD[m["which"]])
        if day is None:
            return None
        _check(month, day, year)
        return date(year, month, day)
    if kind == "day":
        day = cn_to_int(m["d"])
        return (
            None
            if day is None
            else nearest_day(today, day, direction, grace=DAY_GRACE_DAYS if direction == FUTURE else 0)
        )
    if kind == "after":
        n = 0.5 if m["n"] == "半" else cn_to_int(m["n"])
        if n is None:
            return None
        unit, sign = m["unit"], (-1 if (m["dir"] or "").endswith("前") else 1)
        if "月" in unit:
            if n != int(n):
                return today + timedelta(days=sign * 15)
            year, month = _month_offset(today, sign * int(n))
            return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
        days = n * (7 if unit not in ("天", "日") else 1)
        return today + timedelta(days=sign * int(days))
    return None


_RANGE = re.compile(r"^(?:从|自)?\s*(?P<a>.+?)\s*(?:到|至|-|~|～|—|－)\s*(?P<b>.+?)$")


def parse_range(text: str, today: date) -> tuple[date, date] | None:
    """A leave: 「12月1日到12月5日」「12.1-12.5」「12月1日到5日」「到12月5日」「12月5日」「3天」.
    The end lies ahead (or is today); the start is today unless given, and may be in the past.
    None when unreadable or the end comes before the start; raises ImpossibleDate."""
    t = (text or "").strip().translate(_FULLWIDTH)
    t = re.sub(r"(?:请假|休假|出差)", "", t).strip(" ，,")
    m = _RANGE.match(t)
    if m and not t.startswith(("到", "至")):
        end = parse_date(m["b"], today, FUTURE)
        if end is None:
            return None
        start = parse_date(m["a"], end, PAST)
        if start is None:
            return None
        if re.fullmatch(rf"{_N}\s*[日号]", m["b"].strip()) and start.month != end.month:
            try:  # 12月1日到5日: the end's month is the start's
                end = start.replace(day=cn_to_int(m["b"].strip()[:-1]) or 0)
            except ValueError:
                raise ImpossibleDate(f"{start.month}月没有{m['b'].strip()[:-1]}日") from None
        return (start, end) if start >= today - timedelta(days=MONTH_GRACE_DAYS) and start <= end else None
    end = parse_date(t, today, FUTURE)
    return None if end is None else (today, end)


# --- dates inside a visit report ------------------------------------------------------------

_FULLWIDTH = str.maketrans("０１２３４５６７８９．／", "0123456789./")

# (kind, pattern, literals every match contains one of: a message without any is not scanned
# with that pattern at all — most messages name no date)
_PATTERNS: list[tuple[str, re.Pattern[str], tuple[str, ...]]] = [
    # last month's end, start or Nth day: 上个月底, 上月末, 上个月初, 上个月28号
    ("lastmonth", re.compile(rf"上个?月\s*(?:(?P<edge>底|末|初)|(?P<d>{_N})\s*[号日])"), ("上",)),
    (
        "ymd",
        re.compile(
            r"(?P<y>20[0-9]{2})\s*[-/.年]\s*(?P<m>[0-9]{1,2})\s*[-/.月]\s*"
            r"(?P<d>[0-9]{1,2})[日号]?"
        ),
        ("20",),  # the year
    ),
    ("md", re.compile(rf"(?P<m>{_N})\s*月\s*(?P<d>{_N})\s*[日号]?"), ("月",)),
    # 11.18 / 11/18 / 11-18, not part of a longer number, a decimal amount or a time
    (
        "md",
        re.compile(
            r"(?<![0-9.:/])(?P<m>1[0-2]|0?[1-9])[./](?P<d>3[01]|[12][0-9]|0?[1-9])"
            r"(?![0-9]|\s*(?:元|块|万|倍|%|％|米|斤|公里|小时|分|亿|k|K|m|折))"
        ),
        (".", "/"),
    ),
    (
        "rel",
        re.compile(
            r"大前天|前天|前晚|前日|昨天|昨日|昨晚|昨早|昨儿|昨夜|"
            r"今天|今日|今早|今晚|今晨|今儿|今夜|当天"
        ),
        ("前", "昨", "今", "当"),
    ),
    ("ago", re.compile(rf"(?P<n>{_N})\s*天(?:以)?前"), ("前",)),  # …天前 / …天以前
    (
        "week",
        re.compile(
            rf"(?<![每隔])(?P<which>上上|上个?|本|这个?|这)?{_WEEK}"
            rf"(?P<wd>[一二三四五六日天末]|[1-7](?![0-9]))"
        ),
        ("周", "星期", "礼拜"),
    ),
    (
        "day",
        re.compile(
            rf"(?<![0-9第月编#.{CN_NUM}])(?P<d>{_N})\s*[号日]"
            rf"(?![楼床门线窗房宿院馆机柜车位栋台道问件单条元])"
        ),
        ("号", "日"),
    ),
]
_REL = {
    "大前天": -3,
    "前天": -2,
    "前晚": -2,
    "前日": -2,
    "昨天": -1,
    "昨日": -1,
    "昨晚": -1,
    "昨早": -1,
    "昨儿": -1,
    "昨夜": -1,
}


def _visit_date(kind: str, m: re.Match[str], today: date) -> date | None:
    try:
        if kind == "ymd":
            d = date(int(m["y"]), int(m["m"]), int(m["d"]))
            return d if d <= today else None
        if kind == "md":
            month, day = cn_to_int(m["m"]), cn_to_int(m["d"])
            if not month or not day or month > 12 or day > 31:
                return None
            d = nearest_month_day(today, month, day, PAST)
            return d if (today - d).days < 366 else None
        if kind == "lastmonth":
            end = today.replace(day=1) - timedelta(days=1)
            if m["edge"]:
                return end.replace(day=1) if m["edge"] == "初" else end
            day = cn_to_int(m["d"])
            return end.replace(day=day) if day and day <= end.day else None
        if kind == "rel":
            return today + timedelta(days=_REL.get(m.group(0), 0))
        if kind == "ago":
            n = cn_to_int(m["n"])
            return today - timedelta(days=n) if n is not None and n < 60 else None
        if kind == "week":
            return _weekday(today, m["which"], WEEKDAYS[m["wd"]], PAST)
        if kind == "day":
            day = cn_to_int(m["d"])
            return None if not day or day > 31 else nearest_day(today, day, PAST)
    except (ImpossibleDate, ValueError):
        return None
    return None


def find_dates(text: str, today: date) -> list[tuple[int, date]]:
    """All resolvable date expressions in text as (position, date), in text order."""
    found: list[tuple[int, int, date]] = []
    for kind, rx, required in _PATTERNS:
        if not any(word in text for word in required):
            continue
        for m in rx.finditer(text):
            if any(s <= m.start() < e for s, e, _ in found):
                continue
            d = _visit_date(kind, m, today)
            if d is not None:
                found.append((m.start(), m.end(), d))
    return [(s, d) for s, _, d in sorted(found)]


def resolve_date(text: str, today: date) -> date:
    """The date a visit report talks about: its first date expression, else today. Never in the future."""
    found = find_dates(text, today)
    return found[0][1] if found else today
