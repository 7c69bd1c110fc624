"""The 台账: the three lists and the visit ledger as plain rows (one query each, no N+1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Cadre, Followup, Item, ItemEvent, Unit, Visit


async def item_rows(session: AsyncSession, since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    """Every not-revoked item with owner, reporter, unit, latest progress and latest 回访, and
    how many times it was refused (`returns`, 退回) and extended (`extensions`, approved 延期)."""
    owner, reporter = aliased(Cadre), aliased(Cadre)
    last_progress = (select(ItemEvent.item_id, func.max(ItemEvent.id).label("eid"))
                     .where(ItemEvent.kind == "progress").group_by(ItemEvent.item_id).subquery())
    progress = aliased(ItemEvent)
    last_fu = (select(Followup.item_id, func.max(Followup.id).label("fid"))
               .group_by(Followup.item_id).subquery())
    fu = aliased(Followup)
    counts = (select(ItemEvent.item_id,
                     func.sum(case((ItemEvent.kind == "returned", 1), else_=0)).label("returns"),
                     func.sum(case((ItemEvent.kind == "ext_approved", 1), else_=0)).label("extensions"))
              .where(ItemEvent.kind.in_(("returned", "ext_approved"))).group_by(ItemEvent.item_id).subquery())
    q = (select(Item, owner.name, reporter.name, Unit.name, Visit.place, Visit.place_type,
                progress.note, fu.rating, fu.note, counts.c.returns, counts.c.extensions)
         .join(owner, owner.id == Item.owner_id)
         .join(reporter, reporter.id == Item.reporter_id)
         .join(Unit, Unit.id == Item.unit_id)
         .outerjoin(Visit, Visit.id == Item.visit_id)
         .outerjoin(last_progress, last_progress.c.item_id == Item.id)
         .outerjoin(progress, progress.id == last_progress.c.eid)
         .outerjoin(last_fu, last_fu.c.item_id == Item.id)
         .outerjoin(fu, fu.id == last_fu.c.fid)
         .outerjoin(counts, counts.c.item_id == Item.id)
         .where(Item.status != "revoked").order_by(Item.id))
    if since is not None:
        q = q.where(Item.created_at >= since)
    if until is not None:
        q = q.where(Item.created_at < until)
    rows = []
    for (item, owner_name, reporter_name, unit_name, place, place_type, prog, rating, fu_note, returns,
         extensions) in (await session.execute(q)).all():
        rows.append(dict(item=item, owner=owner_name, reporter=reporter_name, unit=unit_name,
                         place=place, place_type=place_type, progress=prog, rating=rating,
                         followup_note=fu_note, returns=returns or 0, extensions=extensions or 0))
    return rows


async def visit_rows(session: AsyncSession, since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    n_items = (select(Item.visit_id, func.count(Item.id).label("n"))
               .where(Item.status != "revoked", Item.visit_id.is_not(None))
               .group_by(Item.visit_id).subquery())
    q = (select(Visit, Cadre.name, Unit.name, n_items.c.n)
         .join(Cadre, Cadre.id == Visit.cadre_id).join(Unit, Unit.id == Visit.unit_id)
         .outerjoin(n_items, n_items.c.visit_id == Visit.id)
         .where(Visit.revoked_at.is_(None)).order_by(Visit.date, Visit.id))
    if since is not None:
        q = q.where(Visit.date >= since.date())
    if until is not None:
        q = q.where(Visit.date < until.date())
    return [dict(visit=v, cadre=c, unit=u, items=n or 0) for v, c, u, n in (await session.execute(q)).all()]
