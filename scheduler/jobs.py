"""The scheduler's jobs: name, body and trigger, in one registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import time

from apscheduler.triggers.cron import CronTrigger

from scheduler import deadlines, digest, duties, monthly
from scheduler.settings import SchedulerSettings

JobBody = Callable[..., Awaitable[list]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    body: JobBody
    trigger: Callable[[SchedulerSettings], CronTrigger]
    description: str


def _cron(settings: SchedulerSettings, at: time, **fields: str | int) -> CronTrigger:
    return CronTrigger(hour=at.hour, minute=at.minute, second=0, timezone=settings.tz, **fields)


JOBS: dict[str, JobSpec] = {spec.name: spec for spec in (
    JobSpec(duties.JOB_NAME, duties.visit_duties_job,
            lambda s: _cron(s, s.reminder_time, day=",".join(map(str, s.reminder_days))),
            "visit-duty reminders on the reminder days"),
    JobSpec(deadlines.JOB_NAME, deadlines.deadline_job,
            lambda s: _cron(s, s.deadline_time),
            "daily deadline reminders, 催办 and 督办 escalation"),
    JobSpec(digest.JOB_NAME, digest.weekly_digest_job,
            lambda s: _cron(s, s.digest_time, day_of_week=s.digest_weekday),
            "weekly digest to bound groups and the leaders' group"),
    JobSpec(monthly.JOB_NAME, monthly.monthly_report_job,
            lambda s: _cron(s, s.monthly_time, day=s.monthly_day),
            "monthly report to leaders"),
)}


def get(name: str) -> JobSpec:
    """The job called `name`; ValueError naming the known jobs otherwise."""
    try:
        return JOBS[name]
    except KeyError:
        raise ValueError(f"unknown job {name!r}; known jobs: {', '.join(JOBS)}") from None
