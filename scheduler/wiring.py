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
from scheduler.delivery import OutboxSender, Sender
from scheduler.settings import SchedulerSettings
from storage import sweeps
from storage.db import Database
from storage.notice import Notice

log = logging.getLogger(__name__)


async def run_and_record(
    name: str,
    db: Database,
    settings: SchedulerSettings,
    policy: Policy,
    sender: Sender,
    clock: Clock,
    slot: datetime | None = None,
) -> list[Notice]:
    """Run job `name` at the clock's time for the period of `slot` (its scheduled time;
    default: now), then record the run for catch-up."""
    now = clock.now()
    sent = await jobs.get(name).body(now, db, sender, settings, policy, slot=slot)
    async with db.write() as s:
        await sweeps.record_job_run(s, name, now)
    log.info("job %s ran at %s: %d message(s) queued", name, now.isoformat(), len(sent))
    return sent


def build_scheduler(
    db: Database,
    settings: SchedulerSettings,
    policy: Policy,
    *,
    sender: Sender | None = None,
    clock: Clock | None = None,
) -> AsyncIOScheduler:
    """An AsyncIOScheduler (not started) with every job on its CronTrigger in the
    organisation's zone; coalesced, one instance at a time, late runs allowed within
    `misfire_grace_s`. With `settings.enabled` false it has no jobs."""
    sender = sender or OutboxSender()
    clock = clock or SystemClock(settings.timezone)
    scheduler = AsyncIOScheduler(
        timezone=settings.tz,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.misfire_grace_s,
        },
    )
    if not settings.enabled:
        return scheduler
    for spec in jobs.JOBS.values():
        scheduler.add_job(
            run_and_record,
            trigger=spec.trigger(settings),
            id=spec.name,
            name=spec.name,
            args=[spec.name, db, settings, policy, sender, clock],
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=settings.misfire_grace_s,
        )
    return scheduler


async def catch_up(
    db: Database,
    settings: SchedulerSettings,
    policy: Policy,
    *,
    sender: Sender | None = None,
    clock: Clock | None = None,
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
                log.info(
                    "catch-up: %s missed its run at %s; its period ended at %s, skipped",
                    spec.name,
                    slot.isoformat(),
                    ends.isoformat(),
                )
                continue
            log.info("catch-up: %s missed its run at %s; run now for that run's period", spec.name, slot.isoformat())
            await run_and_record(spec.name, db, settings, policy, sender, clock, slot=slot)
            ran_this = True
        if ran_this:
            ran.append(spec.name)
        elif slots:
            async with db.write() as s:
                await sweeps.record_job_run(s, spec.name, now)
    return ran


def missed_slots(
    spec: jobs.JobSpec, settings: SchedulerSettings, last: datetime, now: datetime, limit: int = 400
) -> list[datetime]:
    """Scheduled times of `spec` in (last, now], oldest first, naive local (at most `limit`,
    the newest kept)."""
    trigger = spec.trigger(settings)
    t = trigger.get_next_fire_time(None, last.replace(tzinfo=settings.tz) + timedelta(seconds=1))
    found: list[datetime] = []
    while t is not None and t.replace(tzinfo=None) <= now:
        found.append(t.replace(tzinfo=None))
        t = trigger.get_next_fire_time(t, t + timedelta(seconds=1))
    return found[-limit:]


async def start_scheduler(app) -> None:
    """Run the scheduler inside `minqing serve` until cancelled, while this instance holds the
    scheduler lease (scheduler/lease.py: one instance of several on one PostgreSQL database;
    always on SQLite): log a gap in next year's holiday data, catch up missed runs, then fire
    jobs on time, plus the nightly retraining of the understanding models. Messages go to the
    outbox; the clock is the app's (console `/now`)."""
    from scheduler import lease as leases
    from scheduler.ops import settings_from

    settings = settings_from(app.cfg)
    if not settings.enabled:
        log.info("scheduler disabled by config")
        return
    lease = leases.current = leases.SchedulerLease(app.db)
    try:
        await lease.lead(lambda: _run_scheduler(app, settings))
    finally:
        leases.current = None


async def _run_scheduler(app, settings: SchedulerSettings) -> None:
    import asyncio

    from apscheduler.triggers.cron import CronTrigger

    from scheduler import coverage

    coverage.log_gap(app.clock.now().date(), settings)
    await catch_up(app.db, settings, app.cfg.policy, clock=app.clock)
    scheduler = build_scheduler(app.db, settings, app.cfg.policy, clock=app.clock)
    at = settings.nlu_retrain_time
    scheduler.add_job(
        retrain_nlu,
        trigger=CronTrigger(hour=at.hour, minute=at.minute, timezone=settings.tz),
        id="nlu_retrain",
        name="nlu_retrain",
        args=[app],
        coalesce=True,
        max_instances=1,
        misfire_grace_time=settings.misfire_grace_s,
    )
    scheduler.start()
    log.info("scheduler started: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)


async def retrain_nlu(app) -> bool:
    """Nightly: export the category corrections cadres made (改 #N 分类) and, when they changed,
    rebuild the understanding models off the event loop; worker processes pick the new models up
    within a minute (Parser.refresh). True when the models were rebuilt. A failure is logged in
    one line and the current models stay in force."""
    import asyncio

    from handlers.nlu.training import corrections_text, retrain
    from scheduler.corrections import correction_lines, corrections_file

    try:
        lines = await correction_lines(app.db)
        path = corrections_file(app.cfg.data_dir)
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current == corrections_text(lines):
            log.info("nlu retrain: no new corrections")
            return False
        models = await asyncio.to_thread(retrain, app.parser, app.parser.models_dir or app.cfg.cache_dir, path, lines)
    except Exception as exc:  # the bot keeps its current models; the next night tries again
        log.error("nlu retrain failed: %s: %s", type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
        return False
    log.info("nlu retrain: %d correction(s), models %s", len(lines), models.key[:12])
    return True
