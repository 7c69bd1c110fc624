"""Operations for the CLI: `minqing jobs list` and `minqing jobs run NAME [--now] [--dry-run]`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from handlers.policy import Policy
from scheduler import jobs
from scheduler.delivery import OutboxSender, Sender
from scheduler.settings import SchedulerSettings, parse_settings
from storage.db import Database

if TYPE_CHECKING:  # bot.config imports nothing from here; keep scheduler importable alone
    from bot.config import Config


def settings_from(cfg: Config) -> SchedulerSettings:
    """SchedulerSettings from the loaded config (`[scheduler]` table, top-level timezone)."""
    return parse_settings(cfg.scheduler, timezone=cfg.timezone)


def list_jobs(settings: SchedulerSettings, now: datetime) -> list[tuple[str, datetime]]:
    """Each job and its next run at or after `now`, in naive local time (no jobs when the
    scheduler is disabled)."""
    if not settings.enabled:
        return []
    aware = now.replace(tzinfo=settings.tz) if now.tzinfo is None else now.astimezone(settings.tz)
    out = []
    for spec in jobs.JOBS.values():
        nxt = spec.trigger(settings).get_next_fire_time(None, aware)
        out.append((spec.name, nxt.replace(tzinfo=None)))
    return out


async def run_job(
    name: str, *, now: datetime, db: Database, settings: SchedulerSettings, policy: Policy,
    dry_run: bool, sender: Sender | None = None,
) -> list[str]:
    """Run job `name`'s body at clock time `now`. With `dry_run` nothing is written and the
    result shows what would be sent; otherwise messages are claimed and queued as in a
    scheduled run (a manual run is not recorded for catch-up). Returns one text block per
    message: target, send-after time when deferred by calm rules, and body.
    Raises ValueError for an unknown job name."""
    spec = jobs.get(name)
    messages = await spec.body(now, db, sender or OutboxSender(), settings, policy, dry_run=dry_run)
    return [m.describe() for m in messages]
