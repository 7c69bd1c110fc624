"""Is next year's holiday calendar official? From `warn_from` (default 1 November) on, a
missing official next year is an ERROR in the log (at start-up and by the daily check job),
a line in `minqing jobs list`, and one chat message to the configured administrators."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from handlers.policy import Policy
from handlers.texts import reminders as texts
from scheduler import calm
from scheduler.delivery import Envelope, Sender, deliver
from scheduler.settings import SchedulerSettings
from storage import sweeps
from storage.db import Database
from storage.notice import CadreAddress, Notice

log = logging.getLogger(__name__)

JOB_NAME = "holiday_check"


def missing_next_year(today: date, settings: SchedulerSettings) -> int | None:
    """The next year when it lacks official holiday data and `today` is on or after the
    warning day; else None."""
    if not settings.skip_holidays or (today.month, today.day) < settings.holidays.warn_from:
        return None
    year = today.year + 1
    return None if settings.holidays.calendar().coverage(year) == "official" else year


def file_hint(settings: SchedulerSettings) -> str:
    """The configured holiday file, or the Chinese hint that none is configured."""
    return settings.holidays.file or "（未配置：请在 [scheduler.holidays] 设置 file）"


def warning_line(today: date, settings: SchedulerSettings) -> str | None:
    """The Chinese warning for `jobs list` / the chat message, or None."""
    year = missing_next_year(today, settings)
    if year is None:
        return None
    fallback = (
        texts.HOLIDAY_FALLBACK_STATUTORY if settings.holidays.fallback == "statutory" else texts.HOLIDAY_FALLBACK_CLOSED
    )
    return texts.HOLIDAY_MISSING.format(year=year, file=file_hint(settings), fallback=fallback)


def log_gap(today: date, settings: SchedulerSettings) -> bool:
    """Log an ERROR when next year lacks official data (start-up and daily); True if so."""
    year = missing_next_year(today, settings)
    if year is None:
        return False
    log.error(
        "no official holiday data for %s: add the State Council's dates to %s (see README, 定时任务); until then %s",
        year,
        file_hint(settings),
        "days off follow the statutory rules and 调休 working days are unknown"
        if settings.holidays.fallback == "statutory"
        else "nothing is sent on any day of that year",
    )
    return True


def render_held(now: datetime, settings: SchedulerSettings, subject: dict) -> tuple[list[str], str | None]:
    """The notice at delivery, or ([], reason) once the year's official dates were added."""
    cov = settings.holidays.calendar().coverage(int(subject["year"]))
    if cov == "official":
        return [], "official holidays added"
    line = texts.HOLIDAY_MISSING.format(
        year=subject["year"],
        file=file_hint(settings),
        fallback=texts.HOLIDAY_FALLBACK_STATUTORY if cov == "statutory" else texts.HOLIDAY_FALLBACK_CLOSED,
    )
    return [line], None


def recipients(people: list, settings: SchedulerSettings) -> list:
    """Cadres named in `notify` (by role or by name)."""
    wanted = set(settings.holidays.notify)
    return [p for p in people if p.name in wanted or wanted & set(p.roles)]


async def holiday_check_job(
    now: datetime,
    db: Database,
    sender: Sender,
    settings: SchedulerSettings,
    policy: Policy | None = None,
    *,
    dry_run: bool = False,
    slot: datetime | None = None,
) -> list[Notice]:
    """Daily: log the gap as an ERROR and tell each administrator once per year (key
    holidays:{year}:{cadre})."""
    if not log_gap(now.date(), settings):
        return []
    year = now.year + 1
    body = warning_line(now.date(), settings)
    if body is None:  # the gap was closed meanwhile
        return []
    async with db.session() as s:
        people = await sweeps.load_people(s)
    admins = recipients(people, settings)
    if not admins:
        log.error("no administrator to tell about the missing %s holidays: set [scheduler.holidays] notify", year)
        return []
    when = calm.not_before(now, settings, settings.deadline_time)
    subject = {"job": JOB_NAME, "year": year}

    def render(pid: int) -> Callable[[list[str]], list[Notice]]:
        return lambda _keys: [Notice(CadreAddress(pid), body, not_before=when, subject=subject)]

    envelopes = [Envelope([(f"holidays:{year}:{p.id}", p.id)], render(p.id)) for p in admins]
    return await deliver(db, now, sender, envelopes, dry_run=dry_run)
