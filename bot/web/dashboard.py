"""The month's picture for the dashboard and the printable monthly report: visits and 走访完成率
by unit, new / open / overdue / resolved items by category and unit, the weekly trend, the four
rates (storage/metrics.py), the overdue list and the cadres with unmet duties."""

from __future__ import annotations

from collections import defaultdict
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
        return self.duty_met / self.duty_owed if self.duty_owed else None


@dataclass
class Picture:
    start: date
    end: date
    units: list[UnitRow]
    total: UnitRow
    categories: list[tuple[str, Counts]]
    weeks: list[tuple[str, int, int]]  # label, new, resolved
    overdue: list
    overdue_total: int
    unmet: list[tuple[str, str, list[str]]]  # unit, cadre, missing duties


def month_range(month: str | None, today: date) -> tuple[date, date]:
    """"2026-11" → (2026-11-01, 2026-12-01); None or malformed → this month."""
    try:
        start = datetime.strptime(month or "", "%Y-%m").date()
    except ValueError:
        start = today.replace(day=1)
    return start, next_month(start)


def _weeks(start: date, end: date, new: dict[date, int], done: dict[date, int]) -> list[tuple[str, int, int]]:
    out = []
    monday = start - timedelta(days=start.weekday())
    while monday < end:
        days = [monday + timedelta(days=i) for i in range(7)]
        days = [d for d in days if start <= d < end]
        label = f"{days[0]:%m-%d}~{days[-1]:%m-%d}"
        out.append((label, sum(new.get(d, 0) for d in days), sum(done.get(d, 0) for d in days)))
        monday += timedelta(days=7)
    return out


async def picture(session, f: LedgerFilter, start: date, end: date, today: date, policy: Policy,
                  settings: SchedulerSettings) -> Picture:
    """Everything the dashboard shows for [start, end) under `f` (its scope and unit)."""
    f = LedgerFilter(scope=f.scope, unit_id=f.unit_id, since=as_datetime(start), until=as_datetime(end))
    names = await sweeps.units(session)
    periods = await metrics.unit_period(session, start, end, today)
    mets = await metrics.unit_metrics(session, as_datetime(end), response_hours=policy.response_hours,
                                      weights=policy.satisfaction_weights)
    people = await sweeps.load_people(session)
    status = await duties.evaluate(session, settings.duties, start, end, people)
    counts = await unit_category_counts(session, f, today)
    new_days, done_days = await daily_counts(session, f, today)
    overdue = await item_page(session, LedgerFilter(scope=f.scope, unit_id=f.unit_id, status="overdue"), today,
                              sort="deadline", desc=False, per_page=OVERDUE_ROWS)

    shown = [u for u in names if f.unit_id is None or u == f.unit_id]
    if f.scope is not None and not f.scope.everything and f.scope.unit_id:
        shown = [u for u in shown if u == f.scope.unit_id]
    rows = {u: UnitRow(u, names[u], visits=periods.get(u, UnitPeriod()).visits,
                       metrics=mets.get(u, UnitMetrics())) for u in shown}
    unmet = []
    for st in status.values():
        row = rows.get(st.person.unit_id)
        if row is None or not st.has_duties:
            continue
        row.duty_owed += 1
        if st.met:
            row.duty_met += 1
        else:
            unmet.append((row.name, st.person.name, st.missing))
    by_cat: dict[str, Counts] = defaultdict(Counts)
    for (u, cat), c in counts.items():
        if u not in rows:
            continue
        for target in (rows[u].counts, by_cat[cat]):
            target.new += c.new
            target.open += c.open
            target.overdue += c.overdue
            target.resolved += c.resolved
    total = UnitRow(0, "合计")
    for r in rows.values():
        total.visits += r.visits
        total.duty_met += r.duty_met
        total.duty_owed += r.duty_owed
        total.metrics.add(r.metrics)
        for k in ("new", "open", "overdue", "resolved"):
            setattr(total.counts, k, getattr(total.counts, k) + getattr(r.counts, k))
    return Picture(start, end, sorted(rows.values(), key=lambda r: r.unit_id), total,
                   sorted(by_cat.items(), key=lambda kv: (-kv[1].new, kv[0])),
                   _weeks(start, end, new_days, done_days), overdue.rows, overdue.total,
                   sorted(unmet))
