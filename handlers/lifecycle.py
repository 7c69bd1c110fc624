"""The closed loop of one item: 签收, 进展, 转办, 包保, 办结, 回访/销号/重办, 更正."""

from __future__ import annotations

from datetime import timedelta

from handlers import replies
from handlers.commands import Command, parse_future_date
from handlers.context import Ctx
from handlers.errors import UserFacingError
from handlers.policy import RATINGS, TRACK_LEADER
from storage.items import add_event, add_followup, get_item
from storage.models import Item
from storage.roster import find_cadre_by_name, find_unit, unit_heads

EDIT_FIELDS = {"分类": "category", "类别": "category", "期限": "deadline", "截止日期": "deadline",
               "内容": "text"}


async def load_item(ctx: Ctx, ref: int) -> Item:
    item = await get_item(ctx.session, ref)
    if item is None:
        raise UserFacingError(replies.no_item(ref))
    if not ctx.may_act_on(item):
        raise UserFacingError(replies.forbidden(ref))
    return item


def _respond(ctx: Ctx, item: Item) -> None:
    if item.responded_at is None:
        item.responded_at = ctx.now
    if item.status in ("new", "reopened"):
        item.status = "in_progress"


async def accept(ctx: Ctx, cmd: Command) -> str:
    item = await load_item(ctx, cmd.ref)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "签收"))
    _respond(ctx, item)
    await add_event(ctx.session, item, "accepted", ctx.cadre.id, ctx.now)
    return replies.accepted(item, ctx.today)


async def progress(ctx: Ctx, cmd: Command) -> str:
    if not cmd.arg:
        raise UserFacingError(replies.PROGRESS_NEEDED)
    item = await load_item(ctx, cmd.ref)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "记录进展"))
    _respond(ctx, item)
    await add_event(ctx.session, item, "progress", ctx.cadre.id, ctx.now, cmd.arg)
    return replies.progressed(item)


async def resolve(ctx: Ctx, cmd: Command) -> str:
    if not cmd.arg:
        raise UserFacingError(replies.RESULT_NEEDED)
    item = await load_item(ctx, cmd.ref)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "办结"))
    if item.responded_at is None:
        item.responded_at = ctx.now
    item.status, item.result, item.resolved_at = "resolved", cmd.arg, ctx.now
    await add_event(ctx.session, item, "resolved", ctx.cadre.id, ctx.now, cmd.arg)
    if item.reporter_id != ctx.cadre.id:
        ctx.notify(item.reporter_id, f"您提出的问题 #{item.id} 已办结：{replies.short(cmd.arg)}")
    return replies.resolved(item)


async def followup(ctx: Ctx, cmd: Command) -> str:
    rating, note = cmd.arg, cmd.extra or None
    if rating not in RATINGS:
        raise UserFacingError(replies.RATING_NEEDED)
    item = await load_item(ctx, cmd.ref)
    if item.status != "resolved":
        raise UserFacingError(replies.wrong_state(item, "回访（办结后才能回访）"))
    await add_followup(ctx.session, item, ctx.cadre, rating, note, ctx.now)
    await add_event(ctx.session, item, "followup", ctx.cadre.id, ctx.now, note, rating=rating)
    if rating == "不满意":
        item.status, item.resolved_at = "reopened", None
        await add_event(ctx.session, item, "reopened", ctx.cadre.id, ctx.now, note)
        ctx.notify(item.owner_id, replies.reopen_notice(item, note, ctx.today))
    else:
        item.status, item.closed_at = "closed", ctx.now
        await add_event(ctx.session, item, "closed", ctx.cadre.id, ctx.now)
    return replies.followed_up(item, rating)


async def transfer(ctx: Ctx, cmd: Command) -> str:
    item = await load_item(ctx, cmd.ref)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "转办"))
    unit = await find_unit(ctx.session, cmd.arg)
    if unit is None:
        raise UserFacingError(replies.unknown_unit(cmd.arg))
    if cmd.extra:
        people = await find_cadre_by_name(ctx.session, cmd.extra, unit.id)
        if not people:
            raise UserFacingError(replies.unknown_person(cmd.extra, unit.name))
        owner = people[0]
    else:
        heads = await unit_heads(ctx.session, unit.id)
        if not heads:
            raise UserFacingError(replies.no_head(unit.name))
        owner = heads[0]
    old_owner = item.owner_id
    item.owner_id, item.unit_id, item.status = owner.id, unit.id, "new"
    item.owner, item.unit = owner, unit
    await add_event(ctx.session, item, "transferred", ctx.cadre.id, ctx.now,
                    from_owner=old_owner, to_owner=owner.id, to_unit=unit.id)
    ctx.notify(owner.id, replies.transfer_notice(item, ctx.cadre.name, ctx.today))
    return replies.transferred(item, unit.name, owner.name, ctx.today)


async def take(ctx: Ctx, cmd: Command) -> str:
    if not ctx.is_leader:
        raise UserFacingError(replies.LEADER_ONLY)
    item = await load_item(ctx, cmd.ref)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "包保"))
    old_owner = item.owner_id
    item.owner_id, item.owner, item.track = ctx.cadre.id, ctx.cadre, TRACK_LEADER
    item.deadline = max(item.deadline, ctx.today + timedelta(days=ctx.policy.leader_days))
    _respond(ctx, item)
    await add_event(ctx.session, item, "transferred", ctx.cadre.id, ctx.now,
                    from_owner=old_owner, to_owner=ctx.cadre.id, track=TRACK_LEADER)
    return replies.taken(item, ctx.today)


async def edit(ctx: Ctx, cmd: Command) -> str:
    field = EDIT_FIELDS[cmd.arg]
    value = cmd.extra.strip()
    item = await load_item(ctx, cmd.ref)
    if item.status in ("closed", "revoked"):
        raise UserFacingError(replies.wrong_state(item, "更正"))
    old: object
    if field == "category":
        allowed = ctx.parser.categories(ctx.policy.profile)
        value = value.removesuffix("类")
        if value not in allowed:
            raise UserFacingError(replies.bad_category(value, allowed))
        old, item.category = item.category, value
    elif field == "deadline":
        d = parse_future_date(value, ctx.today)
        if d is None:
            raise UserFacingError(replies.BAD_DATE)
        if d < ctx.today:
            raise UserFacingError(replies.PAST_DEADLINE)
        old, item.deadline = item.deadline.isoformat(), d
        value = d.isoformat()
    else:
        old, item.text = item.text, value
    await add_event(ctx.session, item, "edited", ctx.cadre.id, ctx.now, field=field, old=old, new=value,
                    profile=ctx.policy.profile)
    return replies.edited(item, cmd.arg, ctx.today)
