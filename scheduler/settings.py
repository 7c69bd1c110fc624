"""Scheduler settings: the `[scheduler]` TOML table parsed into one frozen dataclass.

Every number is configuration; the defaults are the rules of the campaign plans
(see shared/DOMAIN.md). Example:

    [scheduler]
    reminder_days = [15, 25]
    reminder_time = "09:00"
    quiet_hours = ["21:00", "08:00"]

    [[scheduler.duties]]
    name = "食堂陪餐"
    who = ["中层副职以上", "辅导员"]
    what = ["食堂"]
    per = "month"
    times = 1

    [scheduler.holidays]          # working-day calendar (scheduler.workcal)
    file = "holidays.toml"        # relative to data_dir; false: no administrator's file
    fallback = "statutory"        # or "closed", for a year without official data
    warn_from = "11-01"           # from this day a missing next year is reported
    notify = ["admin"]            # roles or cadre names told in chat
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.errors import ConfigError

OWN_POINTS = "own_points"
EVERYONE = "all"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class DutyRule:
    """One visit duty. `who` is EVERYONE or a tuple of roles (any of them applies).
    `what` is OWN_POINTS (each of the cadre's 包联点, optionally only of `point_types`)
    or a tuple of place types (visits of any of these types count)."""

    name: str
    who: str | tuple[str, ...] = EVERYONE
    what: str | tuple[str, ...] = OWN_POINTS
    point_types: tuple[str, ...] = ()
    per: str = "month"
    times: int = 1

    def applies_to(self, roles: frozenset[str]) -> bool:
        """True when the rule binds a cadre with these roster roles (everyone, or one of `who`)."""
        return self.who == EVERYONE or any(r in roles for r in self.who)


DEFAULT_DUTIES = (
    # Each cadre visits each assigned place (dormitories, and for leaders their contact
    # units) at least once a month.
    DutyRule(name="包联点走访", who=EVERYONE, what=OWN_POINTS, times=1),
    DutyRule(name="食堂陪餐", who=("中层副职以上", "辅导员"), what=("食堂",), times=1),
)


MISSED_RUNS = ("skip", "evaluate")


@dataclass(frozen=True)
class HolidaySettings:
    """`[scheduler.holidays]`: the administrator's holidays file (None: none), what to do for a
    year without official data ("statutory" rules or "closed"), from which day of the year
    (month, day) a missing next year is reported, and who gets the chat message (roles or
    cadre names)."""

    file: str | None = "data/holidays.toml"
    fallback: str = "statutory"
    warn_from: tuple[int, int] = (11, 1)
    notify: tuple[str, ...] = ("admin",)

    def calendar(self):
        """The process-wide scheduler.workcal.WorkCalendar for these settings."""
        from scheduler.workcal import calendar_for

        return calendar_for(self.file, self.fallback)


@dataclass(frozen=True)
class SchedulerSettings:
    enabled: bool = True
    timezone: str = "Asia/Shanghai"
    duties: tuple[DutyRule, ...] = DEFAULT_DUTIES
    reminder_days: tuple[int, ...] = (15, 25)
    reminder_time: time = time(9, 0)
    deadline_time: time = time(9, 0)  # the daily deadline sweep
    before_deadline_days: int = 2
    escalate_head_after: int = 3  # working days after the 催办 day
    escalate_leaders_after: int = 7
    digest_weekday: str = "mon"
    digest_time: time = time(9, 0)
    monthly_day: int = 1
    monthly_time: time = time(9, 0)
    nlu_retrain_time: time = time(2, 30)  # nightly: the understanding models learn the day's corrections
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    skip_holidays: bool = True  # non-working days per scheduler.workcal (调休 days are working days)
    holidays: HolidaySettings = field(default_factory=HolidaySettings)
    missed_runs: str = "skip"  # a missed run whose period has ended: "skip" (logged) or "evaluate"
    misfire_grace_s: int = 3600
    leader_role: str = "leader"
    unit_head_role: str = "unit_head"
    # {platform: largest group message in UTF-8 bytes}: scheduler.<platform>_group_bytes, at most
    # what the platform takes (parse_settings' group_limits, from bot/<platform>/platform.py)
    group_bytes: dict[str, int] = field(default_factory=dict)
    person_bytes: int = 2048  # WeCom text to a person; the strictest platform wins
    list_limit: int = 8  # items listed in one reminder before "等共N项"
    monthly_max_parts: int = 4

    def group_limit(self, channel: str) -> int:
        """Byte limit of one group message on `channel` (unknown: the smallest known, or person_bytes)."""
        return self.group_bytes.get(channel, min(self.group_bytes.values(), default=self.person_bytes))

    @property
    def tz(self) -> ZoneInfo:
        """The organisation's time zone (all stored times are naive local times in it)."""
        return ZoneInfo(self.timezone)


def _time(raw: dict, key: str, default: time) -> time:
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, time):
        return value
    try:
        hh, mm = str(value).split(":")
        return time(int(hh), int(mm))
    except (ValueError, TypeError):
        raise ConfigError(f"scheduler.{key}", 'a time "HH:MM"', value) from None


def _int(raw: dict, key: str, default: int, lo: int, hi: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"scheduler.{key}", f"an integer {lo}–{hi}", value)
    return value


def _bool(raw: dict, key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"scheduler.{key}", "true or false", value)
    return value


def _str(raw: dict, key: str, default: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"scheduler.{key}", "a non-empty string", value)
    return value


def _str_list(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(key, "a non-empty list of strings", value)
    return tuple(value)


def _duty(raw: Any, n: int) -> DutyRule:
    key = f"scheduler.duties[{n}]"
    if not isinstance(raw, dict):
        raise ConfigError(key, "a table", raw)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{key}.name", "a non-empty string", name)
    who_raw = raw.get("who", EVERYONE)
    who = EVERYONE if who_raw == EVERYONE else _str_list(who_raw, f"{key}.who")
    what_raw = raw.get("what", OWN_POINTS)
    what = OWN_POINTS if what_raw in (OWN_POINTS, "own points") else _str_list(what_raw, f"{key}.what")
    point_types: tuple[str, ...] = ()
    if "point_types" in raw:
        if what != OWN_POINTS:
            raise ConfigError(f"{key}.point_types", f'only with what = "{OWN_POINTS}"', raw["point_types"])
        point_types = _str_list(raw["point_types"], f"{key}.point_types")
    per = raw.get("per", "month")
    if per != "month":
        raise ConfigError(f"{key}.per", '"month"', per)
    times = raw.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= 100:
        raise ConfigError(f"{key}.times", "an integer 1–100", times)
    return DutyRule(name=name, who=who, what=what, point_types=point_types, per=per, times=times)


def _holidays(raw: Any, data_dir: Path) -> HolidaySettings:
    if not isinstance(raw, dict):
        raise ConfigError("scheduler.holidays", "a table [scheduler.holidays]", raw)
    for key in raw:
        if key not in ("file", "fallback", "warn_from", "notify"):
            raise ConfigError(f"scheduler.holidays.{key}", "file, fallback, warn_from or notify", key)
    file = raw.get("file", "holidays.toml")
    if file is not False and (not isinstance(file, str) or not file):
        raise ConfigError("scheduler.holidays.file", "a path (relative to data_dir), or false for none", file)
    path = None if file is False else str(data_dir / file)
    fallback = raw.get("fallback", "statutory")
    if fallback not in ("statutory", "closed"):
        raise ConfigError("scheduler.holidays.fallback", '"statutory" or "closed"', fallback)
    warn = raw.get("warn_from", "11-01")
    try:
        mm, dd = (int(x) for x in str(warn).split("-"))
        date(2001, mm, dd)
    except (ValueError, TypeError):
        raise ConfigError("scheduler.holidays.warn_from", 'a day of the year "MM-DD" like "11-01"', warn) from None
    notify = _str_list(raw.get("notify", ["admin"]), "scheduler.holidays.notify")
    return HolidaySettings(file=path, fallback=fallback, warn_from=(mm, dd), notify=notify)


def _missed(raw: dict) -> str:
    value = raw.get("missed_runs", "skip")
    if value not in MISSED_RUNS:
        raise ConfigError("scheduler.missed_runs", '"skip" or "evaluate"', value)
    return value


def parse_settings(
    raw: dict[str, Any],
    *,
    timezone: str | None = None,
    data_dir: str | Path = "data",
    group_limits: Mapping[str, int] | None = None,
) -> SchedulerSettings:
    """Build SchedulerSettings from the raw `[scheduler]` table (missing keys: defaults).

    Raises ConfigError naming the exact key (e.g. `scheduler.reminder_days`) on a bad value.
    `timezone` (the top-level config zone) wins over `scheduler.timezone`; the holidays file
    is resolved relative to `data_dir`. `group_limits` {platform: bytes} is what each platform's
    group message takes (bot.config.group_limits()): `scheduler.<platform>_group_bytes` may
    lower it (to 512 at least); without it group messages are cut at `person_bytes`."""
    limits = dict(group_limits or {})
    if not isinstance(raw, dict):
        raise ConfigError("scheduler", "a table", raw)
    known = set(SchedulerSettings.__dataclass_fields__) | {"quiet_hours"} | {f"{n}_group_bytes" for n in limits}
    known -= {"quiet_start", "quiet_end", "group_bytes"}
    for key in raw:
        if key not in known:
            raise ConfigError(f"scheduler.{key}", "a known scheduler setting", key)

    tz = timezone or _str(raw, "timezone", "Asia/Shanghai")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("scheduler.timezone", "an IANA zone like Asia/Shanghai", tz) from None

    days = raw.get("reminder_days", [15, 25])
    if (
        not isinstance(days, list)
        or not days
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 28 for d in days)
    ):
        raise ConfigError("scheduler.reminder_days", "a non-empty list of days 1–28", days)

    quiet = raw.get("quiet_hours", ["21:00", "08:00"])
    if not isinstance(quiet, list) or len(quiet) != 2:
        raise ConfigError("scheduler.quiet_hours", 'two times ["21:00", "08:00"]', quiet)
    q_start = _time({"quiet_hours": quiet[0]}, "quiet_hours", time(21, 0))
    q_end = _time({"quiet_hours": quiet[1]}, "quiet_hours", time(8, 0))

    weekday = str(raw.get("digest_weekday", "mon")).lower()[:3]
    if weekday not in WEEKDAYS:
        raise ConfigError("scheduler.digest_weekday", "a weekday like mon", raw.get("digest_weekday"))

    duties_raw = raw.get("duties")
    duties: tuple[DutyRule, ...]
    if duties_raw is None:
        duties = DEFAULT_DUTIES
    elif not isinstance(duties_raw, list):
        raise ConfigError("scheduler.duties", "an array of tables [[scheduler.duties]]", duties_raw)
    else:
        duties = tuple(_duty(d, n) for n, d in enumerate(duties_raw))
        names = [d.name for d in duties]
        if len(set(names)) != len(names):
            raise ConfigError("scheduler.duties", "unique duty names", names)

    head = _int(raw, "escalate_head_after", 3, 1, 60)
    leaders = _int(raw, "escalate_leaders_after", 7, 1, 120)
    if leaders <= head:
        raise ConfigError("scheduler.escalate_leaders_after", f"more than escalate_head_after ({head})", leaders)
    return SchedulerSettings(
        enabled=_bool(raw, "enabled", True),
        timezone=tz,
        duties=duties,
        reminder_days=tuple(sorted(set(days))),
        reminder_time=_time(raw, "reminder_time", time(9, 0)),
        deadline_time=_time(raw, "deadline_time", time(9, 0)),
        before_deadline_days=_int(raw, "before_deadline_days", 2, 0, 30),
        escalate_head_after=head,
        escalate_leaders_after=leaders,
        digest_weekday=weekday,
        digest_time=_time(raw, "digest_time", time(9, 0)),
        monthly_day=_int(raw, "monthly_day", 1, 1, 28),
        monthly_time=_time(raw, "monthly_time", time(9, 0)),
        nlu_retrain_time=_time(raw, "nlu_retrain_time", time(2, 30)),
        quiet_start=q_start,
        quiet_end=q_end,
        skip_holidays=_bool(raw, "skip_holidays", True),
        holidays=_holidays(raw.get("holidays", {}), Path(data_dir)),
        missed_runs=_missed(raw),
        misfire_grace_s=_int(raw, "misfire_grace_s", 3600, 1, 7 * 86400),
        leader_role=_str(raw, "leader_role", "leader"),
        unit_head_role=_str(raw, "unit_head_role", "unit_head"),
        group_bytes={n: _int(raw, f"{n}_group_bytes", top, min(512, top), top) for n, top in limits.items()},
        person_bytes=_int(raw, "person_bytes", 2048, 512, 2048),
        list_limit=_int(raw, "list_limit", 8, 1, 50),
        monthly_max_parts=_int(raw, "monthly_max_parts", 4, 1, 20),
    )
