"""The sender's own settings: 请假 / 销假, and binding a group chat to a unit (绑定)."""

from __future__ import annotations

from handlers.commands import Command, handles
from handlers.context import Ctx
from handlers.errors import UserFacingError
from handlers.nlu.dates import ImpossibleDate, parse_range
from handlers.texts import refusals, replies
from handlers.units import match_unit
from storage.roster import bind_group, set_leave

LEADERS_GROUP_WORDS = ("领导组", "领导小组", "领导群", "全校", "全区")


@handles("leave")
async def leave(ctx: Ctx, cmd: Command) -> str:
    """请假 到12月5日 / 12月1日到12月5日请假: a range whose end lies ahead."""
    try:
        span = parse_range(cmd.arg, ctx.today) if cmd.arg else None
    except ImpossibleDate as exc:
        raise UserFacingError(replies.impossible_date(exc.reply)) from None
    if span is None:
        raise UserFacingError(replies.leave_date_needed(ctx.today))
    start, until = span
    if until < ctx.today:
        raise UserFacingError(replies.past_deadline(until, ctx.today))
    await set_leave(ctx.session, ctx.cadre.id, start if start > ctx.today else None, until)
    return replies.on_leave(start, until, ctx.today)


@handles("back")
async def back(ctx: Ctx, cmd: Command) -> str:
    """「销假」: the sender is available again (reminders resume)."""
    await set_leave(ctx.session, ctx.cadre.id, None, None)
    return replies.BACK_FROM_LEAVE


@handles("bind")
async def bind(ctx: Ctx, cmd: Command) -> str:
    """「绑定 单位」 in a group chat (unit heads and leaders; leaders may bind the leaders' group):
    the group receives that unit's digests. UserFacingError outside a group or for other senders."""
    if not ctx.msg.chat_id:  # a group message always names its chat (checked once more here)
        raise UserFacingError(refusals.GROUP_BIND)
    if cmd.arg in LEADERS_GROUP_WORDS:
        if not ctx.is_leader:
            raise UserFacingError(replies.BIND_FORBIDDEN)
        await bind_group(ctx.session, ctx.msg.channel, ctx.msg.chat_id, None, is_leaders=True)
        return replies.bound(None)
    m = await match_unit(ctx.session, cmd.arg)
    if m.unit is None:
        raise UserFacingError(replies.unit_choices(cmd.arg, m.choices, m.ambiguous))
    unit = m.unit
    if not ctx.is_leader and unit.id != ctx.cadre.unit_id:
        raise UserFacingError(replies.BIND_FORBIDDEN)
    await bind_group(ctx.session, ctx.msg.channel, ctx.msg.chat_id, unit.id)
    return replies.bound(unit.name)
