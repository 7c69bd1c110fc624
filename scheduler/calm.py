"""Calm rules: no messages on non-working days or at night, nothing to a cadre on leave.

Working days come from scheduler.workcal (the administrator's holidays file, the shipped
official years, chinese_calendar, then the statutory rules; 调休 weekend days are working days).
A message held by these rules is released at the job's configured time on the next allowed
day (not at the end of quiet hours), so held messages do not pile up at 08:00.
"""

from __future__ import annotations

import bisect
from datetime import date, datetime, time, timedelta

from scheduler.settings import SchedulerSettings

_DEFAULT = SchedulerSettings()


def is_working_day(day: date, settings: SchedulerSettings | None = None) -> bool:
    """True on a Chinese working day (调休 Saturdays included, holidays excluded)."""
    return (settings or _DEFAULT).holidays.calendar().is_working_day(day)


def in_quiet_hours(t: time, settings: SchedulerSettings) -> bool:
    """True inside [quiet_start, quiet_end), which may wrap midnight (21:00–08:00)."""
    start, end = settings.quiet_start, settings.quiet_end
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


def _day_ok(day: date, settings: SchedulerSettings) -> bool:
    return not settings.skip_holidays or is_working_day(day, settings)


def is_allowed(at: datetime, settings: SchedulerSettings) -> bool:
    """May a message be delivered at `at`?"""
    return _day_ok(at.date(), settings) and not in_quiet_hours(at.time(), settings)


def next_allowed(at: datetime, settings: SchedulerSettings) -> datetime:
    """The first moment at or after `at` when a message may be delivered."""
    t = at
    for _ in range(800):  # a year of non-working days at most; the loop ends far earlier
        if not _day_ok(t.date(), settings):
            t = datetime.combine(t.date() + timedelta(days=1), time(0, 0))
            continue
        if in_quiet_hours(t.time(), settings):
            end = datetime.combine(t.date(), settings.quiet_end)
            t = end if end > t else end + timedelta(days=1)
            continue
        return t
    return t


def release_at(at: datetime, settings: SchedulerSettings, at_time: time | None) -> datetime | None:
    """None when `at` is an allowed time; else when a held message goes out: `at_time` (the
    job's configured time) on the first allowed day at or after `at` — or the next allowed
    moment when `at_time` is None or itself not allowed."""
    if is_allowed(at, settings):
        return None
    if at_time is None or in_quiet_hours(at_time, settings):
        return next_allowed(at, settings)
    day = at.date()
    for _ in range(800):
        cand = datetime.combine(day, at_time)
        if cand > at and _day_ok(day, settings):
            return cand
        day += timedelta(days=1)
    return next_allowed(at, settings)


def not_before(now: datetime, settings: SchedulerSettings, at_time: time | None = None) -> datetime | None:
    """None when `now` is an allowed time, else the release time (see `release_at`)."""
    return release_at(now, settings, at_time)


def on_leave(leave_until: date | None, today: date, leave_from: date | None = None) -> bool:
    """A cadre whose leave covers today (from `leave_from`, when given, to `leave_until`)
    gets no personal reminders; a leave registered ahead starts on its first day."""
    return leave_until is not None and leave_until >= today and (leave_from is None or leave_from <= today)


class WorkdayCounter:
    """Counts working days between dates quickly (one calendar scan per sweep)."""

    def __init__(self, start: date, end: date, settings: SchedulerSettings | None = None) -> None:
        self.settings = settings
        self.start, self.end = start, end
        self.days = (settings or _DEFAULT).holidays.calendar().working_days(start, end)

    def after(self, day: date, until: date) -> int:
        """Working days d with day < d <= until."""
        if until <= day:
            return 0
        if day < self.start or until > self.end:
            return sum(
                1 for i in range(1, (until - day).days + 1) if is_working_day(day + timedelta(days=i), self.settings)
            )
        return bisect.bisect_right(self.days, until) - bisect.bisect_right(self.days, day)

    def nth_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n >= 1); `day` itself when n <= 0."""
        d = day
        while n > 0:
            d += timedelta(days=1)
            if is_working_day(d, self.settings):
                n -= 1
        return d
