"""「不公示 #12 原因」: a unit head (or a leader) keeps an item off the 公示 pages (bot/public/
disclosure.py); the reason is logged as an `unpublished` event on the item."""

from __future__ import annotations

import logging

from handlers.commands import Command, handles
from handlers.context import Ctx
from handlers.errors import UserFacingError
from handlers.lifecycle import load_item
from handlers.texts import refusals
from storage.disclosure import UNPUBLISHED, is_unpublished
from storage.items import add_event

log = logging.getLogger("minqing.disclosure")

REASON_NEEDED = "请写明不公示的原因，例如「不公示 #12 涉及学生隐私」。"


@handles("unpublish")
async def unpublish(ctx: Ctx, cmd: Command) -> str:
    """Keep the item off every 公示 page. UserFacingError without a reason, for someone other than
    the item's unit head or a leader, or when the item is already kept off."""
    if not cmd.arg.strip():
        raise UserFacingError(REASON_NEEDED)
    item = await load_item(ctx, cmd.ref, cmd.natural)
    if not (ctx.is_leader or (ctx.is_unit_head and ctx.cadre.unit_id == item.unit_id)):
        raise UserFacingError(refusals.HEADS_UNPUBLISH)
    if await is_unpublished(ctx.session, item.id):
        return f"问题 #{item.id} 已设置为不公示。"
    await add_event(ctx.session, item, UNPUBLISHED, ctx.cadre.id, ctx.now, cmd.arg.strip())
    log.info("item:%s kept off the public pages by cadre:%s", item.id, ctx.cadre.id)
    return f"问题 #{item.id} 不在公示页面上显示（原因：{cmd.arg.strip()}，已记录）。"
