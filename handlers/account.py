"""The sender's own settings: 请假 / 销假, and binding a group chat to a unit (绑定)."""

from __future__ import annotations

from handlers import replies
from handlers.commands import Command, parse_future_date
from handlers.context import Ctx
from handlers.errors import UserFacingError
from storage.roster import bind_group, find_unit

LEADERS_GROUP_WORDS = ("领导组", "领导小组", "领导群", "全校", "全区")


async def leave(ctx: Ctx, cmd: Command) -> str:
    until = parse_future_date(cmd.arg, ctx.today) if cmd.arg else None
    if until is None:
        raise UserFacingError(replies.LEAVE_DATE_NEEDED)
    ctx.cadre.leave_until = until
    return replies.on_leave(until, ctx.today)


async def back(ctx: Ctx, cmd: Command) -> str:
    ctx.cadre.leave_until = None
    return replies.BACK_FROM_LEAVE


async def bind(ctx: Ctx, cmd: Command) -> str:
    if not ctx.msg.is_group or not ctx.msg.chat_id:
        raise UserFacingError(replies.BIND_GROUP_ONLY)
    if not (ctx.is_leader or ctx.is_unit_head):
        raise UserFacingError(replies.BIND_FORBIDDEN)
    if cmd.arg in LEADERS_GROUP_WORDS:
        if not ctx.is_leader:
            raise UserFacingError(replies.BIND_FORBIDDEN)
        await bind_group(ctx.session, ctx.msg.channel, ctx.msg.chat_id, None, is_leaders=True)
        return replies.bound(None)
    unit = await find_unit(ctx.session, cmd.arg)
    if unit is None:
        raise UserFacingError(replies.unknown_unit(cmd.arg))
    if not ctx.is_leader and unit.id != ctx.cadre.unit_id:
        raise UserFacingError(replies.BIND_FORBIDDEN)
    await bind_group(ctx.session, ctx.msg.channel, ctx.msg.chat_id, unit.id)
    return replies.bound(unit.name)
