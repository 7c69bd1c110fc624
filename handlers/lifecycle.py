"""The closed loop of one item: 查看, 签收, 进展, 转办, 退回, 包保, 办结, 回访/销号/重办, 更正, 延期.

Deadline rules (one place):
- 转办 to a new owner and 重办 after 不满意 give a fresh deadline by the track's rule
  (即办: `quick_days`, 包保: `leader_days`), said in the notice.
- An owner cannot move their own deadline later: 「延期 #N 到… 原因…」 asks the approver (the
  unit head; a leader for 包保 items and for unit heads' own items), and the old deadline
  stands until approved. Leaders (and unit heads, for their cadres' 即办 items) set it directly.
- Whenever a deadline that has already passed is replaced, it is kept as `first_due`: 按期办结
  is measured against the deadline in force when the item first fell due.

Every change an owner may take back (撤销) stores the item's state before it (`before`) and the
message that caused it (`msg`) in its event; see handlers/undo.py.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from handlers.commands import Command, handles
from handlers.context import Ctx
from handlers.errors import UserFacingError
from handlers.nlu.dates import FUTURE, ImpossibleDate, parse_date
from handlers.policy import RATINGS, ROLE_LEADER, TRACK_LEADER
from handlers.texts import replies
from handlers.units import match_unit, short_names
from storage.items import ItemRecord, acted_on_by_others, add_event, add_followup, get_item, item_history, last_event
from storage.models import Cadre, ItemEvent, Unit
from storage.roster import Sender, UnitRef, active_cadres, all_units, find_cadre_by_name, get_cadre, unit_heads

EDIT_FIELDS = {"分类": "category", "类别": "category", "期限": "deadline", "截止日期": "deadline", "内容": "text"}
SNAPSHOT = (
    "status",
    "owner_id",
    "unit_id",
    "track",
    "deadline",
    "first_due",
    "result",
    "resolved_at",
    "responded_at",
    "category",
    "text",
)


def snapshot(item: ItemRecord) -> dict[str, Any]:
    """The item's changeable state as JSON-safe values (for 撤销)."""
    out = {}
    for k in SNAPSHOT:
        v = getattr(item, k)
        out[k] = v.isoformat() if hasattr(v, "isoformat") else v
    return out


async def record(
    ctx: Ctx, item: ItemRecord, kind: str, before: dict[str, Any] | None, note: str | None = None, **data: Any
) -> None:
    """Log an event by the sender; `before` makes it undoable."""
    if before is not None:
        data.update(before=before, msg=ctx.message_id)
    await add_event(ctx.session, item, kind, ctx.cadre.id, ctx.now, note, **data)


async def load_item(ctx: Ctx, ref: int | None, natural: bool = False) -> ItemRecord:
    """The item the sender may act on. A natural wording that names a missing or someone else's
    item is answered with a question (it may have been a report, not a command). ValueError
    without a reference: commands on items always carry one (handlers/commands.py)."""
    if ref is None:
        raise ValueError("a command on an item without the item's number")
    item = await get_item(ctx.session, ref)
    if item is None:
        gone = await get_item(ctx.session, ref, revoked=True)
        if gone is not None and ctx.may_act_on(gone):  # voided (作废) or its record taken back (撤销)
            raise UserFacingError(replies.item_revoked(ref))
        raise UserFacingError(replies.unsure_item(ref) if natural else replies.no_item(ref))
    if not ctx.may_act_on(item):
        raise UserFacingError(replies.unsure_forbidden(item) if natural else replies.forbidden(ref))
    return item


def _respond(ctx: Ctx, item: ItemRecord) -> None:
    if item.responded_at is None:
        item.responded_at = ctx.now
    if item.status in ("new", "reopened"):
        item.status = "in_progress"


def track_deadline(ctx: Ctx, track: str) -> date:
    """A fresh deadline by the track's rule, from today."""
    days = ctx.policy.leader_days if track == TRACK_LEADER else ctx.policy.quick_days
    return ctx.today + timedelta(days=days)


def set_deadline(ctx: Ctx, item: ItemRecord, new: date) -> None:
    """Replace the deadline, remembering a passed one as the deadline first due."""
    if item.first_due is None and item.deadline < ctx.today:
        item.first_due = item.deadline
    item.deadline = new


@handles("view")
async def view(ctx: Ctx, cmd: Command) -> str:
    """「#12」「查看 #12」: the item with its whole history. UserFacingError when it is missing or
    one the sender may not act on."""
    item = await load_item(ctx, cmd.ref)
    history = await item_history(ctx.session, item.id)
    return replies.item_view(item, history, ctx.today)


@handles("accept")
async def accept(ctx: Ctx, cmd: Command) -> str:
    """「签收 #12」: the owner acknowledges the item (counts as its first response). UserFacingError
    when the item is missing, one the sender may not act on, or no longer open."""
    item = await load_item(ctx, cmd.ref, cmd.natural)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "签收"))
    before = snapshot(item)
    _respond(ctx, item)
    await record(ctx, item, "accepted", before)
    return replies.accepted(item, ctx.today)


@handles("progress")
async def progress(ctx: Ctx, cmd: Command) -> str:
    """「进展 #12 内容」: an event with the progress note (a first note counts as the response).
    UserFacingError without a note, or when the item is missing, one the sender may not act on or closed."""
    if not cmd.arg:
        raise UserFacingError(replies.PROGRESS_NEEDED)
    item = await load_item(ctx, cmd.ref, cmd.natural)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "记录进展"))
    before = snapshot(item)
    _respond(ctx, item)
    await record(ctx, item, "progress", before, cmd.arg)
    return replies.progressed(item)


@handles("resolve")
async def resolve(ctx: Ctx, cmd: Command) -> str:
    """「办结 #12 结果」: status resolved with the result; the reporter is notified when it is someone
    else. UserFacingError without a result, or when the item is missing, one the sender may not act on or closed."""
    if not cmd.arg:  # a missing item, one the sender may not act on, or a closed one is said first
        item = await load_item(ctx, cmd.ref, cmd.natural)
        if not item.is_open:
            raise UserFacingError(replies.wrong_state(item, "办结"))
        raise UserFacingError(replies.result_needed(cmd.ref))
    others = re.findall(r"[#＃]\s*(\d{1,9})", cmd.arg)
    if others and cmd.ref is not None:  # 「办结 #4 #5 都好了」: never close one and store the other as its result
        raise UserFacingError(replies.one_at_a_time([cmd.ref, *map(int, others)]))
    item = await load_item(ctx, cmd.ref, cmd.natural)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "办结"))
    before = snapshot(item)
    if item.responded_at is None:
        item.responded_at = ctx.now
    item.status, item.result, item.resolved_at = "resolved", cmd.arg, ctx.now
    await record(ctx, item, "resolved", before, cmd.arg)
    if item.reporter_id != ctx.cadre.id:
        ctx.notify(item.reporter_id, f"您提出的问题 #{item.id} 已办结：{replies.short(cmd.arg)}")
    return replies.resolved(item)


@handles("followup")
async def followup(ctx: Ctx, cmd: Command) -> str:
    """「回访 #12 满意|基本满意|不满意 [说明]」: the people's rating; 满意/基本满意 close the item
    (销号), 不满意 reopens it (重办) with a fresh deadline and tells its owner. UserFacingError without
    a rating or before the item is resolved."""
    rating, note = cmd.arg, cmd.extra or None
    if rating not in RATINGS:
        raise UserFacingError(replies.RATING_NEEDED)
    item = await load_item(ctx, cmd.ref, cmd.natural)
    if item.status != "resolved":
        raise UserFacingError(replies.wrong_state(item, "回访（办结后才能回访）"))
    await rate(ctx, item, rating, note)
    return replies.followed_up(item, rating, ctx.today)


async def rate(ctx: Ctx, item: ItemRecord, rating: str, note: str | None, source: str = "干部") -> None:
    """Record a 回访 on a resolved `item` (`ctx.cadre` is the actor: the cadre who typed it, or
    the one who made the 回访链接 for source 群众). 满意/基本满意 close it, 不满意 reopens it with a
    fresh deadline and notifies its owner (and, for 群众, the unit's heads, with the comment)."""
    await add_followup(ctx.session, item, ctx.cadre, rating, note, ctx.now, source)
    await add_event(
        ctx.session,
        item,
        "followup",
        ctx.cadre.id,
        ctx.now,
        note,
        rating=rating,
        **({"source": source} if source != "干部" else {}),
    )
    if rating == "不满意":
        item.status, item.resolved_at = "reopened", None
        old = item.deadline
        set_deadline(ctx, item, track_deadline(ctx, item.track))
        await add_event(
            ctx.session,
            item,
            "reopened",
            ctx.cadre.id,
            ctx.now,
            note,
            old_deadline=old.isoformat(),
            deadline=item.deadline.isoformat(),
        )
        text = replies.reopen_notice(item, note, ctx.today)
        if source == "群众":  # no sender in the chat: the owner is told even when they made the link
            heads = [h.id for h in await unit_heads(ctx.session, item.unit_id)]
            for cadre_id in dict.fromkeys([item.owner_id, *heads]):
                ctx.notify(cadre_id, replies.PUBLIC_UNSATISFIED + text, even_sender=True)
        else:
            ctx.notify(item.owner_id, text)
    else:
        item.status, item.closed_at = "closed", ctx.now
        await add_event(ctx.session, item, "closed", ctx.cadre.id, ctx.now)


async def _resolve_unit(ctx: Ctx, name: str, person: str) -> tuple[Unit, str]:
    """The unit `name` means (and a person named after it: 「后勤处陈师傅」), or a question."""
    m = await match_unit(ctx.session, name)
    if m.unit is not None:
        return m.unit, person
    if not person:  # 「后勤处陈师傅」 written together
        units = await all_units(ctx.session)
        for u in sorted(units, key=lambda u: -len(u.name)):
            for n in (u.name, *sorted(short_names(u.name), key=len, reverse=True)):
                if name.startswith(n) and len(name) > len(n):
                    return u, name[len(n) :]
    raise UserFacingError(replies.unit_choices(name, m.choices, m.ambiguous))


@handles("transfer")
async def transfer(ctx: Ctx, cmd: Command) -> str:
    """「转办 #12 单位 [姓名]」: hand the item to a unit (its head, or the named cadre) with a fresh
    deadline by the track's rule; the new owner is notified. UserFacingError for an unknown unit or
    person, a unit without a head, the current owner, or an item the sender may not act on."""
    item = await load_item(ctx, cmd.ref, cmd.natural)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "转办"))
    unit, person = await _resolve_unit(ctx, cmd.arg, cmd.extra)
    if person:
        people = await find_cadre_by_name(ctx.session, person, unit.id)
        if not people:
            raise UserFacingError(replies.unknown_person(person, unit.name))
        owner = people[0]
    else:
        heads = await unit_heads(ctx.session, unit.id)
        if not heads:
            raise UserFacingError(replies.no_head(unit.name))
        owner = heads[0]
    if owner.id == item.owner_id:
        raise UserFacingError(replies.already_owner(item, owner.name))
    before, old_owner = snapshot(item), item.owner_id
    item.assign(Sender(owner.id, owner.name, owner.unit_id), UnitRef(unit.id, unit.name))
    item.status = "new"
    set_deadline(ctx, item, track_deadline(ctx, item.track))
    await record(ctx, item, "transferred", before, from_owner=old_owner, to_owner=owner.id, to_unit=unit.id)
    ctx.notify(owner.id, replies.transfer_notice(item, ctx.cadre.name, ctx.policy, ctx.today))
    if old_owner != ctx.cadre.id:
        ctx.notify(old_owner, replies.moved_away(item, ctx.cadre.name, owner.name))
    return replies.transferred(item, unit.name, owner.name, ctx.today)


@handles("refuse")
async def refuse(ctx: Ctx, cmd: Command) -> str:
    """退回: the owner (or their unit head) sends a transferred item back to whoever transferred it."""
    if not cmd.arg:
        raise UserFacingError(replies.REFUSE_REASON_NEEDED)
    item = await load_item(ctx, cmd.ref, cmd.natural)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "退回"))
    last = await last_event(ctx.session, item.id, "transferred")
    if last is None or last.data.get("to_owner") != item.owner_id or last.data.get("track") == TRACK_LEADER:
        raise UserFacingError(replies.not_transferred(item))
    if not (item.owner_id == ctx.cadre.id or (ctx.is_unit_head and item.unit_id == ctx.cadre.unit_id)):
        raise UserFacingError(replies.REFUSE_WHO)
    back_to = await get_cadre(ctx.session, last.actor_id) if last.actor_id is not None else None
    if back_to is None:  # the transferring cadre's row is gone (cadres are deactivated, never deleted)
        raise UserFacingError(replies.not_transferred(item))
    before = snapshot(item)
    item.assign(Sender(back_to.id, back_to.name, back_to.unit_id), UnitRef(back_to.unit_id, back_to.unit.name))
    item.status = "in_progress"  # back with whoever already handled it (by transferring it): no 签收 needed
    await record(ctx, item, "returned", before, cmd.arg, from_owner=before["owner_id"], to_owner=back_to.id)
    ctx.notify(back_to.id, replies.refused_notice(item, ctx.cadre.name, cmd.arg))
    return replies.refused(item, back_to.name, cmd.arg)


@handles("take")
async def take(ctx: Ctx, cmd: Command) -> str:
    """「包保 #12」 (leaders only): the leader owns the item personally (track 包保), its deadline
    moved out to the 包保 target when that is later; the previous owner is told."""
    item = await load_item(ctx, cmd.ref, cmd.natural)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "包保"))
    if item.track == TRACK_LEADER and item.owner_id == ctx.cadre.id:
        return replies.already_taken(item, ctx.today)
    before, old_owner = snapshot(item), item.owner_id
    item.assign(ctx.sender, item.unit)  # the item stays with its unit: a leader takes it personally
    item.track = TRACK_LEADER
    set_deadline(ctx, item, max(item.deadline, track_deadline(ctx, TRACK_LEADER)))
    _respond(ctx, item)
    await record(ctx, item, "transferred", before, from_owner=old_owner, to_owner=ctx.cadre.id, track=TRACK_LEADER)
    ctx.notify(old_owner, replies.taken_notice(item, ctx.cadre.name))
    return replies.taken(item, ctx.today)


def _may_set_deadline(ctx: Ctx, item: ItemRecord) -> bool:
    """Leaders always; a unit head for a 即办 item of their unit that is not their own."""
    if ctx.is_leader:
        return True
    return (
        ctx.is_unit_head
        and item.unit_id == ctx.cadre.unit_id
        and item.track != TRACK_LEADER
        and item.owner_id != ctx.cadre.id
    )


def _future_date(ctx: Ctx, text: str) -> date:
    try:
        d = parse_date(text, ctx.today, FUTURE)
    except ImpossibleDate as exc:
        raise UserFacingError(replies.impossible_date(exc.reply)) from None
    if d is None:
        raise UserFacingError(replies.bad_date(ctx.today))
    if d < ctx.today:
        raise UserFacingError(replies.past_deadline(d, ctx.today))
    return d


@handles("edit")
async def edit(ctx: Ctx, cmd: Command) -> str:
    """「改 #12 分类|期限|内容 新值」: correct one field (undoable with 撤销). A later deadline is not
    an edit: UserFacingError pointing to 延期; also for an unknown category, an unreadable date or a
    closed item."""
    field = EDIT_FIELDS[cmd.arg]
    value = cmd.extra.strip()
    item = await load_item(ctx, cmd.ref)
    if item.status in ("closed", "revoked"):
        raise UserFacingError(replies.wrong_state(item, "更正"))
    before = snapshot(item)
    old: object
    if field == "category":
        allowed = ctx.parser.categories(ctx.policy.profile)
        value = value.removesuffix("类")
        if value not in allowed:
            raise UserFacingError(replies.bad_category(value, allowed))
        if value == item.category:  # nothing to correct: no event, nothing for the models to learn
            raise UserFacingError(replies.category_unchanged(item.id, value))
        old, item.category = item.category, value
    elif field == "deadline":
        d = _future_date(ctx, value)
        if d > item.deadline and not _may_set_deadline(ctx, item):
            raise UserFacingError(replies.extension_is_a_request(item, d, ctx.today))
        old = item.deadline.isoformat()
        set_deadline(ctx, item, d)
        value = d.isoformat()
    else:
        old, item.text = item.text, value
    await record(ctx, item, "edited", before, field=field, old=old, new=value, profile=ctx.policy.profile)
    return replies.edited(item, cmd.arg, ctx.today)


_REASON = re.compile(r"^[\s,，:：;；]*(?:原因|理由|因为|由于)?[\s,，:：]*")


@handles("void")
async def void(ctx: Ctx, cmd: Command) -> str:
    """「作废 #12 原因」「#12 是误记的，请删除」: an item recorded by mistake (记错、重复) leaves every
    list and count. Its reporter may void it while nobody else has worked on it; the unit's head
    and leaders may void any open or resolved item. Undoable with 撤销. UserFacingError otherwise."""
    item = await load_item(ctx, cmd.ref, cmd.natural)
    if item.status == "closed":
        raise UserFacingError(replies.wrong_state(item, "作废"))
    if not (ctx.is_leader or (ctx.is_unit_head and item.unit_id == ctx.cadre.unit_id)):
        if item.reporter_id != ctx.cadre.id:
            raise UserFacingError(replies.void_who(item))
        if await acted_on_by_others(ctx.session, [item.id], ctx.cadre.id):
            raise UserFacingError(replies.void_worked_on(item))
    before = snapshot(item)
    item.status = "revoked"
    await record(ctx, item, "voided", before, cmd.arg.strip() or None)
    if item.reporter_id != ctx.cadre.id:
        ctx.notify(item.reporter_id, replies.voided_notice(item, ctx.cadre.name, cmd.arg.strip()))
    return replies.voided(item, cmd.arg.strip())


def _split_date(text: str, today: date) -> tuple[str, str]:
    """「12月20日 原因：等配件」 → ("12月20日", "等配件"): the longest leading date, then the reason."""
    text = text.strip()
    for end in range(min(len(text), 16), 0, -1):
        head = text[:end]
        try:
            if parse_date(head, today, FUTURE) is not None:
                return head, _REASON.sub("", text[end:]).strip()
        except ImpossibleDate:
            return head, _REASON.sub("", text[end:]).strip()
    return text, ""


async def _approvers(ctx: Ctx, item: ItemRecord) -> list[Cadre]:
    """Who decides on an extension: the unit head; leaders for 包保 items and heads' own items."""
    if item.track != TRACK_LEADER:
        heads = [h for h in await unit_heads(ctx.session, item.unit_id) if h.id != item.owner_id]
        if heads:
            return heads
    rows = await active_cadres(ctx.session)
    return [c for c in rows if c.has_role(ROLE_LEADER) and c.id != item.owner_id]


@handles("extend")
async def extend(ctx: Ctx, cmd: Command) -> str:
    """延期 #N 到D 原因…: a request to the approver; leaders (and approvers) set it at once."""
    item = await load_item(ctx, cmd.ref, cmd.natural)
    if not item.is_open:
        raise UserFacingError(replies.wrong_state(item, "延期"))
    when, reason = _split_date(cmd.arg, ctx.today)
    if not when:
        raise UserFacingError(replies.extend_usage(item, ctx.today))
    d = _future_date(ctx, when)
    if d <= item.deadline:
        raise UserFacingError(replies.not_later(item, ctx.today))
    if _may_set_deadline(ctx, item):
        before, old = snapshot(item), item.deadline
        set_deadline(ctx, item, d)
        await record(
            ctx,
            item,
            "edited",
            before,
            reason or None,
            field="deadline",
            old=old.isoformat(),
            new=d.isoformat(),
            profile=ctx.policy.profile,
        )
        return replies.edited(item, "期限", ctx.today)
    if not reason:
        raise UserFacingError(replies.extend_usage(item, ctx.today))
    approvers = await _approvers(ctx, item)
    if not approvers:
        raise UserFacingError(replies.NO_APPROVER)
    await add_event(ctx.session, item, "ext_request", ctx.cadre.id, ctx.now, reason, to=d.isoformat())
    for a in approvers:
        ctx.notify(a.id, replies.extension_asked(item, ctx.cadre.name, d, reason, ctx.today))
    return replies.extension_requested(item, d, approvers[0].name, ctx.today)


async def _pending_extension(ctx: Ctx, item: ItemRecord) -> ItemEvent:
    last = await last_event(ctx.session, item.id, "ext_request", "ext_approved", "ext_refused")
    if last is None or last.kind != "ext_request":
        raise UserFacingError(replies.no_extension(item))
    if ctx.cadre.id not in {a.id for a in await _approvers(ctx, item)} and not ctx.is_leader:
        raise UserFacingError(replies.not_approver(item))
    return last


@handles("approve")
async def approve(ctx: Ctx, cmd: Command) -> str:
    """「同意延期 #12」 (unit head or leader): the pending extension request takes effect and the
    requester is notified. UserFacingError when there is no pending request or the sender may not approve."""
    item = await load_item(ctx, cmd.ref, cmd.natural)
    request = await _pending_extension(ctx, item)
    old, new = item.deadline, date.fromisoformat(request.data["to"])
    set_deadline(ctx, item, new)
    await add_event(
        ctx.session,
        item,
        "ext_approved",
        ctx.cadre.id,
        ctx.now,
        None,
        request=request.id,
        old=old.isoformat(),
        new=new.isoformat(),
    )
    if request.actor_id is not None:  # every request has its requester
        ctx.notify(request.actor_id, replies.extension_approved_notice(item, ctx.cadre.name, old, ctx.today))
    return replies.extension_approved(item, old, ctx.today)


@handles("deny")
async def deny(ctx: Ctx, cmd: Command) -> str:
    """「不同意延期 #12 原因」: the pending extension request is refused and the requester notified."""
    item = await load_item(ctx, cmd.ref, cmd.natural)
    request = await _pending_extension(ctx, item)
    await add_event(ctx.session, item, "ext_refused", ctx.cadre.id, ctx.now, cmd.arg or None, request=request.id)
    if request.actor_id is not None:  # every request has its requester
        ctx.notify(request.actor_id, replies.extension_refused_notice(item, ctx.cadre.name, cmd.arg, ctx.today))
    return replies.extension_refused(item, ctx.today)
