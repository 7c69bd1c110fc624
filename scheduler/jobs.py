"""The scheduler's jobs: name, body, trigger and the period a run belongs to, in one registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from apscheduler.triggers.cron import CronTrigger

from scheduler import coverage, deadlines, digest, duties, monthly
from scheduler.settings import SchedulerSettings

JobBody = Callable[..., Awaitable[list]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    body: JobBody  # (now, db, sender, settings, policy, *, dry_run, slot) -> messages
    trigger: Callable[[SchedulerSettings], CronTrigger]
    description: str
    # (scheduled time, settings) -> when that run's period ends (a missed run after that is
    # skipped or evaluated for its own period: settings.missed_runs)
    period_end: Callable[[datetime, SchedulerSettings], datetime]
    stateless: bool = False  # evaluated at "now" whatever its slot (only the latest missed runs)


def _cron(settings: SchedulerSettings, at: time, **fields: str | int) -> CronTrigger:
    return CronTrigger(hour=at.hour, minute=at.minute, second=0, timezone=settings.tz, **fields)


def _next_day(slot: datetime, _s: SchedulerSettings) -> datetime:
    return slot + timedelta(days=1)


def _duty_end(slot: datetime, s: SchedulerSettings) -> datetime:
    from datetime import date

    return duties.period_end(date.fromisoformat(duties.reminder_period(slot.date(), s)), s)


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            duties.JOB_NAME,
            duties.visit_duties_job,
            lambda s: _cron(s, s.reminder_time, day=",".join(map(str, s.reminder_days))),
            "visit-duty reminders on the reminder days",
            _duty_end,
        ),
        JobSpec(
            deadlines.JOB_NAME,
            deadlines.deadline_job,
            lambda s: _cron(s, s.deadline_time),
            "daily deadline reminders, 催办 and 督办 escalation",
            _next_day,
            stateless=True,
        ),
        JobSpec(
            digest.JOB_NAME,
            digest.weekly_digest_job,
            lambda s: _cron(s, s.digest_time, day_of_week=s.digest_weekday),
            "weekly digest to bound groups and the leaders' group",
            digest.period_end,
        ),
        JobSpec(
            monthly.JOB_NAME,
            monthly.monthly_report_job,
            lambda s: _cron(s, s.monthly_time, day=s.monthly_day),
            "monthly report to leaders",
            monthly.period_end,
        ),
        JobSpec(
            coverage.JOB_NAME,
            coverage.holiday_check_job,
            lambda s: _cron(s, s.deadline_time),  # the same time as the deadline sweep
            "daily check that next year's official holidays are loaded (from 1 November)",
            _next_day,
            stateless=True,
        ),
    )
}


def get(name: str) -> JobSpec:
    """The job called `name`; ValueError naming the known jobs otherwise."""
    try:
        return JOBS[name]
    except KeyError:
        raise ValueError(f"unknown job {name!r}; known jobs: {', '.join(JOBS)}") from None
