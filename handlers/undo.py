"""撤销: take back the sender's last action — a record, a correction, a transfer, a progress
note, a 签收 or 办结 — naming exactly what was undone. Each further 撤销 takes back the one
before, as far back as `Policy.undo_minutes`. Nothing someone else has built on is undone.

An action is undone by restoring the item's state stored in its event (`before`) and logging
an `undone` event that points at it; history is never deleted.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from handlers import record
from handlers.commands import Command, handles, parse_command
from handlers.context import Ctx
from handlers.errors import UserFacingError
from handlers.inbound_text import command_form
from handlers.texts import replies
from storage import inbound
from storage.items import ItemRecord, add_event, get_item, last_record, later_events_by_others, undoable_events
from storage.models import ItemEvent

_DATES = ("deadline", "first_due")
_TIMES = ("resolved_at", "responded_at")


@handles("undo")
async def undo(ctx: Ctx, cmd: Command) -> str:
    """「撤销」: take back the sender's newest action within `policy.undo_minutes` (a record, a
    correction, a transfer, a progress note…); each further 撤销 goes one step further back."""
    since = ctx.now - timedelta(minutes=ctx.policy.undo_minutes)
    events = await undoable_events(ctx.session, ctx.cadre.id, since)
    visit, items = await last_record(ctx.session, ctx.cadre.id)
    made = visit.created_at if visit is not None else (items[0].created_at if items else None)
    record_msg = None
    if made is not None and made >= since:
        record_msg = (visit.message_id if visit is not None else items[0].message_id) or 0
    event = events[0] if events else None
    if cmd.arg == "走访":  # 「撤销走访」 names the newest record's visit, as 「撤销 #N」 names an item
        if visit is None or record_msg is None or (event is not None and (event.data.get("msg") or 0) > record_msg):
            raise UserFacingError(replies.undo_not_last_visit())
        return await record.undo(ctx)
    if event is not None and (record_msg is None or (event.data.get("msg") or 0) > record_msg):
        _check_named(cmd, [event.item_id])
        await _check_last(ctx, cmd, event.data.get("msg") or 0, event.item_id)
        return await _undo_event(ctx, event)
    if record_msg is not None:
        _check_named(cmd, [i.id for i in items])
        # a record with a visit is named as such: 「撤销 #N」 would take back only item N of it
        await _check_last(ctx, cmd, record_msg, items[0].id if items and visit is None else None)
        return await record.undo(ctx, only=cmd.ref if len(items) > 1 else None)
    return replies.nothing_to_undo(ctx.policy.undo_minutes)


async def _check_last(ctx: Ctx, cmd: Command, step_msg: int, item_id: int | None) -> None:
    """A bare 「撤销」 takes back the newest step only when the sender's previous message was that
    step or another 撤销 (steps further back). Messages that only read (「#12」, 帮助, questions)
    right after the step do not count, but they end a chain of 撤销: right after a refused or
    idle message, or after looking at what the last 撤销 did, it would
    silently undo an older record. Then nothing is undone and the reply names the step, to be
    undone with 「撤销 #N」."""
    if cmd.ref is not None or not step_msg:
        return
    read = False
    for text, status in await inbound.texts_between(ctx.session, ctx.cadre.id, step_msg, ctx.message_id):
        kind = _kind(ctx, text)
        if kind == "undo" and status == "rejected":
            kind = "other"  # a refused 撤销 undid nothing: the next one is no step further back
        if kind == "undo" and not read:
            return  # 撤销, 撤销: one step further back each time
        if kind != "read":  # after something else, or a chain of 撤销 broken by looking or asking
            raise UserFacingError(replies.undo_not_after_other(item_id))
        read = True


def _kind(ctx: Ctx, text: str) -> str:
    """ "undo" (another 撤销), "read" (a message that only read: 「#12」, 帮助, a question) or
    "other"."""
    cmd = parse_command(command_form(text))
    if isinstance(cmd, Command):
        return "undo" if cmd.name == "undo" else "read" if cmd.name in ("view", "help") else "other"
    if cmd is not None:  # a fixed question: 本月未办结, 我的待办…
        return "read"
    return "read" if ctx.parser.parse(text, ctx.today, ctx.policy.profile).intent == "query" else "other"


def _check_named(cmd: Command, affected: list[int]) -> None:
    """「撤销 #22」 takes back the newest step only if that step is about #22; otherwise nothing
    is undone and the reply says how to correct #22 (UserFacingError)."""
    if cmd.ref is not None and cmd.ref not in affected:
        raise UserFacingError(replies.undo_not_last(cmd.ref))


async def _undo_event(ctx: Ctx, event: ItemEvent) -> str:
    item = await get_item(ctx.session, event.item_id, revoked=event.kind == "voided")
    if item is None or await later_events_by_others(ctx.session, event):
        return replies.undo_blocked_item(event.item_id)
    _restore(item, event.data["before"])
    await add_event(ctx.session, item, "undone", ctx.cadre.id, ctx.now, None, event=event.id)
    to_owner = event.data.get("to_owner")
    if event.kind in ("transferred", "returned") and to_owner and to_owner != item.owner_id:
        ctx.notify(to_owner, replies.transfer_withdrawn(item, ctx.cadre.name))
    return replies.undone_action(event, ctx.today)


def _restore(item: ItemRecord, before: dict[str, Any]) -> None:
    for key, value in before.items():
        if key in _DATES and value is not None:
            value = date.fromisoformat(value)
        elif key in _TIMES and value is not None:
            value = datetime.fromisoformat(value)
        setattr(item, key, value)
