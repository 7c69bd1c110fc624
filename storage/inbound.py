"""The inbound message log: every message a registered user sent, once per dedupe key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import InboundMessage


async def claim(session: AsyncSession, *, dedupe_key: str, channel: str, sender: str, chat_id: str | None,
                text: str, at: datetime, cadre_id: int | None) -> int | None:
    """Insert the message; None when this dedupe key was already seen (a platform retry)."""
    stmt = (dialect_insert(session)(InboundMessage).values(
        dedupe_key=dedupe_key, channel=channel, sender=sender, chat_id=chat_id,
        text=text.replace("\x00", "\ufffd"),  # PostgreSQL text cannot hold NUL; keep the rest as sent
        received_at=at, status="received", cadre_id=cadre_id,
    ).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(InboundMessage.id))
    return (await session.execute(stmt)).scalar_one_or_none()


async def finish(session: AsyncSession, row_id: int, status: str, reply: str) -> None:
    """Record how the message ended (handled | rejected | failed) and the reply given."""
    await session.execute(update(InboundMessage).where(InboundMessage.id == row_id)
                          .values(status=status, reply=reply).execution_options(synchronize_session=False))


async def stored_reply(session: AsyncSession, dedupe_key: str) -> str | None:
    """The reply given the first time (answers a retry without processing it again)."""
    return await session.scalar(select(InboundMessage.reply).where(InboundMessage.dedupe_key == dedupe_key))
