"""The inbound message log: every message a registered user sent, once per dedupe key.

Statements are built once and reused (SQLAlchemy caches their compiled form). The `*_many`
functions are synchronous Core on a Connection and take many rows at a time, so a group
commit (storage/groupcommit.py) writes a batch in one statement; `claim`, `finish` and
`stored_reply` do the same for one message inside an ORM session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import insert_rows
from storage.db import dialect_insert
from storage.models import CallbackSign, InboundMessage

_T: Table = InboundMessage.__table__  # type: ignore[assignment]


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


_FINISH = (
    update(_T)
    .where(_T.c.id == bindparam("row_id"))
    .values(status=bindparam("new_status"), reply=bindparam("new_reply"))
)
_REPLIES = select(_T.c.dedupe_key, _T.c.reply).where(_T.c.dedupe_key.in_(bindparam("keys", expanding=True)))


def claim_many(conn: Connection, arrivals: Sequence[Arrival]) -> dict[str, int]:
    """Insert the messages; {dedupe key: row id} of those not seen before (a key already
    stored is a platform retry and is left out)."""
    if not arrivals:
        return {}
    rows = [
        {
            "dedupe_key": a.dedupe_key,
            "channel": a.channel,
            "sender": a.sender,
            "chat_id": a.chat_id,
            # the channels clean text (handlers.inbound_text); this guard keeps any other
            # caller from failing the insert: no NUL (PostgreSQL), no lone surrogate (UTF-8)
            "text": _storable(a.text),
            "received_at": a.at,
            "status": "received",
            "reply": None,
            "cadre_id": a.cadre_id,
        }
        for a in arrivals
    ]
    inserted = insert_rows(conn, _T, rows, returning=("id", "dedupe_key"), skip_conflict_on="dedupe_key")
    return {key: row_id for row_id, key in inserted}


def finish_many(conn: Connection, outcomes: Iterable[tuple[int, str, str]]) -> None:
    """Record how each message ended, (row id, handled | rejected | failed, the reply given)."""
    params = [{"row_id": row_id, "new_status": status, "new_reply": reply} for row_id, status, reply in outcomes]
    if params:
        conn.execute(_FINISH, params)


def stored_replies(conn: Connection, keys: Iterable[str]) -> dict[str, str | None]:
    """The replies given the first time (answer a retry without processing it again)."""
    keys = list(set(keys))
    if not keys:
        return {}
    return {key: reply for key, reply in conn.execute(_REPLIES, {"keys": keys}).all()}


async def claim(session: AsyncSession, arrival: Arrival) -> int | None:
    """Insert one message; None when this dedupe key was already seen (a platform retry)."""
    claimed = await session.run_sync(lambda s: claim_many(s.connection(), [arrival]))
    return claimed.get(arrival.dedupe_key)


async def finish(session: AsyncSession, row_id: int, status: str, reply: str) -> None:
    """Set the stored message's status (handled | rejected | failed) and the reply it got."""
    await session.run_sync(lambda s: finish_many(s.connection(), [(row_id, status, reply)]))


async def stored_reply(session: AsyncSession, dedupe_key: str) -> str | None:
    """The reply stored for an already seen message (a platform retry), or None."""
    replies = await session.run_sync(lambda s: stored_replies(s.connection(), [dedupe_key]))
    return replies.get(dedupe_key)


def _storable(text: str) -> str:
    text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


SIGN_KEEP = timedelta(hours=3)  # longer than the ±1 hour a DingTalk sign is accepted


async def bind_sign(session: AsyncSession, key: str, body_sha256: str, now: datetime) -> bool:
    """Bind a callback signature `key` to the body it first came with. True when the key is
    new or was bound to this very body (a platform retry), False for any other body."""
    await session.execute(delete(CallbackSign).where(CallbackSign.at < now - SIGN_KEEP))
    insert = dialect_insert(session)
    await session.execute(
        insert(CallbackSign)
        .values(key=key, body_sha256=body_sha256, at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    bound = await session.scalar(select(CallbackSign.body_sha256).where(CallbackSign.key == key))
    return bound == body_sha256


async def texts_between(
    session: AsyncSession, cadre_id: int, after_id: int, before_id: int | None, limit: int = 20
) -> list[tuple[str, str]]:
    """(text, status) of the messages cadre `cadre_id` sent after message row `after_id` (and
    before `before_id`, when given), newest first, at most `limit`; status as in :func:`finish`."""
    q = select(_T.c.text, _T.c.status).where(_T.c.cadre_id == cadre_id, _T.c.id > after_id)
    if before_id is not None:
        q = q.where(_T.c.id < before_id)
    rows = await session.execute(q.order_by(_T.c.id.desc()).limit(limit))
    return [(text, status) for text, status in rows]
