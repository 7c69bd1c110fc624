"""Writing new records (visits, items and their "created" events) many at a time.

The objects are built by the caller as plain model instances (never added to a session);
they are inserted with one executemany statement per table and get their ids back, in order.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Item, ItemEvent, Visit

_VISITS: Table = Visit.__table__  # type: ignore[assignment]
_ITEMS: Table = Item.__table__  # type: ignore[assignment]
_EVENTS: Table = ItemEvent.__table__  # type: ignore[assignment]

_INSERT_VISITS = insert(_VISITS).returning(_VISITS.c.id, sort_by_parameter_order=True)
_INSERT_ITEMS = insert(_ITEMS).returning(_ITEMS.c.id, sort_by_parameter_order=True)
_INSERT_EVENTS = insert(_EVENTS)


def _values(obj: object, table: Table) -> dict:
    return {c.key: getattr(obj, c.key) for c in table.columns if c.key != "id"}


async def _insert(session: AsyncSession, stmt, table: Table, objs: Sequence[Visit] | Sequence[Item]) -> None:
    if not objs:
        return
    conn = await session.connection()
    ids = (await conn.execute(stmt, [_values(o, table) for o in objs])).scalars().all()
    for obj, new_id in zip(objs, ids, strict=True):
        obj.id = new_id


async def insert_visits(session: AsyncSession, visits: Sequence[Visit]) -> None:
    """Insert the visits and set their ids."""
    await _insert(session, _INSERT_VISITS, _VISITS, visits)


async def insert_items(session: AsyncSession, items: Sequence[Item]) -> None:
    """Insert the items (their visit ids set), set their ids, and log each one's "created"
    event by its reporter."""
    await _insert(session, _INSERT_ITEMS, _ITEMS, items)
    if items:
        conn = await session.connection()
        await conn.execute(_INSERT_EVENTS, [
            {"item_id": i.id, "kind": "created", "actor_id": i.reporter_id, "at": i.created_at, "note": None,
             "data": {}} for i in items])
