"""One-time sign-in links for the web console: issue (in the chat's transaction), redeem once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConsoleLink


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(session: AsyncSession, cadre_id: int, now: datetime, minutes: int) -> str:
    """A new random token (URL-safe, 43 characters) valid for `minutes`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleLink(
            token_hash=_hash(token), cadre_id=cadre_id, created_at=now, expires_at=now + timedelta(minutes=minutes)
        )
    )
    return token


async def redeem(session: AsyncSession, token: str, now: datetime) -> int | None:
    """The cadre id the token was issued to, marking it used — or None when unknown, expired
    or already used (one atomic UPDATE, so two concurrent uses cannot both succeed)."""
    if not token or len(token) > 100:
        return None
    row = await session.execute(
        update(ConsoleLink)
        .where(ConsoleLink.token_hash == _hash(token), ConsoleLink.used_at.is_(None), ConsoleLink.expires_at > now)
        .values(used_at=now)
        .returning(ConsoleLink.cadre_id)
    )
    return row.scalar_one_or_none()
