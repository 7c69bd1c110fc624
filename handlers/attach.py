"""Pictures, files and locations (留痕): attached where the cadre means.

A message with media is attached, in the message's transaction, to
- item #N when its caption names one (「#12 的照片」, 「#12」);
- else the sender's newest record within `Policy.attach_window_minutes` (default 2 hours):
  a visit (or the visit of the problem just reported), a loose problem, or — right after
  「办结 #N」 — item N as its result photo (role "result");
- else nowhere yet (the reply says how to attach it).
The reply says where it went and how to move it; 「照片移到 #12」 or 「#12 的照片」 as the next
message moves the newest batch (`move`). A caption that is not a reference (a visit report
sent with its photos) is handled first as an ordinary message, then the media
(`split_caption`). Downloads happen later, in bot/media/worker.py.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from handlers.commands import SREF, Command, handles, normalise
from handlers.context import Ctx
from handlers.errors import UserFacingError
from handlers.lifecycle import load_item
from handlers.texts import attachments as texts
from handlers.types import IncomingMessage, Media, Reply
from storage import attachments as q
from storage.items import (
    ItemRecord,
    first_item_of_visit,
    get_item,
    get_visit,
    latest_reported_since,
    latest_resolution_since,
    latest_visit_since,
)
from storage.models import Item, Visit

_CAPTION_REF = re.compile(
    rf"^(?:照片|图片|附件)?(?:移到|附到|是)?\s*{SREF}(?:的|里的)?"
    r"(?:照片|图片|附件|文件|现场照片|结果照片|办结照片)?$"
)
_GROUPS = ("ref", "ref2", "ref3", "ref4", "ref5", "ref6")
EXAMPLE_REF = 12  # the item number in the move hint when the record has no item of its own


@dataclass(frozen=True)
class AttachRequest:
    """What the dispatcher understood of a message with media: the media, and the item the
    caption names (None: the sender's newest record)."""

    media: tuple[Media, ...]
    ref: int | None


@dataclass(frozen=True)
class Target:
    visit: Visit | None
    item: Item | ItemRecord | None
    role: str = "evidence"


def caption_ref(text: str) -> int | None:
    """The item a caption names (「#12 的照片」「12号问题」) or None."""
    m = _CAPTION_REF.match(normalise(text))
    if m is None:
        return None
    return next((int(m.group(g)) for g in _GROUPS if m.group(g)), None)


def request(msg: IncomingMessage) -> AttachRequest:
    """What a media message asks for: its media and the item its caption names (None when none)."""
    return AttachRequest(msg.media, caption_ref(msg.text) if msg.text else None)


def needs_split(msg: IncomingMessage) -> bool:
    """True when the caption is words of its own (a report, a command), not an item reference."""
    return bool(msg.media) and bool(msg.text.strip()) and caption_ref(msg.text) is None


async def split_caption(
    handle: Callable[[IncomingMessage], Awaitable[list[Reply]]], msg: IncomingMessage
) -> list[Reply]:
    """The caption as an ordinary message first (it may record the visit), then the media as a
    message of their own (its own dedupe key, so each part is processed once)."""
    first = await handle(replace(msg, media=()))
    return first + await handle(replace(msg, msg_id=f"{msg.msg_id}:media", text=""))


def _role(item: Item | ItemRecord) -> str:
    return "result" if item.status in ("resolved", "closed") else "evidence"


async def latest_target(ctx: Ctx) -> Target | None:
    """The sender's newest record within the window: visit, loose item, or 办结 (result)."""
    since = ctx.now - timedelta(minutes=ctx.policy.attach_window_minutes)
    me, s = ctx.cadre.id, ctx.session
    found: list[tuple[datetime, int, Target]] = []
    visit = await latest_visit_since(s, me, since)
    if visit is not None:
        found.append((visit.created_at, 0, Target(visit, None)))
    item = await latest_reported_since(s, me, since)
    if item is not None:
        of_visit = await get_visit(s, item.visit_id) if item.visit_id else None
        found.append((item.created_at, 1, Target(of_visit, None) if of_visit else Target(None, item)))
    done = await latest_resolution_since(s, me, since)
    if done is not None:
        resolved = await get_item(s, done.item_id)
        if resolved is not None and resolved.status == "resolved":  # not undone or reopened since
            found.append((done.at, 2, Target(None, resolved, "result")))
    if not found:
        return None
    return max(found, key=lambda f: (f[0], f[1]))[2]


async def _example(ctx: Ctx, target: Target) -> int:
    if target.visit is not None:
        first = await first_item_of_visit(ctx.session, target.visit.id)
        if first is not None:
            return first
    return EXAMPLE_REF


async def attach(ctx: Ctx, req: AttachRequest) -> str:
    """Store the message's media against its target (downloads are queued) and say where."""
    files = [m for m in req.media if m.kind != "location"]
    if files:
        sent = await q.sent_since(ctx.session, ctx.cadre.id, datetime.combine(ctx.today, time()))
        if sent + len(files) > ctx.policy.attach_daily_quota:
            raise UserFacingError(texts.over_quota(ctx.policy.attach_daily_quota))
    if req.ref is not None:
        item = await load_item(ctx, req.ref)
        target: Target | None = Target(None, item, _role(item))
    else:
        target = await latest_target(ctx)
    for i, m in enumerate(req.media):
        located = m.kind == "location"
        await q.add(
            ctx.session,
            dedupe_key=f"{ctx.msg.dedupe_key}:{i}",
            cadre_id=ctx.cadre.id,
            channel=ctx.msg.channel,
            sender=ctx.msg.user_id,
            kind=m.kind,
            source=m.source,
            file_name=m.file_name,
            visit_id=target.visit.id if target and target.visit else None,
            item_id=target.item.id if target and target.item else None,
            role=target.role if target else "evidence",
            status="stored" if located else "pending",
            attempts=0,
            next_attempt_at=ctx.now,
            latitude=m.latitude,
            longitude=m.longitude,
            label=m.label,
            created_at=ctx.now,
            stored_at=ctx.now if located else None,
        )
    kinds = [m.kind for m in req.media]
    if target is None:
        return texts.unattached(kinds, ctx.policy.attach_window_minutes)
    place = texts.visit_place(target.visit) if target.visit is not None else texts.item_place(target.item, target.role)  # type: ignore[arg-type]
    label = next((m.label for m in req.media if m.kind == "location" and m.label), None)
    return texts.attached(kinds, place, await _example(ctx, target), label)


@handles("move_attachment")
async def move(ctx: Ctx, cmd: Command) -> str:
    """「照片移到 #12」: the sender's newest batch of attachments goes to item 12."""
    since = ctx.now - timedelta(minutes=ctx.policy.attach_window_minutes)
    batch = await q.latest_batch(ctx.session, ctx.cadre.id, since)
    if not batch:
        raise UserFacingError(texts.NOTHING_TO_MOVE)
    assert cmd.ref is not None
    item = await load_item(ctx, cmd.ref, cmd.natural)
    role = _role(item)
    await q.move_to_item(ctx.session, [a.id for a in batch], item.id, role)
    return texts.moved(len(batch), item, role)
