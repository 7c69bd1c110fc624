"""How dates and times read in every message the bot sends: one module, so a reminder, a reply
and the help text never disagree. Chinese, without leading zeros (「12月5日」)."""

from __future__ import annotations

from datetime import date, timedelta


def fmt_date(d: date, today: date | None = None) -> str:
    """「12月5日」; with the year (「2027年1月4日」) when `today` is given and in another year."""
    if today is not None and d.year != today.year:
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.month}月{d.day}日"


def example_date(today: date) -> str:
    """An example date for hints that lies ahead of `today` (a week on), e.g. 「12月6日」."""
    return fmt_date(today + timedelta(days=7))


NO_DATA = "—"


def pct(rate: float | None) -> str:
    """A rate (0..1) as a percentage for people, one decimal (「37.5%」); 「—」 when there is
    nothing to measure (None)."""
    return NO_DATA if rate is None else f"{rate * 100:.1f}%"
