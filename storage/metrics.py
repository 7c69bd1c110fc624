"""The metrics users know from 12345 接诉即办 assessment, per unit, in a fixed number of
grouped queries (see shared/DOMAIN.md):

    响应率    items whose owner responded (签收 or first progress) within the response limit
              ÷ items that responded or whose response limit has passed
    解决率    items resolved or closed ÷ items
    按时办结率 resolved/closed items resolved on or before the deadline first due ÷ resolved/closed items
    满意率    Σ weight(rating) ÷ rated 回访 (weights configurable, default 1 / 0.9 / 0); a rating the
              people gave themselves (回访链接, source 群众) counts `weights["群众"]` times one a
              cadre entered (default 1)
    重办率    items reopened (after 不满意) ÷ items with at least one 回访

Items are every not-revoked item created before `end` (cumulative figures).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, case, cast, distinct, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import lists
from storage.models import OPEN_STATUSES, Cadre, Followup, Item, ItemEvent, Visit

DONE = ("resolved", "closed")
RATINGS = ("满意", "基本满意", "不满意")
SOURCE_PUBLIC = "群众"  # Followup.source of a rating given through a 回访链接


@dataclass
class UnitMetrics:
    items: int = 0
    response_base: int = 0
    responded_in_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    rated: int = 0
    rating_score: float = 0.0
    rating_weight: float = 0.0  # Σ source weight of the rated 回访 (= rated when every weight is 1)
    rated_items: int = 0
    reopened_items: int = 0

    def add(self, other: UnitMetrics) -> None:
        """Add `other`'s counts to this one in place (for totals over units)."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @staticmethod
    def _rate(num: float, den: int) -> float | None:
        return None if den == 0 else num / den

    @property
    def response_rate(self) -> float | None:
        """Share (0..1) of items answered within the response hours; None when no item is due yet."""
        return self._rate(self.responded_in_time, self.response_base)

    @property
    def resolve_rate(self) -> float | None:
        """Share (0..1) of items resolved or closed; None without items."""
        return self._rate(self.resolved, self.items)

    @property
    def on_time_rate(self) -> float | None:
        """Share (0..1) of resolved items resolved by their assessed deadline (按期办结率); None when none resolved."""
        return self._rate(self.resolved_on_time, self.resolved)

    @property
    def satisfaction_rate(self) -> float | None:
        """Weighted mean rating score (满意度, by the configured weights); None when nothing was rated."""
        return None if self.rating_weight <= 0 else self.rating_score / self.rating_weight

    @property
    def reopen_rate(self) -> float | None:
        """Share (0..1) of rated items reopened after 不满意; None when none was rated."""
        return self._rate(self.reopened_items, self.rated_items)


def _is_pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _hours_between(session: AsyncSession, a: Any, b: Any) -> Any:
    if _is_pg(session):
        return extract("epoch", b - a) / 3600.0
    return (func.julianday(b) - func.julianday(a)) * 24.0


def _day_of(session: AsyncSession, col: Any) -> Any:
    return cast(col, Date) if _is_pg(session) else func.date(col)


async def unit_metrics(
    session: AsyncSession,
    end: datetime,
    *,
    response_hours: int,
    weights: dict[str, float],
) -> dict[int, UnitMetrics]:
    """Cumulative metrics per unit id for items created before `end` (three statements)."""
    out: dict[int, UnitMetrics] = defaultdict(UnitMetrics)
    live = (Item.status != "revoked", Item.created_at < end)
    responded = (Item.responded_at.is_not(None)) & (Item.responded_at < end)
    in_time = responded & (_hours_between(session, Item.created_at, Item.responded_at) <= response_hours)
    base = responded | (Item.created_at <= end - timedelta(hours=response_hours))
    done = Item.status.in_(DONE)
    on_time = done & (_day_of(session, Item.resolved_at) <= func.coalesce(Item.first_due, Item.deadline))
    rows = await session.execute(
        select(
            Item.unit_id,
            func.count(),
            func.sum(case((base, 1), else_=0)),
            func.sum(case((in_time, 1), else_=0)),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((on_time, 1), else_=0)),
        )
        .where(*live)
        .group_by(Item.unit_id)
    )
    for unit_id, n, b, t, d, o in rows:
        m = out[unit_id]
        m.items, m.response_base, m.responded_in_time = n, b or 0, t or 0
        m.resolved, m.resolved_on_time = d or 0, o or 0

    source = case((Followup.source == SOURCE_PUBLIC, weights.get(SOURCE_PUBLIC, 1.0)), else_=1.0)
    score = case(*[(Followup.rating == r, w) for r, w in weights.items() if r in RATINGS], else_=0.0)
    rows = await session.execute(
        select(
            Item.unit_id,
            func.count(),
            func.sum(score * source),
            func.sum(source),
            func.count(distinct(Followup.item_id)),
        )
        .join(Item, Item.id == Followup.item_id)
        .where(*live, Followup.at < end)
        .group_by(Item.unit_id)
    )
    for unit_id, n, total, weight, n_items in rows:
        m = out[unit_id]
        m.rated, m.rating_score, m.rating_weight, m.rated_items = n, float(total or 0.0), float(weight or 0.0), n_items
    rows = await session.execute(
        select(Item.unit_id, func.count(distinct(ItemEvent.item_id)))
        .join(Item, Item.id == ItemEvent.item_id)
        .where(*live, ItemEvent.kind == "reopened", ItemEvent.at < end)
        .group_by(Item.unit_id)
    )
    for unit_id, n in rows:
        out[unit_id].reopened_items = n
    return dict(out)


@dataclass
class UnitPeriod:
    """What happened in a unit during one period [start, end)."""

    cadres: int = 0
    visits: int = 0
    visitors: int = 0
    new_by_category: dict[str, int] = field(default_factory=dict)
    tasks: int = 0  # new items not resolved on the day they were raised (任务清单)
    resolved: int = 0
    overdue: int = 0  # open items past their deadline at the end of the period

    @property
    def new(self) -> int:
        """Items raised in the period, all categories."""
        return sum(self.new_by_category.values())

    def add(self, other: UnitPeriod) -> None:
        """Add `other`'s figures to this one in place (dicts merged by key)."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                for k, n in theirs.items():
                    mine[k] = mine.get(k, 0) + n
            else:
                setattr(self, f.name, mine + theirs)


def organisation_totals(periods: dict[int, UnitPeriod], mets: dict[int, UnitMetrics]) -> tuple[UnitPeriod, UnitMetrics]:
    """The whole organisation: per-unit figures added up."""
    total_p, total_m = UnitPeriod(), UnitMetrics()
    for p in periods.values():
        total_p.add(p)
    for m in mets.values():
        total_m.add(m)
    return total_p, total_m


async def visit_coverage(
    session: AsyncSession, start: date, end: date, out: dict[int, UnitPeriod] | None = None
) -> dict[int, UnitPeriod]:
    """Per unit: active cadres, visits dated in [start, end) and their distinct visitors (the
    visit fields of UnitPeriod; two statements), filled into `out` when given."""
    out = defaultdict(UnitPeriod) if out is None else out
    for unit_id, n in await session.execute(
        select(Cadre.unit_id, func.count()).where(Cadre.active.is_(True)).group_by(Cadre.unit_id)
    ):
        out[unit_id].cadres = n
    for unit_id, n, k in await session.execute(
        select(Visit.unit_id, func.count(), func.count(distinct(Visit.cadre_id)))
        .where(Visit.date >= start, Visit.date < end, Visit.revoked_at.is_(None))
        .group_by(Visit.unit_id)
    ):
        out[unit_id].visits, out[unit_id].visitors = n, k
    return out


async def visits_by_cadre(session: AsyncSession, unit_id: int, start: date, end: date) -> list[tuple[str, int]]:
    """(name, visits dated in [start, end)) of each active cadre of the unit, fewest first, then
    by name (one statement)."""
    counted = (
        select(Visit.cadre_id, func.count().label("n"))
        .where(Visit.date >= start, Visit.date < end, Visit.revoked_at.is_(None))
        .group_by(Visit.cadre_id)
        .subquery()
    )
    n = func.coalesce(counted.c.n, 0)
    rows = await session.execute(
        select(Cadre.name, n)
        .outerjoin(counted, counted.c.cadre_id == Cadre.id)
        .where(Cadre.active.is_(True), Cadre.unit_id == unit_id)
        .order_by(n, Cadre.name)
    )
    return [(name, int(k)) for name, k in rows]


async def not_visited(session: AsyncSession, start: date, end: date) -> dict[int, list[str]]:
    """{unit id: names of its active cadres with no visit dated in [start, end)}, names sorted
    (one statement)."""
    visited = select(Visit.cadre_id).where(
        Visit.cadre_id.is_not(None), Visit.date >= start, Visit.date < end, Visit.revoked_at.is_(None)
    )
    rows = await session.execute(
        select(Cadre.unit_id, Cadre.name)
        .where(Cadre.active.is_(True), Cadre.id.not_in(visited))
        .order_by(Cadre.unit_id, Cadre.name)
    )
    out: dict[int, list[str]] = defaultdict(list)
    for unit_id, name in rows:
        out[unit_id].append(name)
    return dict(out)


async def unit_period(session: AsyncSession, start: date, end: date, today: date) -> dict[int, UnitPeriod]:
    """Per unit: active cadres, visits and distinct visitors, new items by category, tasks,
    resolved and overdue items for [start, end) (five statements)."""
    out: dict[int, UnitPeriod] = defaultdict(UnitPeriod)
    t0, t1 = datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.min.time())
    await visit_coverage(session, start, end, out)
    same_day = lists.same_day_resolved(session.get_bind().dialect.name)
    for unit_id, cat, n, same in await session.execute(
        select(Item.unit_id, Item.category, func.count(), func.sum(case((same_day, 1), else_=0)))
        .where(*lists.problems(t0, t1))
        .group_by(Item.unit_id, Item.category)
    ):
        out[unit_id].new_by_category[cat] = n
        out[unit_id].tasks += n - (same or 0)
    for unit_id, n in await session.execute(
        select(Item.unit_id, func.count()).where(*lists.effects(t0, t1)).group_by(Item.unit_id)
    ):
        out[unit_id].resolved = n
    for unit_id, n in await session.execute(
        select(Item.unit_id, func.count())
        .where(Item.status.in_(OPEN_STATUSES), Item.deadline < today)
        .group_by(Item.unit_id)
    ):
        out[unit_id].overdue = n
    return dict(out)


async def overdue_lists(session: AsyncSession, today: date, per_unit: int) -> dict[int, list[Any]]:
    """The `per_unit` longest-overdue open items of every unit (one windowed statement).
    Rows: id, unit_id, category, text, deadline, owner name."""
    rn = func.row_number().over(partition_by=Item.unit_id, order_by=(Item.deadline, Item.id)).label("rn")
    inner = (
        select(Item.id, Item.unit_id, Item.category, Item.text, Item.deadline, Cadre.name.label("owner"), rn)
        .join(Cadre, Cadre.id == Item.owner_id)
        .where(Item.status.in_(OPEN_STATUSES), Item.deadline < today)
        .subquery()
    )
    rows = await session.execute(
        select(inner.c.id, inner.c.unit_id, inner.c.category, inner.c.text, inner.c.deadline, inner.c.owner)
        .where(inner.c.rn <= per_unit)
        .order_by(inner.c.unit_id, inner.c.rn)
    )
    out: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        out[r.unit_id].append(r)
    return dict(out)
