"""回访链接: links the people served use to rate a resolved item themselves (「回访链接 #12」).

A link belongs to one item and one round (how many times the item had been reopened when the
link was made), expires, and is used once. Only the SHA-256 of the token is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ItemEvent, RatingLink
from storage.outbox import rowcount_of


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def item_round(session: AsyncSession, item_id: int) -> int:
    """The item's round: 0 until it is first reopened (重办), then 1, 2, …"""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(ItemEvent)
            .where(ItemEvent.item_id == item_id, ItemEvent.kind == "reopened")
        )
        or 0
    )


async def issue(session: AsyncSession, item_id: int, cadre_id: int, now: datetime, days: int) -> str:
    """A new random URL-safe token (22 characters) for the item's current round, valid `days`."""
    token = secrets.token_urlsafe(16)
    session.add(
        RatingLink(
            token_hash=_hash(token),
            item_id=item_id,
            round=await item_round(session, item_id),
            cadre_id=cadre_id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    return token


async def find(session: AsyncSession, token: str, now: datetime) -> RatingLink | None:
    """The link if it is known, unused, unexpired and of the item's current round; else None."""
    if not token or len(token) > 100:
        return None
    link = await session.get(RatingLink, _hash(token))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    if link.round != await item_round(session, link.item_id):
        return None
    return link


async def redeem(session: AsyncSession, token: str, now: datetime) -> RatingLink | None:
    """Like `find`, and marks the link used (one atomic UPDATE: two submissions cannot both count)."""
    link = await find(session, token, now)
    if link is None:
        return None
    done = await session.execute(
        update(RatingLink)
        .where(RatingLink.token_hash == link.token_hash, RatingLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return link if rowcount_of(done) == 1 else None
