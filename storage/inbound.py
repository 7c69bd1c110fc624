"""The inbound message log: every message a registered user sent, once per dedupe key.

Statements are built once and reused (SQLAlchemy caches their compiled form), and each
function takes many rows at a time, so a group commit writes a batch in one statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_for
from storage.models import InboundMessage

_T = InboundMessage.__table__


@dataclass(frozen=True)
class Arrival:
    """One message as it arrived, to be claimed."""

    dedupe_key: str
    channel: str
    sender: str
    chat_id: str | None
    text: str
    at: datetime
    cadre_id: int | None


@cache
def _claim_stmt(dialect: str):
    return (insert_for(dialect)(_T).on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(_T.c.id, _T.c.dedupe_key))


_FINISH = (update(_T).where(_T.c.id == bindparam("row_id"))
           .values(status=bindparam("new_status"), reply=bindparam("new_reply")))
_REPLIES = select(_T.c.dedupe_key, _T.c.reply).where(_T.c.dedupe_key.in_(bindparam("keys", expanding=True)))


async def claim_many(session: AsyncSession, arrivals: Sequence[Arrival]) -> dict[str, int]:
    """Insert the messages; {dedupe key: row id} of those not seen before (a key already
    stored is a platform retry and is left out)."""
    if not arrivals:
        return {}
    conn = await session.connection()
    rows = [{"dedupe_key": a.dedupe_key, "channel": a.channel, "sender": a.sender, "chat_id": a.chat_id,
             # PostgreSQL text cannot hold NUL; keep the rest as sent
             "text": a.text.replace("\x00", "\ufffd"), "received_at": a.at, "status": "received",
             "reply": None, "cadre_id": a.cadre_id} for a in arrivals]
    result = await conn.execute(_claim_stmt(conn.dialect.name), rows)
    return {key: row_id for row_id, key in result.all()}


async def claim(session: AsyncSession, arrival: Arrival) -> int | None:
    """Insert one message; None when this dedupe key was already seen (a platform retry)."""
    return (await claim_many(session, [arrival])).get(arrival.dedupe_key)


async def finish_many(session: AsyncSession, outcomes: Iterable[tuple[int, str, str]]) -> None:
    """Record how each message ended, (row id, handled | rejected | failed, the reply given)."""
    params = [{"row_id": row_id, "new_status": status, "new_reply": reply} for row_id, status, reply in outcomes]
    if params:
        conn = await session.connection()
        await conn.execute(_FINISH, params)


async def finish(session: AsyncSession, row_id: int, status: str, reply: str) -> None:
    await finish_many(session, [(row_id, status, reply)])


async def stored_replies(session: AsyncSession, keys: Iterable[str]) -> dict[str, str | None]:
    """The replies given the first time (answer a retry without processing it again)."""
    keys = list(set(keys))
    if not keys:
        return {}
    conn = await session.connection()
    return {key: reply for key, reply in (await conn.execute(_REPLIES, {"keys": keys})).all()}


async def stored_reply(session: AsyncSession, dedupe_key: str) -> str | None:
    return (await stored_replies(session, [dedupe_key])).get(dedupe_key)
