"""Calendar periods used by queries and reports (Monday-based weeks, calendar months)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta


def month_start(d: date) -> date:
    """The first day of `d`'s month."""
    return d.replace(day=1)


def next_month(d: date) -> date:
    """The first day of the month after `d`'s."""
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_range(period: str, today: date) -> tuple[date | None, date | None]:
    """[start, end) of this_week | last_week | this_month | last_month | all."""
    monday = today - timedelta(days=today.weekday())
    if period == "this_week":
        return monday, monday + timedelta(days=7)
    if period == "last_week":
        return monday - timedelta(days=7), monday
    if period == "this_month":
        return month_start(today), next_month(today)
    if period == "last_month":
        start = month_start(month_start(today) - timedelta(days=1))
        return start, month_start(today)
    return None, None


def as_datetime(d: date | None) -> datetime | None:
    """Midnight at the start of `d` (naive local), None for None: a period bound for datetime columns."""
    return None if d is None else datetime.combine(d, time())


PERIOD_NAMES = {"this_week": "本周", "last_week": "上周", "this_month": "本月", "last_month": "上月", "all": ""}
