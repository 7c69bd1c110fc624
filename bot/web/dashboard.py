"""The month's picture for the dashboard and the printable monthly report: visits and 走访完成率
by unit, new / open / overdue / resolved items by category and unit, the weekly trend, the four
rates (storage/metrics.py), the overdue list and the cadres with unmet duties.

The organisation-wide figures of a month (`MonthData`, a dozen grouped statements plus the
duty evaluation of every cadre — seconds on 100,000 items and 20,000 cadres) are kept in a
`MonthCache` for `MAX_AGE_S` seconds and refreshed in the background after that (the page says
when they were computed); a console action clears the cache, so its effect shows at once. A
page then only narrows the figures to the viewer's units and reads the overdue list.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from handlers.periods import as_datetime, next_month
from handlers.policy import Policy
from scheduler import duties
from scheduler.settings import SchedulerSettings
from storage import metrics, sweeps
from storage.ledger import Counts, LedgerFilter, daily_counts, item_page, unit_category_counts
from storage.metrics import UnitMetrics, UnitPeriod

RATE_DEFINITIONS = (
    ("响应率", "response_rate", "责任人在时限内签收或首次反馈进展的问题 ÷ 已签收或已过签收时限的问题"),
    ("解决率", "resolve_rate", "已办结（含销号）的问题 ÷ 全部问题"),
    ("按时办结率", "on_time_rate", "在完成时限当天或之前办结的问题 ÷ 已办结的问题"),
    ("满意率", "satisfaction_rate", "（满意 + 0.9 × 基本满意）÷ 已评价的回访"),
)
"""Name, UnitMetrics attribute and definition of the rates shown (cumulative up to the month's end)."""
OVERDUE_ROWS = 20
UNMET_ROWS = 50
MAX_AGE_S = 60.0


@dataclass
class UnitRow:
    unit_id: int
    name: str
    visits: int = 0
    duty_met: int = 0
    duty_owed: int = 0
    counts: Counts = field(default_factory=Counts)
    metrics: UnitMetrics = field(default_factory=UnitMetrics)

    @property
    def duty_rate(self) -> float | None:
        """Share (0..1) of owed duties met this month; None when none is owed."""
        return self.duty_met / self.duty_owed if self.duty_owed else None


@dataclass
class MonthData:
    """Organisation-wide figures of one month, per unit."""

    start: date
    end: date
    computed_at: datetime
    names: dict[int, str]
    periods: dict[int, UnitPeriod]
    mets: dict[int, UnitMetrics]
    duty: dict[int, tuple[int, int]]  # unit → (met, owed)
    unmet: dict[int, list[tuple[str, list[str]]]]  # unit → (cadre, missing duties)
    counts: dict[tuple[int, str], Counts]
    new_days: dict[tuple[int, date], int]
    done_days: dict[tuple[int, date], int]


@dataclass
class Picture:
    start: date
    end: date
    computed_at: datetime
    units: list[UnitRow]
    total: UnitRow
    categories: list[tuple[str, Counts]]
    weeks: list[tuple[str, int, int]]  # label, new, resolved
    overdue: list
    overdue_total: int
    unmet: list[tuple[str, str, list[str]]]  # unit, cadre, missing duties (first UNMET_ROWS)
    unmet_total: int


def month_range(month: str | None, today: date) -> tuple[date, date]:
    """ "2026-11" → (2026-11-01, 2026-12-01); None or malformed → this month."""
    try:
        start = datetime.strptime(month or "", "%Y-%m").date()
    except ValueError:
        start = today.replace(day=1)
    return start, next_month(start)


async def month_data(
    session, start: date, end: date, now: datetime, policy: Policy, settings: SchedulerSettings
) -> MonthData:
    """Compute the organisation-wide figures of [start, end) as of `now`."""
    today = now.date()
    f = LedgerFilter(since=as_datetime(start), until=as_datetime(end))
    names = await sweeps.units(session)
    periods = await metrics.unit_period(session, start, end, today)
    mets = await metrics.unit_metrics(
        session,
        datetime.combine(end, datetime.min.time()),
        response_hours=policy.response_hours,
        weights=policy.satisfaction_weights,
    )
    status = await duties.evaluate(session, settings.duties, start, end, await sweeps.load_people(session))
    duty: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    unmet: dict[int, list[tuple[str, list[str]]]] = defaultdict(list)
    for st in status.values():
        if not st.has_duties:
            continue
        d = duty[st.person.unit_id]
        d[1] += 1
        if st.met:
            d[0] += 1
        else:
            unmet[st.person.unit_id].append((st.person.name, st.missing))
    counts = await unit_category_counts(session, f, today)
    new_days, done_days = await daily_counts(session, f, today)
    return MonthData(
        start,
        end,
        now,
        names,
        periods,
        mets,
        {u: (m, o) for u, (m, o) in duty.items()},
        dict(unmet),
        counts,
        new_days,
        done_days,
    )


def _weeks(start: date, end: date, new: dict[date, int], done: dict[date, int]) -> list[tuple[str, int, int]]:
    out = []
    monday = start - timedelta(days=start.weekday())
    while monday < end:
        days = [d for d in (monday + timedelta(days=i) for i in range(7)) if start <= d < end]
        label = f"{days[0]:%m-%d}~{days[-1]:%m-%d}"
        out.append((label, sum(new.get(d, 0) for d in days), sum(done.get(d, 0) for d in days)))
        monday += timedelta(days=7)
    return out


def narrow(data: MonthData, units: set[int] | None) -> Picture:
    """The picture of `units` (None: every unit), without the overdue list."""
    shown = [u for u in data.names if units is None or u in units]
    rows = {}
    for u in shown:
        met, owed = data.duty.get(u, (0, 0))
        rows[u] = UnitRow(
            u,
            data.names[u],
            visits=data.periods.get(u, UnitPeriod()).visits,
            duty_met=met,
            duty_owed=owed,
            metrics=data.mets.get(u, UnitMetrics()),
        )
    by_cat: dict[str, Counts] = defaultdict(Counts)
    for (u, cat), c in data.counts.items():
        if u in rows:
            for target in (rows[u].counts, by_cat[cat]):
                _add(target, c)
    total = UnitRow(0, "合计")
    for r in rows.values():
        total.visits += r.visits
        total.duty_met += r.duty_met
        total.duty_owed += r.duty_owed
        total.metrics.add(r.metrics)
        _add(total.counts, r.counts)
    new: dict[date, int] = defaultdict(int)
    done: dict[date, int] = defaultdict(int)
    for source, into in ((data.new_days, new), (data.done_days, done)):
        for (u, d), n in source.items():
            if u in rows:
                into[d] += n
    unmet = sorted((data.names[u], name, missing) for u in shown for name, missing in data.unmet.get(u, ()))
    return Picture(
        data.start,
        data.end,
        data.computed_at,
        sorted(rows.values(), key=lambda r: r.unit_id),
        total,
        sorted(by_cat.items(), key=lambda kv: (-kv[1].new, kv[0])),
        _weeks(data.start, data.end, new, done),
        [],
        0,
        unmet[:UNMET_ROWS],
        len(unmet),
    )


def _add(target: Counts, c: Counts) -> None:
    target.new += c.new
    target.open += c.open
    target.overdue += c.overdue
    target.resolved += c.resolved


async def with_overdue(session, pic: Picture, f: LedgerFilter, today: date) -> Picture:
    """Add the longest-overdue open items under `f` (its scope and unit), as of `today`."""
    page = await item_page(
        session,
        LedgerFilter(scope=f.scope, unit_id=f.unit_id, status="overdue"),
        today,
        sort="deadline",
        desc=False,
        per_page=OVERDUE_ROWS,
    )
    pic.overdue, pic.overdue_total = page.rows, page.total
    return pic


class MonthCache:
    """MonthData per (month, day): fresh for `max_age_s`, then served while a background task
    (`spawn`) recomputes it; `clear()` after a change made through the console."""

    def __init__(
        self,
        compute: Callable[[date, date], Awaitable[MonthData]],
        spawn: Callable[[Awaitable], object],
        max_age_s: float = MAX_AGE_S,
    ) -> None:
        self.compute, self.spawn, self.max_age_s = compute, spawn, max_age_s
        self._entries: dict[tuple[date, date], tuple[float, MonthData]] = {}
        self._locks: dict[tuple[date, date], asyncio.Lock] = defaultdict(asyncio.Lock)
        self._refreshing: set[tuple[date, date]] = set()

    def clear(self) -> None:
        """Forget every cached month (after a change made through the console)."""
        self._entries.clear()

    async def get(self, start: date, today: date) -> MonthData:
        """MonthData of the month starting `start` as of `today`: cached, refreshed in the background once older
        than `max_age_s` seconds, computed (once, under a lock) when missing.
        """
        key = (start, today)
        entry = self._entries.get(key)
        if entry is not None:
            if time.monotonic() - entry[0] > self.max_age_s and key not in self._refreshing:
                self._refreshing.add(key)
                self.spawn(self._refresh(key))
            return entry[1]
        async with self._locks[key]:
            entry = self._entries.get(key)
            if entry is None:
                entry = await self._load(key)
            return entry[1]

    async def _refresh(self, key: tuple[date, date]) -> None:
        try:
            async with self._locks[key]:
                await self._load(key)
        finally:
            self._refreshing.discard(key)

    async def _load(self, key: tuple[date, date]) -> tuple[float, MonthData]:
        start = key[0]
        entry = (time.monotonic(), await self.compute(start, next_month(start)))
        if len(self._entries) > 24:  # months × days looked at: keep it small
            self._entries.clear()
        self._entries[key] = entry
        return entry
