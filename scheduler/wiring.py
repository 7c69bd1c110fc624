"""APScheduler 3.x wiring: a few lines around the job bodies, plus catch-up after downtime.

Each fire runs the job body with the injected clock's time and then records the run in
`job_runs`; on start `catch_up` looks at the latest scheduled time each job missed while the
process was down (one slot, so no flood of stale copies). The missed run belongs to its own
period (the month, reminder day or week of that slot): while that period lasts it is run
for it; once the period has ended it is skipped with a log line (`missed_runs = "skip"`,
default) or evaluated for its own period (`"evaluate"`). Reminder claims make a run that
overlaps another process or repeats a committed run harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from handlers.clock import Clock, SystemClock
from handlers.policy import Policy
from scheduler import jobs
from scheduler.delivery import Message, OutboxSender, Sender
from scheduler.settings import SchedulerSettings
from storage import sweeps
from storage.db import Database

log = logging.getLogger(__name__)


async def run_and_record(
    name: str, db: Database, settings: SchedulerSettings, policy: Policy, sender: Sender, clock: Clock,
    slot: datetime | None = None,
) -> list[Message]:
    """Run job `name` at the clock's time for the period of `slot` (its scheduled time;
    default: now), then record the run for catch-up."""
    now = clock.now()
    sent = await jobs.get(name).body(now, db, sender, settings, policy, slot=slot)
    async with db.write() as s:
        await sweeps.record_job_run(s, name, now)
    log.info("job %s ran at %s: %d message(s) queued", name, now.isoformat(), len(sent))
    return sent


def build_scheduler(
    db: Database, settings: SchedulerSettings, policy: Policy, *,
    sender: Sender | None = None, clock: Clock | None = None,
) -> AsyncIOScheduler:
    """An AsyncIOScheduler (not started) with every job on its CronTrigger in the
    organisation's zone; coalesced, one instance at a time, late runs allowed within
    `misfire_grace_s`. With `settings.enabled` false it has no jobs."""
    sender = sender or OutboxSender()
    clock = clock or SystemClock(settings.timezone)
    scheduler = AsyncIOScheduler(timezone=settings.tz, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": settings.misfire_grace_s,
    })
    if not settings.enabled:
        return scheduler
    for spec in jobs.JOBS.values():
        scheduler.add_job(run_and_record, trigger=spec.trigger(settings), id=spec.name, name=spec.name,
                          args=[spec.name, db, settings, policy, sender, clock], replace_existing=True,
                          coalesce=True, max_instances=1, misfire_grace_time=settings.misfire_grace_s)
    return scheduler


async def catch_up(
    db: Database, settings: SchedulerSettings, policy: Policy, *,
    sender: Sender | None = None, clock: Clock | None = None,
) -> list[str]:
    """Run once each job that missed a scheduled time since its last recorded run; return
    the names run. A job never run before is only recorded (no run on first start)."""
    if not settings.enabled:
        return []
    sender = sender or OutboxSender()
    clock = clock or SystemClock(settings.timezone)
    now = clock.now()
    async with db.session() as s:
        runs = await sweeps.job_runs(s)
    ran = []
    for spec in jobs.JOBS.values():
        last = runs.get(spec.name)
        if last is None:
            async with db.write() as s:
                await sweeps.record_job_run(s, spec.name, now)
            continue
        slots = missed_slots(spec, settings, last, now)
        if spec.stateless:
            slots = slots[-1:]  # evaluated at "now" whatever the slot: once is enough
        ran_this = False
        for slot in slots:
            ends = spec.period_end(slot, settings)
            if ends <= now and settings.missed_runs == "skip":
                log.info("catch-up: %s missed its run at %s; its period ended at %s, skipped",
                         spec.name, slot.isoformat(), ends.isoformat())
                continue
            log.info("catch-up: %s missed its run at %s; run now for that run's period", spec.name,
                     slot.isoformat())
            await run_and_record(spec.name, db, settings, policy, sender, clock, slot=slot)
            ran_this = True
        if ran_this:
            ran.append(spec.name)
        elif slots:
            async with db.write() as s:
                await sweeps.record_job_run(s, spec.name, now)
    return ran


def missed_slots(spec: jobs.JobSpec, settings: SchedulerSettings, last: datetime, now: datetime,
                 limit: int = 400) -> list[datetime]:
    """Scheduled times of `spec` in (last, now], oldest first, naive local (at most `limit`,
    the newest kept)."""
    trigger = spec.trigger(settings)
    t = trigger.get_next_fire_time(None, last.replace(tzinfo=settings.tz) + timedelta(seconds=1))
    found: list[datetime] = []
    while t is not None and t.replace(tzinfo=None) <= now:
        found.append(t.replace(tzinfo=None))
        t = trigger.get_next_fire_time(t, t + timedelta(seconds=1))
    return found[-limit:]
