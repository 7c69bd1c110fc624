"""Turning an understood message into a visit and numbered items; undoing the last record."""

from __future__ import annotations

from datetime import timedelta

from handlers import replies
from handlers.context import Ctx
from handlers.policy import TRACK_QUICK
from storage.items import acted_on_by_others, add_event, last_record
from storage.models import Item, Visit


async def record(ctx: Ctx, parsed) -> str:
    """Store the visit (if any) and every item; the reporter owns them (首接首办)."""
    s, c = ctx.session, ctx.cadre
    visit = None
    if parsed.visit is not None:
        v = parsed.visit
        visit = Visit(cadre_id=c.id, unit_id=c.unit_id, date=v.date, place_type=v.place_type,
                      place=v.place, people=v.people, text=ctx.msg.text, message_id=ctx.message_id,
                      created_at=ctx.now)
        s.add(visit)
        await s.flush()
    items = []
    deadline = ctx.today + timedelta(days=ctx.policy.quick_days)
    for p in parsed.items:
        item = Item(visit_id=visit.id if visit else None, category=p.category, text=p.text,
                    reporter_id=c.id, owner_id=c.id, unit_id=c.unit_id, track=TRACK_QUICK,
                    deadline=deadline, status="new", created_at=ctx.now, message_id=ctx.message_id)
        item.owner = c
        s.add(item)
        items.append(item)
    await s.flush()
    for item in items:
        await add_event(s, item, "created", c.id, ctx.now)
    if visit is None and not items:
        return replies.NOTHING_RECORDED
    return replies.recorded(visit, items, ctx.today)


async def undo(ctx: Ctx) -> str:
    """Revoke the sender's newest record, unless someone else already worked on it."""
    visit, items = await last_record(ctx.session, ctx.cadre.id)
    if visit is None and not items:
        return replies.NOTHING_TO_UNDO
    if await acted_on_by_others(ctx.session, [i.id for i in items], ctx.cadre.id):
        return replies.UNDO_BLOCKED
    if visit is not None:
        visit.revoked_at = ctx.now
    for item in items:
        item.status = "revoked"
        await add_event(ctx.session, item, "revoked", ctx.cadre.id, ctx.now)
    return replies.undone(visit, items, ctx.today)
