"""Resolve the date of a visit from relative and absolute date expressions."""
from __future__ import annotations

import re
from datetime import date, timedelta

from .numerals import CN_NUM, cn_to_int

_N = rf"(?:[0-9]{{1,2}}|[{CN_NUM}]{{1,3}})"
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_WEEK = r"(?:周|星期|礼拜)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("ymd", re.compile(r"(?P<y>20[0-9]{2})\s*[-/.年]\s*(?P<m>[0-9]{1,2})\s*[-/.月]\s*"
                       r"(?P<d>[0-9]{1,2})[日号]?")),
    ("md", re.compile(rf"(?P<m>{_N})\s*月\s*(?P<d>{_N})\s*[日号]?")),
    # 11.18 / 11/18 / 11-18, not part of a longer number, a decimal amount or a time
    ("md", re.compile(r"(?<![0-9.:/])(?P<m>1[0-2]|0?[1-9])[./](?P<d>3[01]|[12][0-9]|0?[1-9])"
                      r"(?![0-9]|\s*(?:元|块|万|倍|%|％|米|斤|公里|小时|分|亿|k|K|m|折))")),
    ("rel", re.compile(r"大前天|前天|前晚|前日|昨天|昨日|昨晚|昨早|昨儿|昨夜|"
                       r"今天|今日|今早|今晚|今晨|今儿|今夜|当天")),
    ("ago", re.compile(rf"(?P<n>{_N})\s*天(?:以)?前")),
    ("week", re.compile(rf"(?<![每隔])(?P<which>上上|上个?|本|这个?|这)?{_WEEK}"
                        rf"(?P<wd>[一二三四五六日天末]|[1-7](?![0-9]))")),
    ("day", re.compile(rf"(?<![0-9第月编#.])(?P<d>{_N})\s*[号日]"
                       rf"(?![楼床门线窗房宿院馆机柜车位栋台道问件单条元])")),
]
_REL = {"大前天": -3, "前天": -2, "前晚": -2, "前日": -2, "昨天": -1, "昨日": -1, "昨晚": -1, "昨早": -1,
        "昨儿": -1, "昨夜": -1}


def _month_day(today: date, month: int, day: int) -> date | None:
    """The most recent (month, day) on or before today."""
    for year in (today.year, today.year - 1):
        try:
            d = date(year, month, day)
        except ValueError:
            return None
        if d <= today:
            return d
    return None


def _weekday(today: date, which: str | None, wd: int) -> date:
    monday = today - timedelta(days=today.weekday())
    if which and which.startswith("上上"):
        return monday - timedelta(days=14) + timedelta(days=wd)
    if which and which.startswith("上"):
        return monday - timedelta(days=7) + timedelta(days=wd)
    if which:  # 本周X / 这周X: this Monday-based week, but never in the future
        d = monday + timedelta(days=wd)
        return d if d <= today else d - timedelta(days=7)
    return today - timedelta(days=(today.weekday() - wd) % 7)


def _resolve(kind: str, m: re.Match[str], today: date) -> date | None:
    if kind == "ymd":
        try:
            d = date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return None
        return d if d <= today else None
    if kind == "md":
        month, day = cn_to_int(m["m"]), cn_to_int(m["d"])
        if not month or not day or month > 12 or day > 31:
            return None
        return _month_day(today, month, day)
    if kind == "rel":
        return today + timedelta(days=_REL.get(m.group(0), 0))
    if kind == "ago":
        n = cn_to_int(m["n"])
        return today - timedelta(days=n) if n is not None and n < 60 else None
    if kind == "week":
        return _weekday(today, m["which"], WEEKDAYS[m["wd"]])
    if kind == "day":
        day = cn_to_int(m["d"])
        if not day or day > 31:
            return None
        d = today.replace(day=1) - timedelta(days=1) if day > today.day else today
        for _ in range(3):  # walk back to a month that has this day
            try:
                return d.replace(day=day)
            except ValueError:
                d = d.replace(day=1) - timedelta(days=1)
    return None


def find_dates(text: str, today: date) -> list[tuple[int, date]]:
    """All resolvable date expressions in text as (position, date), in text order."""
    found: list[tuple[int, int, date]] = []
    for kind, rx in _PATTERNS:
        for m in rx.finditer(text):
            if any(s <= m.start() < e for s, e, _ in found):
                continue
            d = _resolve(kind, m, today)
            if d is not None:
                found.append((m.start(), m.end(), d))
    return [(s, d) for s, _, d in sorted(found)]


def resolve_date(text: str, today: date) -> date:
    """The date a visit report talks about: its first date expression, else today. Never in the future."""
    found = find_dates(text, today)
    return found[0][1] if found else today
