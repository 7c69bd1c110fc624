"""The 台账: the three lists, the 回访 records and the visit ledger as plain rows, and the paged
item and visit lists of the web console — every one filtered by one `LedgerFilter`, so a count
and the rows it counts always come from the same WHERE clauses (one query per list, no N+1).

List membership for a period is defined once in storage/lists.py (shared with the monthly
report's figures).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import lists
from storage.items import Scope
from storage.models import OPEN_STATUSES, Cadre, Followup, Item, ItemEvent, Unit, Visit

LIST_NAMES = ("problems", "tasks", "effects")
"""问题清单, 任务清单, 效果清单."""
STATUS_FILTERS = ("open", "overdue", "resolved", "new", "in_progress", "reopened", "closed")


@dataclass(frozen=True)
class LedgerFilter:
    """What to include. `since`/`until`: the period [since, until) (creation time for the
    问题/任务清单, resolution time for the 效果清单, visit date for visits); `status` one of
    STATUS_FILTERS or None; `overdue` as of the `today` given to the query; `scope` what the
    viewer may see (None: everything — the command line)."""

    since: datetime | None = None
    until: datetime | None = None
    unit_id: int | None = None
    category: str | None = None
    status: str | None = None
    owner_id: int | None = None
    track: str | None = None
    overdue: bool = False
    scope: Scope | None = None

    def with_scope(self, scope: Scope | None) -> LedgerFilter:
        """A copy of the filter limited to `scope` (None: no limit)."""
        return replace(self, scope=scope)


def item_where(f: LedgerFilter, today: date, dialect: str, which: str = "problems") -> list[Any]:
    """WHERE clauses for `which` list (problems | tasks | effects) under filter `f`."""
    if which == "effects":
        out = lists.effects(f.since, f.until)
    elif which == "tasks":
        out = lists.tasks(dialect, f.since, f.until)
    else:
        out = lists.problems(f.since, f.until)
    if f.scope is not None:
        out.append(f.scope.items_clause())
    if f.unit_id is not None:
        out.append(Item.unit_id == f.unit_id)
    if f.category:
        out.append(Item.category == f.category)
    if f.owner_id is not None:
        out.append(Item.owner_id == f.owner_id)
    if f.track:
        out.append(Item.track == f.track)
    if f.status == "open":
        out.append(Item.status.in_(OPEN_STATUSES))
    elif f.status == "overdue":
        out += [Item.status.in_(OPEN_STATUSES), Item.deadline < today]
    elif f.status == "resolved":
        out.append(Item.status.in_(lists.DONE))
    elif f.status in STATUS_FILTERS:
        out.append(Item.status == f.status)
    if f.overdue:
        out += [Item.status.in_(OPEN_STATUSES), Item.deadline < today]
    return out


def visit_where(f: LedgerFilter) -> list[Any]:
    """WHERE clauses for visits under `f`: not revoked, dated in [since, until), scope, unit, cadre."""
    out: list[Any] = [Visit.revoked_at.is_(None)]
    if f.since is not None:
        out.append(Visit.date >= f.since.date())
    if f.until is not None:
        out.append(Visit.date < f.until.date())
    if f.scope is not None:
        out.append(f.scope.visits_clause())
    if f.unit_id is not None:
        out.append(Visit.unit_id == f.unit_id)
    if f.owner_id is not None:
        out.append(Visit.cadre_id == f.owner_id)
    return out


ITEM_COLUMNS = (
    Item.id,
    Item.created_at,
    Item.category,
    Item.text,
    Item.visit_id,
    Item.status,
    Item.track,
    Item.deadline,
    Item.resolved_at,
    Item.result,
)
VISIT_COLUMNS = (Visit.id, Visit.date, Visit.place_type, Visit.place, Visit.people, Visit.text)


class ItemRow(NamedTuple):
    """The columns of an item the 台账 shows (plain tuples: 10,000 rows in well under a second)."""

    id: int
    created_at: datetime
    category: str
    text: str
    visit_id: int | None
    status: str
    track: str
    deadline: date
    resolved_at: datetime | None
    result: str | None

    def is_overdue(self, today: date) -> bool:
        """True when open and its deadline is before `today`."""
        return self.status in OPEN_STATUSES and self.deadline < today


class VisitRow(NamedTuple):
    id: int
    date: date
    place_type: str
    place: str | None
    people: int | None
    text: str


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def item_rows(
    session: AsyncSession, f: LedgerFilter, today: date, which: str = "problems"
) -> list[dict[str, Any]]:
    """Rows of one list: item, owner, reporter, reporter_unit (提出单位), unit (责任单位), place,
    place_type, progress (latest 进展 note), signed_at (first 签收, None if never signed),
    rating / followup_note (latest 回访), followups (their number), returns (退回) and
    extensions (approved 延期). Ordered by item number."""
    owner, reporter = aliased(Cadre), aliased(Cadre)
    reporter_unit = aliased(Unit)
    # Correlated look-ups through the item_id indexes: the cost follows the rows exported,
    # not the size of the event and 回访 tables.
    progress = (
        select(ItemEvent.note)
        .where(ItemEvent.item_id == Item.id, ItemEvent.kind == "progress")
        .order_by(ItemEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    signed = (
        select(func.min(ItemEvent.at))
        .where(ItemEvent.item_id == Item.id, ItemEvent.kind == "accepted")
        .scalar_subquery()
    )
    last_fu = select(Followup).where(Followup.item_id == Item.id).order_by(Followup.id.desc()).limit(1)
    rating = last_fu.with_only_columns(Followup.rating).scalar_subquery()
    fu_note = last_fu.with_only_columns(Followup.note).scalar_subquery()
    n_fu = select(func.count(Followup.id)).where(Followup.item_id == Item.id).scalar_subquery()

    def n_events(kind: str) -> Any:
        return (
            select(func.count(ItemEvent.id))
            .where(ItemEvent.item_id == Item.id, ItemEvent.kind == kind)
            .scalar_subquery()
        )

    q = (
        select(
            *ITEM_COLUMNS,
            owner.name,
            reporter.name,
            reporter_unit.name,
            Unit.name,
            Visit.place,
            Visit.place_type,
            progress,
            signed,
            rating,
            fu_note,
            n_fu,
            n_events("returned"),
            n_events("ext_approved"),
        )
        .join(owner, owner.id == Item.owner_id)
        .join(reporter, reporter.id == Item.reporter_id)
        .join(reporter_unit, reporter_unit.id == reporter.unit_id)
        .join(Unit, Unit.id == Item.unit_id)
        .outerjoin(Visit, Visit.id == Item.visit_id)
        .where(*item_where(f, today, _dialect(session), which))
        .order_by(Item.id)
    )
    rows = []
    k = len(ITEM_COLUMNS)
    for r in (await session.execute(q)).all():
        (
            owner_name,
            reporter_name,
            reporter_unit_name,
            unit_name,
            place,
            place_type,
            prog,
            signed_at,
            last_rating,
            last_note,
            n_followups,
            returns,
            extensions,
        ) = r[k:]
        rows.append(
            dict(
                item=ItemRow(*cast("tuple[Any, ...]", r[:k])),
                owner=owner_name,
                reporter=reporter_name,
                reporter_unit=reporter_unit_name,
                unit=unit_name,
                place=place,
                place_type=place_type,
                progress=prog,
                signed_at=signed_at,
                rating=last_rating,
                followup_note=last_note,
                followups=n_followups or 0,
                returns=returns or 0,
                extensions=extensions or 0,
            )
        )
    return rows


async def followup_rows(session: AsyncSession, f: LedgerFilter, today: date) -> list[dict[str, Any]]:
    """Every 回访 of the items of the 问题清单 under `f`: followup, item, actor (name), unit, source
    (干部: entered by a cadre; 群众: given by the people served through a 回访链接, actor = who made the link).
    Ordered by item number, then time."""
    q = (
        select(Followup.item_id, Followup.at, Followup.rating, Followup.note, Cadre.name, Unit.name, Followup.source)
        .join(Item, Item.id == Followup.item_id)
        .join(Cadre, Cadre.id == Followup.actor_id)
        .join(Unit, Unit.id == Item.unit_id)
        .where(*item_where(f, today, _dialect(session)))
        .order_by(Item.id, Followup.at, Followup.id)
    )
    return [
        dict(item_id=i, at=at, rating=rating, note=note, actor=a, unit=u, source=src)
        for i, at, rating, note, a, u, src in (await session.execute(q)).all()
    ]


async def visit_rows(session: AsyncSession, f: LedgerFilter) -> list[dict[str, Any]]:
    """Visits under `f` with cadre and unit names and the numbers of the items each raised
    (`item_ids`, not revoked). Ordered by date, then number."""
    q = (
        select(*VISIT_COLUMNS, Cadre.name, Unit.name)
        .join(Cadre, Cadre.id == Visit.cadre_id)
        .join(Unit, Unit.id == Visit.unit_id)
        .where(*visit_where(f))
        .order_by(Visit.date, Visit.id)
    )
    k = len(VISIT_COLUMNS)
    visits = [(VisitRow(*cast("tuple[Any, ...]", r[:k])), r[k], r[k + 1]) for r in (await session.execute(q)).all()]
    raised: dict[int, list[int]] = defaultdict(list)
    for vid, iid in await session.execute(  # one statement: the items of every visit under f
        select(Item.visit_id, Item.id)
        .join(Visit, Visit.id == Item.visit_id)
        .where(*visit_where(f), Item.status != "revoked")
        .order_by(Item.id)
    ):
        if vid is not None:
            raised[vid].append(iid)
    return [
        dict(visit=v, cadre=c, unit=u, item_ids=raised.get(v.id, []), items=len(raised.get(v.id, [])))
        for v, c, u in visits
    ]


async def _items_of_visits(session: AsyncSession, visit_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(visit_ids), 900):  # stay below SQLite's bound-parameter limit
        chunk = visit_ids[start : start + 900]
        for vid, iid in await session.execute(
            select(Item.visit_id, Item.id).where(Item.visit_id.in_(chunk), Item.status != "revoked").order_by(Item.id)
        ):
            if vid is not None:
                out[vid].append(iid)
    return dict(out)


# -- paged lists for the web console -------------------------------------------------------

# "unit" and "owner" sort by number (roster order): no join needed before the LIMIT
ITEM_SORTS = {
    "id": Item.id,
    "created": Item.created_at,
    "deadline": Item.deadline,
    "category": Item.category,
    "status": Item.status,
    "unit": Item.unit_id,
    "owner": Item.owner_id,
}
VISIT_SORTS = {"date": Visit.date, "unit": Visit.unit_id, "cadre": Visit.cadre_id, "type": Visit.place_type}


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages, at least 1."""
        return max(1, -(-self.total // self.per_page))


async def _paged(
    session: AsyncSession,
    entity: Any,
    owner_id: Any,
    where: list[Any],
    col: Any,
    desc: bool,
    page: int,
    per_page: int,
) -> tuple[list[Any], int, int]:
    """(rows (entity, unit name, cadre name), total, page) of one page of `entity` rows under
    `where`, sorted by `col` then number (both descending with `desc`); `owner_id` is the column
    naming the cadre shown."""
    total = await session.scalar(select(func.count(entity.id)).where(*where)) or 0
    page = max(page, 1)
    order = [col.desc(), entity.id.desc()] if desc else [col.asc(), entity.id.asc()]
    q = (
        select(entity, Unit.name, Cadre.name)
        .join(Unit, Unit.id == entity.unit_id)
        .join(Cadre, Cadre.id == owner_id)
        .where(*where)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list((await session.execute(q)).all()), total, page


async def item_page(
    session: AsyncSession,
    f: LedgerFilter,
    today: date,
    *,
    which: str = "problems",
    sort: str = "id",
    desc: bool = True,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of a list: rows (Item, unit name, owner name) and the total under `f`."""
    where = item_where(f, today, _dialect(session), which)
    col = ITEM_SORTS.get(sort, Item.id)
    rows, total, page = await _paged(session, Item, Item.owner_id, where, col, desc, page, per_page)
    return Page(rows, total, page, per_page)


async def visit_page(
    session: AsyncSession, f: LedgerFilter, *, sort: str = "date", desc: bool = True, page: int = 1, per_page: int = 50
) -> Page:
    """One page of the visit ledger: rows (Visit, unit name, cadre name, item ids) and the total."""
    col = VISIT_SORTS.get(sort, Visit.date)
    rows, total, page = await _paged(session, Visit, Visit.cadre_id, visit_where(f), col, desc, page, per_page)
    raised = await _items_of_visits(session, [v.id for v, _, _ in rows])
    return Page([(v, u, c, raised.get(v.id, [])) for v, u, c in rows], total, page, per_page)


async def item_history(session: AsyncSession, item_id: int) -> list[tuple[ItemEvent, str | None]]:
    """Every event of an item with the actor's name, oldest first."""
    q = (
        select(ItemEvent, Cadre.name)
        .outerjoin(Cadre, Cadre.id == ItemEvent.actor_id)
        .where(ItemEvent.item_id == item_id)
        .order_by(ItemEvent.at, ItemEvent.id)
    )
    return list((await session.execute(q)).all())


# -- dashboard figures ---------------------------------------------------------------------


@dataclass
class Counts:
    new: int = 0  # raised in the period (问题清单)
    open: int = 0  # raised before the period's end, not 办结 now
    overdue: int = 0  # of those, past the deadline today
    resolved: int = 0  # 办结 in the period (效果清单)


async def unit_category_counts(session: AsyncSession, f: LedgerFilter, today: date) -> dict[tuple[int, str], Counts]:
    """(unit id, category) → Counts for the period [f.since, f.until) under f's scope and unit
    (one grouped statement; the same list definitions as the 台账 and the monthly report).
    Only rows that count somewhere are read: open ones, and those raised or 办结 in the period."""
    from sqlalchemy import and_, case, or_

    def flag(clauses: list[Any]) -> Any:
        return func.sum(case((and_(*clauses), 1), else_=0))

    base = LedgerFilter(scope=f.scope, unit_id=f.unit_id, category=f.category, track=f.track, owner_id=f.owner_id)
    where = item_where(base, today, _dialect(session))
    open_ = [Item.status.in_(OPEN_STATUSES)]
    if f.until is not None:
        where.append(Item.created_at < f.until)
    if f.since is not None:
        where.append(or_(Item.status.in_(OPEN_STATUSES), Item.created_at >= f.since, Item.resolved_at >= f.since))
    q = (
        select(
            Item.unit_id,
            Item.category,
            flag(lists.problems(f.since, f.until)),
            flag(open_),
            flag([*open_, Item.deadline < today]),
            flag(lists.effects(f.since, f.until)),
        )
        .where(*where)
        .group_by(Item.unit_id, Item.category)
    )
    return {(u, c): Counts(n or 0, o or 0, d or 0, r or 0) for u, c, n, o, d, r in await session.execute(q)}


async def daily_counts(
    session: AsyncSession, f: LedgerFilter, today: date
) -> tuple[dict[tuple[int, date], int], dict[tuple[int, date], int]]:
    """(unit id, day) → items raised, and → items 办结, in [f.since, f.until) under f."""
    dialect = _dialect(session)
    base = LedgerFilter(
        scope=f.scope,
        unit_id=f.unit_id,
        category=f.category,
        track=f.track,
        owner_id=f.owner_id,
        since=f.since,
        until=f.until,
    )
    out = []
    for which, col in (("problems", Item.created_at), ("effects", Item.resolved_at)):
        day = lists.day_of(dialect, col)
        rows = await session.execute(
            select(Item.unit_id, day, func.count())
            .where(*item_where(base, today, dialect, which))
            .group_by(Item.unit_id, day)
        )
        out.append({(u, d if isinstance(d, date) else date.fromisoformat(d)): n for u, d, n in rows})
    return out[0], out[1]


async def item_with_unit(session: AsyncSession, scope: Scope, item_id: int) -> tuple[Item, str] | None:
    """(item, its unit's name) for the console's item page: None when the item does not exist,
    was revoked, or `scope` may not see it."""
    row = (
        await session.execute(
            select(Item, Unit.name)
            .join(Unit, Unit.id == Item.unit_id)
            .where(Item.id == item_id, Item.status != "revoked", scope.items_clause())
        )
    ).first()
    return None if row is None else (row[0], row[1])
