"""Turning understood messages into visits and numbered items; undoing the last record.

Records are the bulk of the traffic (every visit report), so they are written by group
commit: the messages that arrive while one transaction runs are recorded together in the
next (see storage/groupcommit.py). Each message is still claimed once by its dedupe key,
owned by its sender (首接首办) and answered with its own reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import replies
from handlers.context import Ctx
from handlers.policy import TRACK_QUICK, Policy
from handlers.types import IncomingMessage
from storage import inbound
from storage.db import Database
from storage.groupcommit import GroupCommit
from storage.items import acted_on_by_others, add_event, last_record
from storage.models import Cadre, Item, Visit
from storage.records import insert_items, insert_visits
from storage.roster import cadres_by_platform_ids


@dataclass(frozen=True)
class RecordJob:
    msg: IncomingMessage
    parsed: object  # handlers.nlu.Parsed with intent visit | issue
    now: datetime


@dataclass
class _Fresh:
    """A message seen for the first time in this batch, and what it records."""

    job: RecordJob
    cadre: Cadre
    row_id: int
    visit: Visit | None = None
    items: list[Item] | None = None


class Recorder:
    """`await record(msg, parsed, now)` stores the visit and items and returns the reply."""

    def __init__(self, db: Database, policy: Policy) -> None:
        self.policy = policy
        self._commit: GroupCommit[RecordJob, str] = GroupCommit(db, self._write)

    async def record(self, msg: IncomingMessage, parsed, now: datetime) -> str:
        return await self._commit.submit(RecordJob(msg, parsed, now))

    async def _write(self, session: AsyncSession, jobs: Sequence[RecordJob]) -> list[str]:
        cadres: dict[tuple[str, str], Cadre] = {}
        for channel in {j.msg.channel for j in jobs}:
            found = await cadres_by_platform_ids(session, channel, (j.msg.user_id for j in jobs
                                                                    if j.msg.channel == channel))
            cadres.update({(channel, uid): c for uid, c in found.items()})
        sender = [cadres.get((j.msg.channel, j.msg.user_id)) for j in jobs]
        claimed = await inbound.claim_many(session, [
            inbound.Arrival(dedupe_key=j.msg.dedupe_key, channel=j.msg.channel, sender=j.msg.user_id,
                            chat_id=j.msg.chat_id, text=j.msg.text, at=j.now, cadre_id=c.id)
            for j, c in zip(jobs, sender, strict=True) if c is not None])
        fresh: dict[str, _Fresh] = {}
        for j, c in zip(jobs, sender, strict=True):
            key = j.msg.dedupe_key
            if c is not None and key in claimed and key not in fresh:
                fresh[key] = _Fresh(j, c, claimed[key])
        await self._store(session, list(fresh.values()))
        answers = {key: replies.recorded(f.visit, f.items or [], f.job.now.date()) for key, f in fresh.items()}
        await inbound.finish_many(session, ((f.row_id, "handled", answers[k]) for k, f in fresh.items()))
        retried = [j.msg.dedupe_key for j, c in zip(jobs, sender, strict=True)
                   if c is not None and j.msg.dedupe_key not in answers]
        answers.update(await inbound.stored_replies(session, retried))
        not_registered = replies.not_registered(self.policy.admin_contact)
        return [answers.get(j.msg.dedupe_key) or "" if c is not None else not_registered
                for j, c in zip(jobs, sender, strict=True)]

    async def _store(self, session: AsyncSession, fresh: list[_Fresh]) -> None:
        """Visits first (items point at them), then items with their "created" events."""
        for f in fresh:
            v, c, now = f.job.parsed.visit, f.cadre, f.job.now
            if v is not None:
                f.visit = Visit(cadre_id=c.id, unit_id=c.unit_id, date=v.date, place_type=v.place_type,
                                place=v.place, people=v.people, text=f.job.msg.text, message_id=f.row_id,
                                created_at=now, revoked_at=None)
        await insert_visits(session, [f.visit for f in fresh if f.visit is not None])
        for f in fresh:
            c, now = f.cadre, f.job.now
            deadline = now.date() + timedelta(days=self.policy.quick_days)
            f.items = [Item(visit_id=f.visit.id if f.visit else None, category=p.category, text=p.text,
                            reporter_id=c.id, owner_id=c.id, unit_id=c.unit_id, track=TRACK_QUICK,
                            deadline=deadline, status="new", created_at=now, message_id=f.row_id, owner=c)
                       for p in f.job.parsed.items]
        await insert_items(session, [i for f in fresh for i in f.items or []])


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
