"""Outbox queries: every outbound message is a row here before anything is sent.

Targets are platform-agnostic where possible: ("cadre", str(cadre_id)) and ("group",
str(group_binding_id)) are resolved to a platform address by the sender at send time, so
handlers and scheduler jobs never need to know which platform a person uses.
Platform-specific targets ("wecom_user", "dingtalk_session", …) are used by channels for
replies that could not be given passively.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Outbox


def _insert(session: AsyncSession):
    return (pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert)


async def enqueue(
    session: AsyncSession,
    *,
    target_kind: str,
    target: str,
    body: str,
    now: datetime,
    msg_type: str = "text",
    channel: str = "auto",
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> int | None:
    """Queue one message in the caller's transaction. With a `dedupe_key` that is already
    queued, nothing is added and None is returned (idempotent)."""
    values = dict(
        dedupe_key=dedupe_key, channel=channel, target_kind=target_kind, target=target,
        msg_type=msg_type, body=body, status="pending", attempts=0,
        next_attempt_at=not_before or now, created_at=now,
    )
    stmt = _insert(session)(Outbox).values(**values)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = await session.execute(stmt.returning(Outbox.id))
    return result.scalar_one_or_none()


async def pending(session: AsyncSession, limit: int = 100) -> list[Outbox]:
    rows = await session.scalars(
        select(Outbox).where(Outbox.status == "pending").order_by(Outbox.id).limit(limit)
    )
    return list(rows)
