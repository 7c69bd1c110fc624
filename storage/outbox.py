"""Outbox queries: every outbound message is a row here before anything is sent.

`enqueue` is the one way in: it takes `storage.notice.Notice`s (a body to an Address) and
writes them in the caller's transaction. Addresses are platform-agnostic where possible: a
cadre or a group binding is resolved to a platform account by the sender at send time
(bot/outbound/routes.py), so handlers and scheduler jobs never need to know which platform
a person uses. Channels address a platform account directly for replies that could not be
given passively.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Result, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import sweeps
from storage.db import dialect_insert
from storage.models import Outbox
from storage.notice import Notice, columns


async def enqueue(session: AsyncSession, notices: Notice | Iterable[Notice], now: datetime) -> list[int | None]:
    """Queue one notice or many, in order, in the caller's transaction; `now` is the creation
    time and, without `not_before`, the first send time. Returns the outbox id of each notice,
    None where its dedupe key was already queued (nothing is added: idempotent). Many notices
    that all carry a dedupe key are written in one statement (scheduler runs)."""
    batch = [notices] if isinstance(notices, Notice) else list(notices)
    if len(batch) > 1 and all(n.dedupe_key for n in batch):
        ids = await _insert_many(session, batch, now)
        return [ids.get(cast("str", n.dedupe_key)) for n in batch]
    return [await _insert_one(session, n, now) for n in batch]


async def _insert_one(session: AsyncSession, n: Notice, now: datetime) -> int | None:
    channel, target_kind, target = columns(n.to)
    values: dict[str, Any] = dict(
        dedupe_key=n.dedupe_key,
        channel=channel,
        target_kind=target_kind,
        target=target,
        msg_type=n.kind,
        body=n.body,
        status="pending",
        attempts=0,
        next_attempt_at=n.not_before or now,
        created_at=now,
    )
    if n.subject is not None:  # absent, not JSON null
        values["subject"] = n.subject
    stmt = dialect_insert(session)(Outbox).values(**values)
    if n.dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = await session.execute(stmt.returning(Outbox.id))
    return result.scalar_one_or_none()


async def _insert_many(session: AsyncSession, batch: list[Notice], now: datetime) -> dict[str, int]:
    """One INSERT … SELECT over a JSON array (the bulk helpers of storage/sweeps.py): a
    scheduler run queues hundreds of rows without one statement each. {dedupe key: id} of
    the rows inserted."""
    rows = []
    for n in batch:
        channel, target_kind, target = columns(n.to)
        rows.append(
            {
                "d": n.dedupe_key,
                "c": channel,
                "k": target_kind,
                "t": target,
                "m": n.kind,
                "b": n.body,
                "n": sweeps._ts(session, n.not_before or now),
                "s": json.dumps(n.subject, ensure_ascii=False) if n.subject is not None else None,
            }
        )
    fields = {"d": "text", "c": "text", "k": "text", "t": "text", "m": "text", "b": "text", "n": "text", "s": "text"}
    pg = sweeps._is_pg(session)
    nxt = "CAST(n AS timestamp)" if pg else "n"
    subj = "CAST(s AS json)" if pg else "s"
    sql = (
        f"INSERT INTO outbox (dedupe_key, channel, target_kind, target, msg_type, body, status, "
        f"attempts, next_attempt_at, created_at, subject) "
        f"SELECT d, c, k, t, m, b, 'pending', 0, {nxt}, {sweeps._now_sql(session)}, {subj} "
        f"FROM ({sweeps._rows_sql(session, fields)}) AS j "
        f"WHERE 1=1 ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key"
    )
    payload = json.dumps(rows, ensure_ascii=False)
    result = await session.execute(text(sql), {"p": payload, "now": sweeps._now_param(session, now)})
    return {d: i for i, d in result}


# --- used by the outbox worker (bot/outbound/worker.py) and `minqing outbox` -------------


def _same_target_blocking(now: datetime) -> ColumnElement[bool]:
    """An earlier unsent row to the same address that is due or being retried: later rows
    wait for it, so messages to one person or group arrive in order."""
    earlier = aliased(Outbox)
    return exists().where(
        earlier.channel == Outbox.channel,
        earlier.target_kind == Outbox.target_kind,
        earlier.target == Outbox.target,
        earlier.id < Outbox.id,
        earlier.status.in_(("pending", "sending")),
        or_(earlier.status == "sending", earlier.attempts > 0, earlier.next_attempt_at <= now),
    )


async def due(session: AsyncSession, now: datetime, limit: int = 50) -> list[Outbox]:
    """Pending rows whose time has come, oldest first, at most one in flight per address.
    On PostgreSQL the rows are locked until the caller's transaction ends and rows another
    instance has locked are skipped (FOR UPDATE SKIP LOCKED): claim them in that transaction."""
    stmt = (
        select(Outbox)
        .where(Outbox.status == "pending", Outbox.next_attempt_at <= now, ~_same_target_blocking(now))
        .order_by(Outbox.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Outbox)
    return list(await session.scalars(stmt))


async def claim(session: AsyncSession, row_id: int, lease_until: datetime) -> bool:
    """Atomically take one pending row (pending → sending). False when another worker or
    process was faster. The lease lets `reap_stale` free rows of a crashed sender."""
    result = await session.execute(
        update(Outbox)
        .where(Outbox.id == row_id, Outbox.status == "pending")
        .values(status="sending", next_attempt_at=lease_until)
    )
    return rowcount_of(result) == 1


async def reap_stale(session: AsyncSession, now: datetime) -> int:
    """Give rows whose sender died mid-send (lease over) back to the queue."""
    result = await session.execute(
        update(Outbox).where(Outbox.status == "sending", Outbox.next_attempt_at < now).values(status="pending")
    )
    return rowcount_of(result)


async def mark_sent(session: AsyncSession, row_id: int, now: datetime, body: str | None = None) -> None:
    """Sent at `now`; `body` records the text actually sent when it was rendered at delivery."""
    values: dict[str, Any] = {"status": "sent", "sent_at": now, "last_error": None}
    if body is not None:
        values["body"] = body
    await session.execute(update(Outbox).where(Outbox.id == row_id).values(**values))


async def mark_obsolete(session: AsyncSession, row_id: int, reason: str) -> None:
    """A held reminder that no longer applies: never sent; `reason` kept in last_error. The
    dedupe key is freed (the subject still says what it was), so a reminder released for a
    passing reason such as leave can be queued again later."""
    await session.execute(
        update(Outbox).where(Outbox.id == row_id).values(status="obsolete", last_error=reason[:500], dedupe_key=None)
    )


async def pending_keys(session: AsyncSession, key_prefix: str) -> list[tuple[int, str]]:
    """(id, dedupe key) of pending rows whose dedupe key starts with `key_prefix`."""
    rows = await session.execute(
        select(Outbox.id, Outbox.dedupe_key).where(Outbox.status == "pending", Outbox.dedupe_key.like(key_prefix + "%"))
    )
    return [(i, k) for i, k in rows if k is not None]  # LIKE never matches NULL


async def obsolete_rows(session: AsyncSession, ids: list[int], reason: str) -> int:
    """Mark pending rows `ids` obsolete (newer messages replace them); one statement."""
    if not ids:
        return 0
    result = await session.execute(
        update(Outbox)
        .where(Outbox.status == "pending", Outbox.id.in_(ids))
        .values(status="obsolete", last_error=reason[:500], dedupe_key=None)
    )
    return rowcount_of(result)


async def reschedule(
    session: AsyncSession,
    row_id: int,
    *,
    at: datetime,
    attempts: int | None = None,
    error: str | None = None,
    body: str | None = None,
    subject: dict[str, Any] | None = None,
) -> None:
    """Back to pending at `at` (a retry when `attempts` is given, else a rate-limit pause).
    `body` replaces the text with the part not yet delivered."""
    values: dict[str, Any] = {"status": "pending", "next_attempt_at": at}
    if attempts is not None:
        values["attempts"] = attempts
    if error is not None:
        values["last_error"] = error[:500]
    if body is not None:
        values["body"] = body
    if subject is not None:
        values["subject"] = subject
    await session.execute(update(Outbox).where(Outbox.id == row_id).values(**values))


async def mark_failed(
    session: AsyncSession,
    row_id: int,
    *,
    attempts: int,
    error: str,
    body: str | None = None,
) -> None:
    """Give up on a row after its last attempt: status failed with the error (first 500 characters)."""
    values: dict[str, Any] = {"status": "failed", "attempts": attempts, "last_error": error[:500]}
    if body is not None:
        values["body"] = body
    await session.execute(update(Outbox).where(Outbox.id == row_id).values(**values))


async def recent(session: AsyncSession, *, status: str | None = None, limit: int = 20, offset: int = 0) -> list[Outbox]:
    """Newest rows first, optionally of one status; `offset` rows skipped (paging)."""
    stmt = select(Outbox).order_by(Outbox.id.desc()).limit(limit).offset(offset)
    if status is not None:
        stmt = stmt.where(Outbox.status == status)
    return list(await session.scalars(stmt))


async def counts(session: AsyncSession) -> dict[str, int]:
    """Number of rows in each status ({"pending": 3, "sent": 120, …}; absent statuses omitted)."""
    rows = await session.execute(select(Outbox.status, func.count()).group_by(Outbox.status))
    return {status: n for status, n in rows}


async def depth(session: AsyncSession) -> int:
    """Rows not yet delivered (pending or sending)."""
    return (
        await session.scalar(select(func.count()).select_from(Outbox).where(Outbox.status.in_(("pending", "sending"))))
        or 0
    )


async def requeue(session: AsyncSession, now: datetime, *, row_id: int | None = None) -> int:
    """Put one failed row (or all failed rows when `row_id` is None) back in the queue with
    a fresh attempt budget. Returns the number of rows requeued."""
    stmt = update(Outbox).where(Outbox.status == "failed")
    if row_id is not None:
        stmt = stmt.where(Outbox.id == row_id)
    result = await session.execute(stmt.values(status="pending", attempts=0, next_attempt_at=now))
    return rowcount_of(result)


def rowcount_of(result: Result[Any]) -> int:
    """Rows an UPDATE matched (execute() of an UPDATE returns a CursorResult)."""
    return cast("CursorResult[Any]", result).rowcount
