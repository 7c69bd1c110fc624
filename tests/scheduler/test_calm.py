"""Calm rules: holidays with 调休, quiet hours, leave."""

from __future__ import annotations

from datetime import date, datetime

from scheduler import calm
from scheduler.settings import parse_settings

S = parse_settings({})


def test_national_day_2026_and_tiaoxiu():
    assert all(not calm.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert calm.is_working_day(date(2026, 10, 10))  # Saturday 调休 working day
    assert not calm.is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert calm.is_working_day(date(2026, 9, 30))


def test_year_without_calendar_data_falls_back_to_weekdays():
    assert calm.is_working_day(date(2031, 1, 6))  # a Monday
    assert not calm.is_working_day(date(2031, 1, 5))  # a Sunday


def test_quiet_hours_move_to_the_next_morning():
    assert calm.next_allowed(datetime(2026, 10, 13, 22, 30), S) == datetime(2026, 10, 14, 8, 0)
    assert calm.next_allowed(datetime(2026, 10, 13, 6, 0), S) == datetime(2026, 10, 13, 8, 0)
    assert calm.not_before(datetime(2026, 10, 13, 9, 0), S) is None
    assert calm.not_before(datetime(2026, 10, 13, 20, 59), S) is None


def test_holiday_moves_to_the_next_working_day():
    assert calm.next_allowed(datetime(2026, 9, 30, 21, 30), S) == datetime(2026, 10, 8, 8, 0)
    assert calm.next_allowed(datetime(2026, 10, 3, 10, 0), S) == datetime(2026, 10, 8, 8, 0)
    # 10 Oct is a 调休 Saturday: a working day, so a morning run goes out at once
    assert calm.not_before(datetime(2026, 10, 10, 9, 0), S) is None
    assert calm.next_allowed(datetime(2026, 10, 10, 22, 0), S) == datetime(2026, 10, 12, 8, 0)


def test_holidays_can_be_ignored_by_config():
    s = parse_settings({"skip_holidays": False, "quiet_hours": ["22:00", "07:30"]})
    assert calm.not_before(datetime(2026, 10, 3, 21, 30), s) is None
    assert calm.next_allowed(datetime(2026, 10, 3, 23, 0), s) == datetime(2026, 10, 4, 7, 30)


def test_leave_includes_the_last_day():
    assert calm.on_leave(date(2026, 12, 5), date(2026, 12, 5))
    assert not calm.on_leave(date(2026, 12, 5), date(2026, 12, 6))
    assert not calm.on_leave(None, date(2026, 12, 6))


def test_workday_counter():
    c = calm.WorkdayCounter(date(2026, 9, 20), date(2026, 10, 20))
    assert c.after(date(2026, 10, 1), date(2026, 10, 10)) == 3  # 8, 9, 10 (调休)
    assert c.after(date(2026, 10, 1), date(2026, 10, 15)) == 7
    assert c.after(date(2026, 10, 1), date(2026, 10, 1)) == 0
    assert c.after(date(2026, 8, 31), date(2026, 9, 4)) == 4  # outside the scanned range


def test_a_leave_registered_ahead_starts_on_its_first_day():
    start, until = date(2026, 12, 1), date(2026, 12, 5)
    assert not calm.on_leave(until, date(2026, 11, 30), start)  # registered, not begun: reminders go on
    assert calm.on_leave(until, date(2026, 12, 1), start)
    assert calm.on_leave(until, date(2026, 12, 5), start)
    assert not calm.on_leave(until, date(2026, 12, 6), start)
