"""Calm rules: no messages on non-working days or at night, nothing to a cadre on leave.

Working days come from `chinese_calendar` (public holidays, with 调休 weekend days counted as
working days). For a year the package has no data for yet, Monday–Friday is assumed and a
warning is logged once per year, so an outdated package degrades instead of failing.
"""

from __future__ import annotations

import bisect
import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import chinese_calendar

from scheduler.settings import SchedulerSettings

log = logging.getLogger(__name__)
_warned_years: set[int] = set()


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """True on a Chinese working day (调休 Saturdays included, holidays excluded)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("chinese_calendar has no data for %s; assuming Monday-Friday", day.year)
        return day.weekday() < 5


def in_quiet_hours(t: time, settings: SchedulerSettings) -> bool:
    """True inside [quiet_start, quiet_end), which may wrap midnight (21:00–08:00)."""
    start, end = settings.quiet_start, settings.quiet_end
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


def is_allowed(at: datetime, settings: SchedulerSettings) -> bool:
    """May a message be delivered at `at`?"""
    if settings.skip_holidays and not is_working_day(at.date()):
        return False
    return not in_quiet_hours(at.time(), settings)


def next_allowed(at: datetime, settings: SchedulerSettings) -> datetime:
    """The first moment at or after `at` when a message may be delivered."""
    t = at
    for _ in range(400):  # a year of holidays at most; the loop always ends far earlier
        if settings.skip_holidays and not is_working_day(t.date()):
            t = datetime.combine(t.date() + timedelta(days=1), time(0, 0))
            continue
        if in_quiet_hours(t.time(), settings):
            end = datetime.combine(t.date(), settings.quiet_end)
            t = end if end > t else end + timedelta(days=1)
            continue
        return t
    return t


def not_before(now: datetime, settings: SchedulerSettings) -> datetime | None:
    """None when `now` is an allowed time, else the next allowed time (for the outbox)."""
    nxt = next_allowed(now, settings)
    return None if nxt == now else nxt


def on_leave(leave_until: date | None, today: date) -> bool:
    """A cadre with `leave_until` today or later gets no personal reminders."""
    return leave_until is not None and leave_until >= today


class WorkdayCounter:
    """Counts working days between dates quickly (one calendar scan per sweep)."""

    def __init__(self, start: date, end: date) -> None:
        self.start, self.end = start, end
        n = (end - start).days + 1
        self.days = [start + timedelta(days=i) for i in range(n)
                     if is_working_day(start + timedelta(days=i))]

    def after(self, day: date, until: date) -> int:
        """Working days d with day < d <= until."""
        if until <= day:
            return 0
        if day < self.start or until > self.end:
            return sum(1 for i in range(1, (until - day).days + 1)
                       if is_working_day(day + timedelta(days=i)))
        return bisect.bisect_right(self.days, until) - bisect.bisect_right(self.days, day)
