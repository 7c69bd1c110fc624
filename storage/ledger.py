"""The 台账: the three lists and the visit ledger as plain rows (one query each, no N+1)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Cadre, Followup, Item, ItemEvent, Unit, Visit


async def item_rows(session: AsyncSession, since: datetime | None, until: datetime | None) -> list[dict]:
    """Every not-revoked item with owner, reporter, unit, latest progress and latest 回访."""
    owner, reporter = aliased(Cadre), aliased(Cadre)
    last_progress = (select(ItemEvent.item_id, func.max(ItemEvent.id).label("eid"))
                     .where(ItemEvent.kind == "progress").group_by(ItemEvent.item_id).subquery())
    progress = aliased(ItemEvent)
    last_fu = (select(Followup.item_id, func.max(Followup.id).label("fid"))
               .group_by(Followup.item_id).subquery())
    fu = aliased(Followup)
    q = (select(Item, owner.name, reporter.name, Unit.name, Visit.place, Visit.place_type,
                progress.note, fu.rating, fu.note)
         .join(owner, owner.id == Item.owner_id)
         .join(reporter, reporter.id == Item.reporter_id)
         .join(Unit, Unit.id == Item.unit_id)
         .outerjoin(Visit, Visit.id == Item.visit_id)
         .outerjoin(last_progress, last_progress.c.item_id == Item.id)
         .outerjoin(progress, progress.id == last_progress.c.eid)
         .outerjoin(last_fu, last_fu.c.item_id == Item.id)
         .outerjoin(fu, fu.id == last_fu.c.fid)
         .where(Item.status != "revoked").order_by(Item.id))
    if since is not None:
        q = q.where(Item.created_at >= since)
    if until is not None:
        q = q.where(Item.created_at < until)
    rows = []
    for item, owner_name, reporter_name, unit_name, place, place_type, prog, rating, fu_note in (
            await session.execute(q)).all():
        rows.append(dict(item=item, owner=owner_name, reporter=reporter_name, unit=unit_name,
                         place=place, place_type=place_type, progress=prog, rating=rating,
                         followup_note=fu_note))
    return rows


async def visit_rows(session: AsyncSession, since: datetime | None, until: datetime | None) -> list[dict]:
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
