"""The working-day calendar: which days are working days, and where each answer comes from.

Sources, first match wins, per year:

1. the administrator's holidays file (TOML, `[scheduler.holidays] file`), re-read whenever its
   modification time changes, so new dates apply without a restart;
2. the official years shipped in scheduler/data/holidays.toml;
3. the `chinese_calendar` package (official data for the years it knows);
4. for a year with no official data, `fallback`: "statutory" (default) computes the days off
   from the statutory rules with the `holidays` package (元旦, 春节, 清明, 劳动节, 端午, 中秋,
   国庆, moved off weekends) — 调休 working days are then unknown; "closed" treats every day of
   such a year as a non-working day, so nothing is sent until the administrator adds the year.
   Never plain Monday–Friday.

File format (both files):

    [years.2027]
    status = "official"            # or "statutory" (with a `note`): dates not official
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    url = "https://www.gov.cn/…"
    off = ["2027-01-01", "2027-02-05..2027-02-11"]   # days off; "a..b" is a range
    work = ["2027-02-14"]                             # 调休: weekend days that are working days
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import holidays as statutory_holidays

from handlers.errors import HolidayFileError

log = logging.getLogger(__name__)

SHIPPED = Path(__file__).parent / "data" / "holidays.toml"
FALLBACKS = ("statutory", "closed")


@dataclass(frozen=True)
class YearData:
    """One year of a holidays file."""

    year: int
    status: str  # official | statutory
    source: str = ""
    url: str = ""
    note: str = ""
    off: frozenset[date] = frozenset()
    work: frozenset[date] = frozenset()
    origin: str = ""  # the file it came from


@dataclass(frozen=True)
class DayInfo:
    """A day's verdict: working or not, the kind of source and a description of it."""

    day: date
    working: bool
    kind: str  # admin | shipped | package | statutory | closed
    source: str
    name: str = ""  # the holiday's name where known


def _dates(value: object, where: str, year: int) -> frozenset[date]:
    if not isinstance(value, list) or not all(isinstance(v, str | date) for v in value):
        raise HolidayFileError(where, 'a list of dates like ["2027-01-01", "2027-02-05..2027-02-11"]')
    out: set[date] = set()
    for v in value:
        try:
            if isinstance(v, date):
                first = last = v
            elif ".." in v:
                a, b = v.split("..", 1)
                first, last = date.fromisoformat(a.strip()), date.fromisoformat(b.strip())
            else:
                first = last = date.fromisoformat(v.strip())
        except ValueError:
            raise HolidayFileError(where, f"{v!r} is not a date YYYY-MM-DD or a range a..b") from None
        if last < first or first.year != year or last.year != year:
            raise HolidayFileError(where, f"{v!r} must lie in {year}, first day first")
        out.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return frozenset(out)


def parse_file(text: str, origin: str) -> dict[int, YearData]:
    """Parse a holidays file. Raises HolidayFileError naming the file and key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HolidayFileError(origin, f"not valid TOML ({exc})") from None
    years = raw.get("years", {})
    if not isinstance(years, dict):
        raise HolidayFileError(f"{origin} years", "tables like [years.2027]")
    out: dict[int, YearData] = {}
    for key, table in years.items():
        where = f"{origin} [years.{key}]"
        if not (isinstance(key, str) and key.isdigit() and len(key) == 4) or not isinstance(table, dict):
            raise HolidayFileError(where, "a table named by a four-digit year")
        year = int(key)
        status = table.get("status", "official")
        if status not in ("official", "statutory"):
            raise HolidayFileError(f"{where} status", '"official" or "statutory"')
        note = str(table.get("note", ""))
        if status == "statutory" and not note.strip():
            raise HolidayFileError(f"{where} note", "a note saying why the year is not official")
        off = _dates(table.get("off", []), f"{where} off", year)
        work = _dates(table.get("work", []), f"{where} work", year)
        if off & work:
            raise HolidayFileError(where, f"{min(off & work)} is both off and work")
        if status == "official" and not off:
            raise HolidayFileError(f"{where} off", "the year's days off (official data has some)")
        out[year] = YearData(
            year, status, str(table.get("source", "")), str(table.get("url", "")), note, off, work, origin
        )
    return out


@dataclass
class _Loaded:
    stamp: tuple[int, int] | None = None
    years: dict[int, YearData] = field(default_factory=dict)


class WorkCalendar:
    """Working days from the sources above. `file` is the administrator's holidays file
    (None or missing: none); it is re-read when its mtime or size changes. A broken file is
    logged as an ERROR once per change and the last good version stays in force."""

    def __init__(
        self, file: Path | None = None, *, fallback: str = "statutory", shipped: Path | None = SHIPPED
    ) -> None:
        if fallback not in FALLBACKS:
            raise ValueError(f"fallback must be one of {FALLBACKS}")
        self.file, self.fallback = file, fallback
        self.shipped = parse_file(shipped.read_text(encoding="utf-8"), "shipped") if shipped else {}
        self._admin = _Loaded()
        self._cache: dict[date, DayInfo] = {}
        self._statutory: dict[int, dict[date, str]] = {}

    # --- the administrator's file ------------------------------------------------------------
    def admin_years(self) -> dict[int, YearData]:
        """The administrator's years, re-read when the file changed since the last call."""
        if self.file is None:
            return {}
        try:
            st = os.stat(self.file)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp == self._admin.stamp:
            return self._admin.years
        self._cache.clear()
        if stamp is None:
            if self._admin.years:
                log.warning("holidays file %s disappeared; using shipped data", self.file)
            self._admin = _Loaded(None, {})
            return {}
        try:
            years = parse_file(Path(self.file).read_text(encoding="utf-8"), str(self.file))
        except (HolidayFileError, OSError, UnicodeDecodeError) as exc:
            log.error("holidays file not used, keeping the previous version: %s", exc)
            self._admin = _Loaded(stamp, self._admin.years)
            return self._admin.years
        log.info("holidays file %s loaded: years %s", self.file, ", ".join(map(str, sorted(years))) or "none")
        self._admin = _Loaded(stamp, years)
        return years

    # --- questions ---------------------------------------------------------------------------
    def official_year(self, year: int) -> YearData | None:
        """The official data in force for `year` (administrator's first, then shipped)."""
        admin = self.admin_years().get(year)
        if admin is not None:
            return admin if admin.status == "official" else None
        shipped = self.shipped.get(year)
        return shipped if shipped is not None and shipped.status == "official" else None

    def package_knows(self, year: int) -> bool:
        """True when the chinese_calendar package has official data for `year`."""
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def coverage(self, year: int) -> str:
        """ "official" (admin file, shipped data or chinese_calendar) or the fallback's name."""
        if self.official_year(year) is not None or self.package_knows(year):
            return "official"
        return self.fallback

    def day(self, d: date) -> DayInfo:
        """Working or not, and why."""
        self.admin_years()  # reload check (clears the cache on change)
        hit = self._cache.get(d)
        if hit is None:
            hit = self._cache[d] = self._lookup(d)
        return hit

    def is_working_day(self, d: date) -> bool:
        """True when `d` is a working day (official calendar, admin file, or the fallback)."""
        return self.day(d).working

    def working_days(self, start: date, end: date) -> list[date]:
        """The working days in [start, end], in order (one reload check for the whole span)."""
        self.admin_years()
        out, d, cache = [], start, self._cache
        while d <= end:
            hit = cache.get(d)
            if hit is None:
                hit = cache[d] = self._lookup(d)
            if hit.working:
                out.append(d)
            d += timedelta(days=1)
        return out

    def _lookup(self, d: date) -> DayInfo:
        admin = self._admin.years.get(d.year)
        if admin is not None and admin.status == "official":
            return self._from_year(d, admin, "admin", f"管理员文件 {admin.origin}：{admin.source}".rstrip("："))
        if admin is None:
            shipped = self.shipped.get(d.year)
            if shipped is not None and shipped.status == "official":
                return self._from_year(d, shipped, "shipped", f"随附官方数据：{shipped.source}")
            if self.package_knows(d.year):
                on_duty = chinese_calendar.is_workday(d)
                _, name = chinese_calendar.get_holiday_detail(d)
                return DayInfo(d, on_duty, "package", "chinesecalendar 官方数据", name or "")
        if self.fallback == "closed":
            return DayInfo(d, False, "closed", '无官方数据，按配置不发送（fallback = "closed"）')
        names = self._statutory.get(d.year)
        if names is None:
            names = self._statutory[d.year] = dict(statutory_holidays.China(years=d.year, language="zh_CN").items())
        name = names.get(d, "")
        return DayInfo(d, d.weekday() < 5 and not name, "statutory", "法定节日规则推算（调休上班日未知）", name)

    @staticmethod
    def _from_year(d: date, y: YearData, kind: str, source: str) -> DayInfo:
        if d in y.off:
            return DayInfo(d, False, kind, source, "放假")
        if d in y.work:
            return DayInfo(d, True, kind, source, "调休上班")
        return DayInfo(d, d.weekday() < 5, kind, source)


_calendars: dict[tuple[str | None, str], WorkCalendar] = {}


def calendar_for(file: str | Path | None, fallback: str = "statutory") -> WorkCalendar:
    """The process-wide calendar for these settings (one per file, so reloads are shared)."""
    key = (str(file) if file is not None else None, fallback)
    cal = _calendars.get(key)
    if cal is None:
        cal = _calendars[key] = WorkCalendar(Path(file) if file is not None else None, fallback=fallback)
    return cal
