"""Sends counted against the platforms' rate limits, in the database every instance shares.

`take` is one transaction per send: on PostgreSQL it first takes an advisory lock on the key
(pg_advisory_xact_lock(hashtext(key))), so two instances asking for the same person's last
free slot are served one after the other; on SQLite the single-writer lock does the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RateSend


async def take(session: AsyncSession, key: str, limits: tuple[tuple[int, float], ...], now: datetime) -> float:
    """Record one send to `key` at `now` and return 0.0 when every (max_count, window_seconds)
    of `limits` allows it; otherwise record nothing and return the seconds to wait."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
    wait = 0.0
    for count, window in limits:
        since = now - timedelta(seconds=window)
        # the count-th newest send inside the window: when it exists, the window is full
        oldest = await session.scalar(
            select(RateSend.at)
            .where(RateSend.key == key, RateSend.at > since)
            .order_by(RateSend.at.desc())
            .offset(count - 1)
            .limit(1)
        )
        if oldest is not None:
            wait = max(wait, window - (now - oldest).total_seconds())
    if wait > 0:
        return wait
    longest = max(w for _, w in limits)
    await session.execute(delete(RateSend).where(RateSend.key == key, RateSend.at <= now - timedelta(seconds=longest)))
    await session.execute(insert(RateSend).values(key=key, at=now))
    return 0.0
