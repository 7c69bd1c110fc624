"""Settings parsing (exact error keys) and trigger times via get_next_fire_time."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.config import group_limits
from handlers.errors import ConfigError
from scheduler import jobs, ops
from scheduler.settings import OWN_POINTS, parse_settings

TZ = ZoneInfo("Asia/Shanghai")


def test_defaults():
    s = parse_settings({}, group_limits=group_limits())  # each platform's own limit (bot/<platform>/platform.py)
    assert s.reminder_days == (15, 25) and s.reminder_time == time(9, 0)
    assert (s.quiet_start, s.quiet_end) == (time(21, 0), time(8, 0))
    assert s.before_deadline_days == 2 and (s.escalate_head_after, s.escalate_leaders_after) == (3, 7)
    assert s.group_limit("wecom") == 4096 and s.group_limit("dingtalk") == 20000
    assert [d.name for d in s.duties] == ["包联点走访", "食堂陪餐"]


def test_duty_rules_parse():
    s = parse_settings(
        {
            "duties": [
                {"name": "包联宿舍", "who": "all", "what": "own points", "point_types": ["宿舍"]},
                {"name": "食堂陪餐", "who": ["中层副职以上", "辅导员"], "what": ["食堂"], "times": 2},
            ]
        }
    )
    assert s.duties[0].what == OWN_POINTS and s.duties[0].point_types == ("宿舍",)
    assert s.duties[1].who == ("中层副职以上", "辅导员") and s.duties[1].times == 2


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"reminder_days": [15, 31]}, "scheduler.reminder_days"),
        ({"reminder_time": "9点"}, "scheduler.reminder_time"),
        ({"quiet_hours": ["21:00"]}, "scheduler.quiet_hours"),
        ({"before_deadline_days": -1}, "scheduler.before_deadline_days"),
        ({"escalate_head_after": 5, "escalate_leaders_after": 4}, "scheduler.escalate_leaders_after"),
        ({"digest_weekday": "someday"}, "scheduler.digest_weekday"),
        ({"duties": [{"name": "x", "times": 0}]}, "scheduler.duties[0].times"),
        ({"duties": [{"name": "x", "per": "week"}]}, "scheduler.duties[0].per"),
        ({"duties": [{"name": "x", "what": ["食堂"], "point_types": ["宿舍"]}]}, "scheduler.duties[0].point_types"),
        ({"wecom_group_bytes": 9000}, "scheduler.wecom_group_bytes"),
        ({"remind_days": [1]}, "scheduler.remind_days"),
        ({"missed_runs": "replay"}, "scheduler.missed_runs"),
        ({"holidays": {"fallback": "weekdays"}}, "scheduler.holidays.fallback"),
        ({"holidays": {"warn_from": "13-01"}}, "scheduler.holidays.warn_from"),
        ({"holidays": {"file": 3}}, "scheduler.holidays.file"),
        ({"holidays": {"notify": []}}, "scheduler.holidays.notify"),
        ({"holidays": {"source": "x"}}, "scheduler.holidays.source"),
    ],
)
def test_bad_values_name_the_key(raw, key):
    with pytest.raises(ConfigError) as e:
        parse_settings(raw, group_limits=group_limits())
    assert e.value.key == key


def _next(name, settings, now):
    return jobs.JOBS[name].trigger(settings).get_next_fire_time(None, now)


def test_trigger_times():
    s = parse_settings({})
    now = datetime(2026, 10, 15, 9, 0, 1, tzinfo=TZ)  # just after a reminder run
    assert _next("visit_duties", s, now) == datetime(2026, 10, 25, 9, 0, tzinfo=TZ)
    later = datetime(2026, 10, 26, tzinfo=TZ)
    assert _next("visit_duties", s, later) == datetime(2026, 11, 15, 9, 0, tzinfo=TZ)
    assert _next("deadlines", s, now) == datetime(2026, 10, 16, 9, 0, tzinfo=TZ)
    assert _next("weekly_digest", s, now) == datetime(2026, 10, 19, 9, 0, tzinfo=TZ)  # a Monday
    assert _next("monthly_report", s, now) == datetime(2026, 11, 1, 9, 0, tzinfo=TZ)
    assert _next("monthly_report", s, datetime(2026, 12, 1, 9, 0, tzinfo=TZ)) == datetime(2026, 12, 1, 9, 0, tzinfo=TZ)


def test_trigger_uses_the_configured_zone():
    s = parse_settings({"reminder_days": [1]}, timezone="Asia/Shanghai")
    utc_now = datetime(2026, 10, 31, 23, 0, tzinfo=ZoneInfo("UTC"))  # 07:00 on Nov 1 in Shanghai
    assert _next("visit_duties", s, utc_now) == datetime(2026, 11, 1, 9, 0, tzinfo=TZ)


def test_list_jobs_shows_each_job_and_next_run():
    s = parse_settings({"digest_weekday": "fri", "digest_time": "17:30"})
    listed = dict(ops.list_jobs(s, datetime(2026, 10, 14, 12, 0)))
    assert set(listed) == set(jobs.JOBS)
    assert listed["weekly_digest"] == datetime(2026, 10, 16, 17, 30)
    assert listed["visit_duties"] == datetime(2026, 10, 15, 9, 0)
    assert ops.list_jobs(parse_settings({"enabled": False}), datetime(2026, 10, 14)) == []


def test_build_scheduler_registers_jobs_with_coalesce(db):
    from handlers.policy import Policy
    from scheduler.wiring import build_scheduler

    sch = build_scheduler(db, parse_settings({"misfire_grace_s": 600}), Policy())
    got = {j.id: j for j in sch.get_jobs()}
    assert set(got) == set(jobs.JOBS)
    assert all(j.coalesce and j.misfire_grace_time == 600 and j.max_instances == 1 for j in got.values())
