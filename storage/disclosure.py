"""公示: what a month's public page lists, and the items a unit head keeps off it (「不公示 #12 原因」,
an `unpublished` event on the item, with the reason as its note).

    效果清单  items resolved in the month (storage/lists.effects)
    问题清单  items raised in the month and still open (new, in progress, reopened)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Result, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import lists
from storage.models import OPEN_STATUSES, Cadre, Followup, Item, ItemEvent, Unit

UNPUBLISHED = "unpublished"


@dataclass(frozen=True)
class PublicRow:
    """One line of a 公示 page, before masking: texts are raw (the page masks them)."""

    item_id: int
    category: str
    text: str
    unit: str
    status: str
    result: str | None
    rating: str | None  # the latest 回访, None when none yet
    owner: str


async def month_rows(
    session: AsyncSession, unit_id: int | None, since: datetime, until: datetime
) -> tuple[list[PublicRow], list[PublicRow]]:
    """(效果清单, open 问题清单) of [since, until) for one unit (None: all units), ordered by
    number, without the items kept off the public page."""
    hidden = select(ItemEvent.item_id).where(ItemEvent.kind == UNPUBLISHED)
    last_rating = (
        select(Followup.rating)
        .where(Followup.item_id == Item.id)
        .order_by(Followup.at.desc(), Followup.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    base = (
        select(Item, Unit.name, Cadre.name, last_rating)
        .join(Unit, Unit.id == Item.unit_id)
        .join(Cadre, Cadre.id == Item.owner_id)
        .where(Item.id.not_in(hidden))
        .order_by(Item.id)
    )
    if unit_id is not None:
        base = base.where(Item.unit_id == unit_id)

    def rows(result: Result[Any]) -> list[PublicRow]:
        return [
            PublicRow(i.id, i.category, i.text, u, i.status, i.result, r, o)
            for i, u, o, r in (tuple(row) for row in result.all())
        ]

    effects = rows(await session.execute(base.where(*lists.effects(since, until))))
    open_ = rows(await session.execute(base.where(*lists.problems(since, until), Item.status.in_(OPEN_STATUSES))))
    return effects, open_


async def is_unpublished(session: AsyncSession, item_id: int) -> bool:
    """True when the item was taken off the public disclosure page (an UNPUBLISHED event exists)."""
    return (
        await session.scalar(
            select(ItemEvent.id).where(ItemEvent.item_id == item_id, ItemEvent.kind == UNPUBLISHED).limit(1)
        )
        is not None
    )
