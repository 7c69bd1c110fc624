"""Item and visit queries: the three lists live here (问题清单, 任务清单, 效果清单)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from storage.models import OPEN_STATUSES, Cadre, Followup, Item, ItemEvent, ItemState, Unit, Visit
from storage.roster import CadreRecord, Sender, UnitRef

RESOLVED_STATUSES = ("resolved", "closed")
_Q = TypeVar("_Q", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class Scope:
    """What a viewer may see: everything (leader), a unit (unit head), or their own items."""

    cadre_id: int
    unit_id: int | None = None  # unit head: the unit
    everything: bool = False
    owned_only: bool = False  # 我的待办: what the cadre owns now, not what they once raised

    def items_clause(self) -> Any:
        """WHERE clause for Item rows the viewer may see (True for everything)."""
        if self.everything:
            return True
        if self.owned_only:
            return Item.owner_id == self.cadre_id
        own = or_(Item.owner_id == self.cadre_id, Item.reporter_id == self.cadre_id)
        return or_(own, Item.unit_id == self.unit_id) if self.unit_id else own

    def visits_clause(self) -> Any:
        """WHERE clause for Visit rows the viewer may see: all, their unit's, or their own."""
        if self.everything:
            return True
        if self.unit_id:
            return Visit.unit_id == self.unit_id
        return Visit.cadre_id == self.cadre_id


@dataclass(eq=False)
class ItemRecord(ItemState):
    """One item as handlers read and change it: plain data, no database session behind it.

    Change its fields (`assign` for a new owner), then log the change with `add_event`, which
    writes the changed columns first: every change to an item is an event in its log. `owner`,
    `reporter` (id, name, unit id) and `unit` (id, name) are for display; dates are local."""

    id: int
    visit_id: int | None
    category: str
    text: str
    reporter_id: int
    owner_id: int
    unit_id: int
    track: str
    deadline: date
    status: str
    result: str | None
    created_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    message_id: int | None
    first_due: date | None
    owner: Sender
    reporter: Sender
    unit: UnitRef
    _stored: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._stored = {c: getattr(self, c) for c in _ITEM_COLUMNS}

    def assign(self, owner: Sender, unit: UnitRef) -> None:
        """Make `owner` (of `unit`) the item's owner."""
        self.owner_id, self.owner, self.unit_id, self.unit = owner.id, owner, unit.id, unit

    def changes(self) -> dict[str, Any]:
        """Column → new value for every column changed since the item was read or last written."""
        return {c: getattr(self, c) for c in _ITEM_COLUMNS if getattr(self, c) != self._stored[c]}


_NOT_COLUMNS = ("id", "owner", "reporter", "unit", "_stored")
_ITEM_COLUMNS = tuple(f.name for f in fields(ItemRecord) if f.name not in _NOT_COLUMNS)
_OWNER, _REPORTER = aliased(Cadre), aliased(Cadre)
_RECORD_QUERY = (
    select(
        Item.id,
        *(getattr(Item, c) for c in _ITEM_COLUMNS),
        _OWNER.name,
        _OWNER.unit_id,
        _REPORTER.name,
        _REPORTER.unit_id,
        Unit.name,
    )
    .join(_OWNER, _OWNER.id == Item.owner_id)
    .join(_REPORTER, _REPORTER.id == Item.reporter_id)
    .join(Unit, Unit.id == Item.unit_id)
)


def _record(row: Any) -> ItemRecord:
    values = dict(zip(("id", *_ITEM_COLUMNS), row[: 1 + len(_ITEM_COLUMNS)], strict=True))
    owner_name, owner_unit, reporter_name, reporter_unit, unit_name = row[1 + len(_ITEM_COLUMNS) :]
    return ItemRecord(
        **values,
        owner=Sender(values["owner_id"], owner_name, owner_unit),
        reporter=Sender(values["reporter_id"], reporter_name, reporter_unit),
        unit=UnitRef(values["unit_id"], unit_name),
    )


async def _records(session: AsyncSession, *where: Any, revoked: bool = False) -> list[ItemRecord]:
    """Items matching `where` (not revoked ones unless `revoked`), as plain records, by number."""
    live = () if revoked else (Item.status != "revoked",)
    rows = await session.execute(_RECORD_QUERY.where(*live, *where).order_by(Item.id))
    return [_record(row) for row in rows]


async def get_item(session: AsyncSession, item_id: int, *, revoked: bool = False) -> ItemRecord | None:
    """The item numbered `item_id` (#12) as plain data with its owner, reporter and unit; None
    when it does not exist or was revoked (unless `revoked`: to restore one by 撤销)."""
    found = await _records(session, Item.id == item_id, revoked=revoked)
    return found[0] if found else None


async def save_item(session: AsyncSession, item: ItemRecord) -> None:
    """Write the columns of `item` changed since it was read (nothing when none changed)."""
    changed = item.changes()
    if changed:
        await session.execute(
            update(Item).where(Item.id == item.id).values(**changed).execution_options(synchronize_session=False)
        )
        item._stored.update(changed)


async def add_event(
    session: AsyncSession,
    item: Item | ItemRecord,
    kind: str,
    actor_id: int | None,
    at: datetime,
    note: str | None = None,
    **data: Any,
) -> None:
    """Append one event (kind, actor, time, note, `data` as JSON) to an item's log, after writing
    what changed in `item` (an ItemRecord; an ORM Item is written by its session); not committed."""
    if isinstance(item, ItemRecord):
        await save_item(session, item)
    session.add(ItemEvent(item_id=item.id, kind=kind, actor_id=actor_id, at=at, note=note, data=data))


@dataclass(frozen=True)
class ItemRow:
    """An item as a list shows it (plain data, read-only): number, category, text, status,
    deadline, creation time and owner (id, name, unit)."""

    id: int
    category: str
    text: str
    status: str
    deadline: date
    created_at: datetime
    owner: Sender

    @property
    def is_open(self) -> bool:
        """True while new, in progress or reopened."""
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        """True when open and its deadline is before `today`."""
        return self.status in OPEN_STATUSES and self.deadline < today


_ROW_COLUMNS = (
    Item.id,
    Item.category,
    Item.text,
    Item.status,
    Item.deadline,
    Item.created_at,
    Cadre.id,
    Cadre.name,
    Cadre.unit_id,
)


async def list_items(
    session: AsyncSession, scope: Scope, *, status: str, today: date, limit: int = 200, **period: Any
) -> list[ItemRow]:
    """Items in scope as plain rows; status is open | overdue | resolved | any; `period` as in
    `_filtered`. By deadline (so overdue first), then number; at most `limit`."""
    # an outer join keeps items the driving table (an inner join lets SQLite start from cadres)
    q = select(*_ROW_COLUMNS).outerjoin(Cadre, Cadre.id == Item.owner_id)
    q = _filtered(q.where(Item.status != "revoked", scope.items_clause()), status, today, **period)
    rows = await session.execute(q.order_by(Item.deadline, Item.id).limit(limit))
    return [ItemRow(r[0], r[1], r[2], r[3], r[4], r[5], Sender(r[6], r[7], r[8])) for r in rows]


async def count_items(session: AsyncSession, scope: Scope, *, status: str, today: date, **period: Any) -> int:
    """How many items match the same filters as `list_items` (without its limit)."""
    q = select(func.count(Item.id)).where(Item.status != "revoked", scope.items_clause())
    return await session.scalar(_filtered(q, status, today, **period)) or 0


async def count_items_split(
    session: AsyncSession, scope: Scope, *, status: str, today: date, start: datetime, **where: Any
) -> tuple[int, int]:
    """(created at or after `start`, created before it) of the items matching `status` and
    `where` (category, owner_id, unit_id; `until` bounds the first count), in one statement: a
    period's count and how many older ones are still pending. Two scalar subqueries, so each
    count is a range on the (status, created_at) index, not a scan of every pending item."""
    until = where.pop("until", None)

    def counted(**window: Any) -> Any:
        q = select(func.count(Item.id)).where(Item.status != "revoked", scope.items_clause())
        return _filtered(q, status, today, **window, **where).scalar_subquery()

    row = (await session.execute(select(counted(since=start, until=until), counted(before=start)))).one()
    return int(row[0] or 0), int(row[1] or 0)


def _filtered(
    q: _Q,
    status: str,
    today: date,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    before: datetime | None = None,
    category: str | None = None,
    owner_id: int | None = None,
    unit_id: int | None = None,
    words: Sequence[str] = (),
) -> _Q:
    """Status, creation-time window [since, until) or created before `before`, category,
    owner (a person named in the question), responsible unit; `words` must all occur in the
    item's text or its visit's place (「东风机械厂的问题」, 「拖欠工资的问题」 → 拖欠, 工资)."""
    if status == "open":
        q = q.where(Item.status.in_(OPEN_STATUSES))
    elif status == "overdue":
        q = q.where(Item.status.in_(OPEN_STATUSES), Item.deadline < today)
    elif status == "resolved":
        q = q.where(Item.status.in_(RESOLVED_STATUSES))
    if since is not None:
        q = q.where(Item.created_at >= since)
    if until is not None:
        q = q.where(Item.created_at < until)
    if before is not None:
        q = q.where(Item.created_at < before)
    if category:
        q = q.where(Item.category == category)
    for w in words:
        q = q.where(or_(Item.text.contains(w, autoescape=True), Item.visit_id.in_(_places_with(w))))
    if owner_id is not None:
        q = q.where(Item.owner_id == owner_id)
    if unit_id is not None:
        q = q.where(Item.unit_id == unit_id)
    return q


def _places_with(word: str) -> Any:
    return select(Visit.id).where(Visit.place.contains(word, autoescape=True))


async def list_visits(
    session: AsyncSession,
    scope: Scope,
    *,
    since: date | None,
    until: date | None,
    cadre_id: int | None = None,
    unit_id: int | None = None,
    limit: int = 200,
) -> list[Visit]:
    """Visits in [since, until) within `scope`, newest first, at most `limit`, optionally of one
    cadre or unit."""
    q = (
        select(Visit)
        .where(Visit.revoked_at.is_(None), scope.visits_clause())
        .options(joinedload(Visit.cadre))
        .order_by(Visit.date.desc(), Visit.id.desc())
    )
    q = _visits_filtered(q, since, until, cadre_id, unit_id)
    return list(await session.scalars(q.limit(limit)))


async def count_visits(
    session: AsyncSession,
    scope: Scope,
    *,
    since: date | None,
    until: date | None,
    cadre_id: int | None = None,
    unit_id: int | None = None,
) -> int:
    """How many visits match the same filters as `list_visits` (without its limit)."""
    q = select(func.count(Visit.id)).where(Visit.revoked_at.is_(None), scope.visits_clause())
    return await session.scalar(_visits_filtered(q, since, until, cadre_id, unit_id)) or 0


def _visits_filtered(q: _Q, since: date | None, until: date | None, cadre_id: int | None, unit_id: int | None) -> _Q:
    """Visit date window [since, until), cadre, unit: each only when given (a comparison with
    None is no SQL)."""
    if since is not None:
        q = q.where(Visit.date >= since)
    if until is not None:
        q = q.where(Visit.date < until)
    if cadre_id is not None:
        q = q.where(Visit.cadre_id == cadre_id)
    if unit_id is not None:
        q = q.where(Visit.unit_id == unit_id)
    return q


async def last_record(session: AsyncSession, cadre_id: int) -> tuple[Visit | None, list[ItemRecord]]:
    """The newest not-revoked record a cadre made: a visit (read only: see `revoke_visit`) with
    its items, or loose items from one message."""
    visit = await session.scalar(
        select(Visit).where(Visit.cadre_id == cadre_id, Visit.revoked_at.is_(None)).order_by(Visit.id.desc()).limit(1)
    )
    item = await session.scalar(
        select(Item).where(Item.reporter_id == cadre_id, Item.status != "revoked").order_by(Item.id.desc()).limit(1)
    )
    if visit is not None and (item is None or item.visit_id == visit.id or item.created_at <= visit.created_at):
        return visit, await _records(session, Item.visit_id == visit.id)
    if item is None:
        return None, []
    same_message = (
        and_(Item.message_id == item.message_id, Item.reporter_id == cadre_id)
        if item.message_id
        else Item.id == item.id
    )
    return None, await _records(session, same_message)


async def revoke_visit(session: AsyncSession, visit_id: int, at: datetime) -> None:
    """Mark visit `visit_id` revoked (撤销) at `at`; its items are revoked one by one."""
    await session.execute(
        update(Visit).where(Visit.id == visit_id).values(revoked_at=at).execution_options(synchronize_session=False)
    )


async def acted_on_by_others(session: AsyncSession, item_ids: list[int], cadre_id: int) -> bool:
    """Whether anyone already worked on these items (then undo would erase that work); the
    reporter's own 签收 and corrections, and actions since undone, do not count."""
    if not item_ids:
        return False
    undone = {
        d.get("event")
        for d in await session.scalars(
            select(ItemEvent.data).where(ItemEvent.item_id.in_(item_ids), ItemEvent.kind == "undone")
        )
    }
    rows = await session.scalars(
        select(ItemEvent.id).where(
            ItemEvent.item_id.in_(item_ids),
            ItemEvent.kind.notin_(("created", "edited", "undone")),
            or_(ItemEvent.actor_id != cadre_id, ItemEvent.kind != "accepted"),
        )
    )
    return any(i not in undone for i in rows)


async def add_followup(
    session: AsyncSession,
    item: Item | ItemRecord,
    actor: Cadre | CadreRecord,
    rating: str,
    note: str | None,
    at: datetime,
    source: str = "干部",
) -> None:
    """Record a 回访 by `actor` on `item`: rating 满意 | 基本满意 | 不满意, optional note;
    `source` 干部 (typed by a cadre) or 群众 (the people served, through a 回访链接)."""
    session.add(Followup(item_id=item.id, actor_id=actor.id, rating=rating, note=note, at=at, source=source))


async def category_corrections(session: AsyncSession) -> list[tuple[ItemEvent, Item]]:
    """Every category correction a cadre made, with the item (for `minqing corrections`)."""
    rows = await session.execute(
        select(ItemEvent, Item)
        .join(Item, Item.id == ItemEvent.item_id)
        .where(ItemEvent.kind == "edited")
        .order_by(ItemEvent.id)
    )
    return [(e, i) for e, i in rows.all() if e.data.get("field") == "category"]


async def item_history(session: AsyncSession, item_id: int) -> list[tuple[ItemEvent, str | None]]:
    """Every event of an item, oldest first, with the actor's name."""
    rows = await session.execute(
        select(ItemEvent, Cadre.name)
        .outerjoin(Cadre, Cadre.id == ItemEvent.actor_id)
        .where(ItemEvent.item_id == item_id)
        .order_by(ItemEvent.id)
    )
    return [(e, n) for e, n in rows.all()]


async def last_event(session: AsyncSession, item_id: int, *kinds: str) -> ItemEvent | None:
    """The newest event of one of `kinds` on an item (events later undone are skipped)."""
    undone = select(ItemEvent.data).where(ItemEvent.item_id == item_id, ItemEvent.kind == "undone")
    skipped = {d.get("event") for d in await session.scalars(undone)}
    rows = await session.scalars(
        select(ItemEvent)
        .where(ItemEvent.item_id == item_id, ItemEvent.kind.in_(kinds))
        .order_by(ItemEvent.id.desc())
        .limit(20)
    )
    return next((e for e in rows if e.id not in skipped), None)


UNDOABLE = ("accepted", "progress", "transferred", "returned", "resolved", "edited", "voided")


async def undoable_events(session: AsyncSession, cadre_id: int, since: datetime, limit: int = 20) -> list[ItemEvent]:
    """The sender's own changes since `since` that carry a before-state, newest first,
    without those already undone."""
    mine = (ItemEvent.actor_id == cadre_id, ItemEvent.at >= since)
    undone = {
        d.get("event") for d in await session.scalars(select(ItemEvent.data).where(ItemEvent.kind == "undone", *mine))
    }
    rows = await session.scalars(
        select(ItemEvent).where(ItemEvent.kind.in_(UNDOABLE), *mine).order_by(ItemEvent.id.desc()).limit(limit)
    )
    return [e for e in rows if e.id not in undone and "before" in (e.data or {})]


async def later_events_by_others(session: AsyncSession, event: ItemEvent) -> bool:
    """Whether someone else changed the item after `event` (then undoing it would erase their work)."""
    n = await session.scalar(
        select(func.count(ItemEvent.id)).where(
            ItemEvent.item_id == event.item_id, ItemEvent.id > event.id, ItemEvent.actor_id != event.actor_id
        )
    )
    return bool(n)


async def get_visit(session: AsyncSession, visit_id: int) -> Visit | None:
    """Visit `visit_id` (revoked or not), None when there is no such visit."""
    return await session.get(Visit, visit_id)


_E = TypeVar("_E", Visit, Item, ItemEvent)


async def _newest(session: AsyncSession, entity: type[_E], *where: Any) -> _E | None:
    """The newest (highest id) row of `entity` matching `where`, None when none."""
    return await session.scalar(select(entity).where(*where).order_by(entity.id.desc()).limit(1))


async def latest_visit_since(session: AsyncSession, cadre_id: int, since: datetime) -> Visit | None:
    """The cadre's newest not-revoked visit created at or after `since`."""
    return await _newest(
        session, Visit, Visit.cadre_id == cadre_id, Visit.revoked_at.is_(None), Visit.created_at >= since
    )


async def latest_reported_since(session: AsyncSession, cadre_id: int, since: datetime) -> Item | None:
    """The newest not-revoked item the cadre reported at or after `since`."""
    return await _newest(
        session, Item, Item.reporter_id == cadre_id, Item.status != "revoked", Item.created_at >= since
    )


async def latest_resolution_since(session: AsyncSession, cadre_id: int, since: datetime) -> ItemEvent | None:
    """The newest 办结 ("resolved" event) the cadre made at or after `since`."""
    return await _newest(
        session, ItemEvent, ItemEvent.actor_id == cadre_id, ItemEvent.kind == "resolved", ItemEvent.at >= since
    )


async def first_item_of_visit(session: AsyncSession, visit_id: int) -> int | None:
    """The lowest number of the not-revoked items raised in visit `visit_id`, None when none."""
    return await session.scalar(
        select(Item.id).where(Item.visit_id == visit_id, Item.status != "revoked").order_by(Item.id).limit(1)
    )


async def visible_items(session: AsyncSession, scope: Scope, item_ids: set[int]) -> set[int]:
    """Those of `item_ids` that exist, are not revoked and that `scope` may see."""
    if not item_ids:
        return set()
    return set(
        await session.scalars(
            select(Item.id).where(Item.id.in_(item_ids), Item.status != "revoked", scope.items_clause())
        )
    )


async def visible_visits(session: AsyncSession, scope: Scope, visit_ids: set[int]) -> set[int]:
    """Those of `visit_ids` that exist, are not revoked and that `scope` may see."""
    if not visit_ids:
        return set()
    return set(
        await session.scalars(
            select(Visit.id).where(Visit.id.in_(visit_ids), Visit.revoked_at.is_(None), scope.visits_clause())
        )
    )


async def item_in_scope(session: AsyncSession, scope: Scope, item_id: int) -> Item | None:
    """Item `item_id` when `scope` may see it (revoked ones included), else None."""
    return await session.scalar(select(Item).where(Item.id == item_id, scope.items_clause()))
