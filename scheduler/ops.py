"""Operations for the CLI: `minqing jobs list`, `minqing jobs run NAME [--now] [--dry-run]`
and `minqing holidays check [--year Y]`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from handlers.policy import Policy
from scheduler import coverage, jobs
from scheduler.delivery import OutboxSender, Sender
from scheduler.settings import SchedulerSettings, parse_settings
from storage import sweeps
from storage.db import Database
from storage.notice import Address, CadreAddress, GroupAddress, Notice

if TYPE_CHECKING:  # bot.config imports nothing from here; keep scheduler importable alone
    from bot.config import Config


def settings_from(cfg: Config) -> SchedulerSettings:
    """SchedulerSettings from the loaded config (`[scheduler]` table, top-level timezone,
    holidays file relative to `data_dir`)."""
    return parse_settings(cfg.scheduler, timezone=cfg.timezone, data_dir=cfg.data_dir, group_limits=cfg.group_limits)


def parse_now(text: str, settings: SchedulerSettings) -> datetime:
    """`--now` as naive local time in the organisation's zone. Accepts ISO times with or
    without an offset (2026-11-25T09:00, 2026-11-25T01:00Z, 2026-11-25T09:00+08:00).
    Raises ValueError."""
    at = datetime.fromisoformat(text.strip())
    if at.tzinfo is not None:
        at = at.astimezone(settings.tz).replace(tzinfo=None)
    return at


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


def calendar_warning(settings: SchedulerSettings, now: datetime) -> str | None:
    """The line `jobs list` adds when next year has no official holiday data (from the
    warning day on), else None."""
    return coverage.warning_line(now.date(), settings)


async def recipient_names(db: Database, messages: list[Notice]) -> dict[Address, str]:
    """Readable names for message addresses: a cadre's name, a group's unit (or 领导群)."""
    async with db.session() as s:
        people = {p.id: p.name for p in await sweeps.load_people(s)}
        units = await sweeps.units(s)
        groups = {g.id: g for g in await sweeps.group_bindings(s)}
    names: dict[Address, str] = {}
    for m in messages:
        if isinstance(m.to, CadreAddress) and m.to.cadre_id in people:
            names[m.to] = people[m.to.cadre_id]
        elif isinstance(m.to, GroupAddress) and m.to.binding_id in groups:
            g = groups[m.to.binding_id]
            unit = units.get(g.unit_id, "") if g.unit_id is not None else ""
            names[m.to] = "领导群" if g.is_leaders else f"{unit}群"
    return names


async def run_job(
    name: str,
    *,
    now: datetime,
    db: Database,
    settings: SchedulerSettings,
    policy: Policy,
    dry_run: bool,
    sender: Sender | None = None,
) -> list[str]:
    """Run job `name`'s body at clock time `now` (for the period `now` belongs to). With
    `dry_run` nothing is written and the result shows what would be sent; otherwise messages
    are claimed and queued as in a scheduled run (a manual run is not recorded for
    catch-up). Returns one text block per message: recipient by name, send-after time when
    held by calm rules, and body. Raises ValueError for an unknown job name."""
    spec = jobs.get(name)
    messages = await spec.body(now, db, sender or OutboxSender(), settings, policy, dry_run=dry_run)
    names = await recipient_names(db, messages)
    return [m.describe(names) for m in messages]


def holidays_report(settings: SchedulerSettings, year: int) -> list[str]:
    """`minqing holidays check --year Y`: the year's coverage, then each day that is not an
    ordinary weekday/weekend (days off on weekdays, working weekends, named holidays) with
    its source, then the count of working days."""
    cal = settings.holidays.calendar()
    cov = cal.coverage(year)
    official = cal.official_year(year)
    head = {
        "official": "官方数据",
        "statutory": "无官方数据：按法定节日规则推算，调休上班日未知",
        "closed": '无官方数据：该年不发送（fallback = "closed"）',
    }[cov]
    lines = [f"{year}年：{head}"]
    if official is not None:
        lines.append(f"来源：{official.source}  {official.url}".rstrip())
        if official.origin != "shipped":
            lines.append(f"文件：{official.origin}")
    elif cov == "official":
        lines.append("来源：chinesecalendar 官方数据")
    lines.append(f"节假日文件：{settings.holidays.file or '（未配置）'}")
    d, working = date(year, 1, 1), 0
    while d.year == year:
        info = cal.day(d)
        working += info.working
        weekend = d.weekday() >= 5
        if info.working == weekend or info.name:
            state = "上班" if info.working else "休息"
            lines.append(
                f"{d:%Y-%m-%d} 周{'一二三四五六日'[d.weekday()]} {state} {info.name or ''}".rstrip()
                + f"  ［{info.source}］"
            )
        d += timedelta(days=1)
    lines.append(f"工作日共 {working} 天")
    return lines
