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

from handlers import pipeline
from handlers.context import Ctx
from handlers.nlu import Parsed
from handlers.policy import TRACK_QUICK, Policy
from handlers.texts import replies
from handlers.types import IncomingMessage
from storage.db import Database
from storage.groupcommit import GroupCommit
from storage.items import acted_on_by_others, add_event, last_record, revoke_visit
from storage.records import NewItem, NewVisit, insert_items, insert_visits
from storage.roster import Sender
from storage.tx import Batch


@dataclass(frozen=True)
class RecordJob:
    msg: IncomingMessage
    parsed: Parsed  # intent visit | issue
    now: datetime


@dataclass
class _Fresh:
    """A message seen for the first time in this batch, and what it records."""

    job: RecordJob
    cadre: Sender
    row_id: int
    visit: NewVisit | None = None
    items: list[NewItem] | None = None


class Recorder:
    """`await record(msg, parsed, now)` stores the visit and items and returns the reply."""

    def __init__(self, db: Database, policy: Policy) -> None:
        self.policy = policy
        self._commit: GroupCommit[RecordJob, str] = GroupCommit(db, self._write)

    async def record(self, msg: IncomingMessage, parsed: Parsed, now: datetime) -> str:
        """Store the visit and items `parsed` from `msg` (group commit with concurrent messages) and return the reply
        (replies.recorded, or replies.not_registered for an unknown sender). StorageError when the batch cannot commit.
        """
        return await self._commit.submit(RecordJob(msg, parsed, now))

    def _write(self, conn: Batch, jobs: Sequence[RecordJob]) -> list[str]:
        """One batch, in one transaction: admit (who sent it, claim) → store → settle (replies;
        see handlers.pipeline)."""
        admitted = pipeline.admit(conn, [(j.msg, j.now) for j in jobs])
        fresh = [
            _Fresh(j, a.sender, a.row_id)
            for j, a in zip(jobs, admitted, strict=True)
            if a.kind == pipeline.FRESH and a.sender is not None and a.row_id is not None
        ]
        self._store(conn, fresh)
        outcomes = {f.row_id: ("handled", replies.recorded(f.visit, f.items or [], f.job.now.date())) for f in fresh}
        answers = pipeline.settle(conn, admitted, outcomes, replies.not_registered(self.policy.admin_contact))
        return [a or "" for a in answers]

    def _store(self, conn: Batch, fresh: list[_Fresh]) -> None:
        """Visits first (items point at them), then items with their "created" events."""
        for f in fresh:
            v, c, now = f.job.parsed.visit, f.cadre, f.job.now
            if v is not None:
                f.visit = NewVisit(
                    cadre_id=c.id,
                    unit_id=c.unit_id,
                    date=v.date,
                    place_type=v.place_type,
                    place=v.place,
                    people=v.people,
                    text=f.job.msg.text,
                    message_id=f.row_id,
                    created_at=now,
                )
        insert_visits(conn, [f.visit for f in fresh if f.visit is not None])
        for f in fresh:
            deadline = f.job.now.date() + timedelta(days=self.policy.quick_days)
            f.items = [
                NewItem(
                    owner=f.cadre,
                    category=p.category,
                    text=p.text,
                    track=TRACK_QUICK,
                    deadline=deadline,
                    message_id=f.row_id,
                    created_at=f.job.now,
                    visit=f.visit,
                    alternative=p.alternative,
                )
                for p in f.job.parsed.items
            ]
        insert_items(conn, [i for f in fresh for i in f.items or []])


async def undo(ctx: Ctx, only: int | None = None) -> str:
    """Revoke the sender's newest record, unless someone else already worked on it; with `only`
    (「撤销 #14」 naming one of its items) just that item, the visit and the others stay."""
    visit, items = await last_record(ctx.session, ctx.cadre.id)
    if visit is None and not items:
        return replies.NOTHING_TO_UNDO
    kept = only is not None and (visit is not None or len(items) > 1)  # the rest of the record stays
    if only is not None:
        visit, items = None, [i for i in items if i.id == only]
    if await acted_on_by_others(ctx.session, [i.id for i in items], ctx.cadre.id):
        return replies.UNDO_BLOCKED
    if visit is not None:
        await revoke_visit(ctx.session, visit.id, ctx.now)
    for item in items:
        item.status = "revoked"
        await add_event(ctx.session, item, "revoked", ctx.cadre.id, ctx.now)
    return replies.undone(visit, items, ctx.today, kept=kept)
