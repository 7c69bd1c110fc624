"""Structured commands (签收 #12, 办结 #12 …) recognised before natural-language understanding.

`parse_command(text)` returns a Command or None. Each pattern also accepts the natural
wording cadres use (「#12 已签收」, 「12号办结了，换了热水器」 is left to the NLU)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

REF = r"[#＃]?\s*(?:第\s*)?(\d{1,9})\s*号?(?:问题)?"
SP = r"[\s:：,，]*"


@dataclass(frozen=True)
class Command:
    name: str  # undo, edit, accept, progress, transfer, resolve, followup, take, help, leave, back, bind, query
    ref: int | None = None
    arg: str = ""
    extra: str = ""


@dataclass(frozen=True)
class QueryCommand:
    subject: str
    status: str
    period: str
    category: str | None = None
    mine: bool = False


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.S)


PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("help", _c(r"^(?:帮助|help|\?|？|怎么用|使用说明)$")),
    ("undo", _c(r"^(?:撤销|撤回|撤消)(?:上一条|刚才的?|上条)?(?:记录)?$")),
    ("edit", _c(rf"^(?:改|修改|更正){SP}{REF}{SP}(分类|类别|期限|截止日期|内容){SP}(.+)$")),
    ("accept", _c(rf"^(?:签收|接收|认领){SP}{REF}$|^{REF}{SP}(?:已)?签收$")),
    ("progress", _c(rf"^(?:进展|进度|跟进){SP}{REF}{SP}(.*)$")),
    ("transfer", _c(rf"^(?:转办|交办|转给|转交){SP}{REF}{SP}(\S+)(?:\s+(\S+))?$")),
    ("resolve", _c(rf"^(?:办结|已办结|完成){SP}{REF}{SP}(.*)$")),
    ("followup", _c(rf"^(?:回访){SP}{REF}{SP}(满意|基本满意|不满意)?{SP}(.*)$")),
    ("take", _c(rf"^(?:包保|我来包保){SP}{REF}$")),
    ("leave", _c(r"^请假\s*(?:到|至|直到)?\s*(.*)$")),
    ("back", _c(r"^(?:销假|我回来了)$")),
    ("bind", _c(r"^绑定\s*(.+)$")),
    ("export", _c(r"^导出(.{0,12}?)台账(.{0,20})$|^(?:导出|台账)$")),
    ("console", _c(r"^(?:后台|管理后台|进入后台)$")),
]

QUERIES: dict[str, QueryCommand] = {
    "我的待办": QueryCommand("items", "open", "all", mine=True),
    "待办": QueryCommand("items", "open", "all", mine=True),
    "本月未办结": QueryCommand("items", "open", "this_month"),
    "逾期": QueryCommand("items", "overdue", "all"),
    "本周走访": QueryCommand("visits", "any", "this_week"),
    "本月走访": QueryCommand("visits", "any", "this_month"),
    "上周走访": QueryCommand("visits", "any", "last_week"),
    "上月走访": QueryCommand("visits", "any", "last_month"),
}


def normalise(text: str) -> str:
    """Full-width to half-width digits/letters, collapse spaces, strip end punctuation."""
    text = text.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)})
    text = re.sub(r"\s+", " ", text).strip()
    return text.rstrip("。.!！")


def parse_command(text: str, categories: tuple[str, ...] = ()) -> Command | QueryCommand | None:
    t = normalise(text)
    if t in QUERIES:
        return QUERIES[t]
    m = re.fullmatch(r"(\S{2,4}?)(?:类)?问题", t)
    if m and m.group(1) in categories:
        return QueryCommand("items", "open", "all", category=m.group(1))
    for name, pattern in PATTERNS:
        m = pattern.match(t)
        if not m:
            continue
        groups = [g for g in m.groups()]
        if name == "accept":
            ref = next(g for g in groups if g)
            return Command(name, int(ref))
        if name in ("help", "undo", "back", "console"):
            return Command(name)
        if name == "export":
            return Command(name, arg=" ".join(g.strip() for g in groups if g and g.strip()))
        if name in ("leave", "bind"):
            return Command(name, arg=groups[0].strip())
        ref = int(groups[0])
        rest = [g.strip() if g else "" for g in groups[1:]]
        return Command(name, ref, *rest[:2]) if rest else Command(name, ref)
    return None


_MD = re.compile(r"^(?:(\d{4})\s*[年./-]\s*)?(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*[日号]?$")
_DAYS = re.compile(r"^(\d{1,3})\s*天(?:内|后)?$")


def parse_future_date(text: str, today: date) -> date | None:
    """A deadline or leave end: 12月5日, 12.5, 2026-12-05, 5号, 10天. Without a year, the next
    such day on or after today. None when unreadable or not a real date."""
    t = normalise(text).removeprefix("到").removeprefix("至").strip()
    if m := _DAYS.match(t):
        return today + timedelta(days=int(m.group(1)))
    if m := re.fullmatch(r"(\d{1,2})\s*[日号]", t):
        day = int(m.group(1))
        for months_ahead in range(0, 3):
            y, mo = today.year, today.month + months_ahead
            y, mo = y + (mo - 1) // 12, (mo - 1) % 12 + 1
            try:
                d = date(y, mo, day)
            except ValueError:
                continue
            if d >= today:
                return d
        return None
    m = _MD.match(t)
    if not m:
        return None
    year, month, day = (int(g) if g else None for g in m.groups())
    try:
        d = date(year or today.year, month, day)  # type: ignore[arg-type]
        if year is None and d < today:
            d = date(today.year + 1, month, day)  # type: ignore[arg-type]
    except ValueError:
        return None
    return d
