"""Attachment queries (留痕): what the conversation adds and moves, what the download queue
claims and settles, and the read API the console and the 台账 use.

Read API (scoped by the caller, like every other console query):

    await for_visit(session, visit_id) -> list[AttachmentView]   # stored pictures, files, locations
    await for_item(session, item_id)   -> list[AttachmentView]   # role "result" = 办结 photo
    await for_visits(session, visit_ids) -> dict[int, list[AttachmentView]]   # a ledger page at once
    await photo_counts(session, item_ids=…, visit_ids=…) -> dict[int, int]
    await by_hash(session, sha256) -> list[AttachmentView]   # who may see these bytes (scope check)

Bytes come from the blob store by `AttachmentView.sha256` (thumbnail: `thumb_sha256`); for any
output outside the console use `bot.media.images.without_metadata` (EXIF stripped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attachment
from storage.outbox import rowcount_of

COUNTED = ("pending", "fetching", "stored")  # what a person's daily quota counts
SHOWN = ("stored",)  # what the console and the 台账 show
MOVABLE = (*COUNTED, "duplicate")  # what 「照片移到 #12」 moves


@dataclass(frozen=True)
class AttachmentView:
    """One stored attachment as the console shows it. kind image | file | location; role
    evidence | result; mime e.g. image/jpeg or application/pdf; size in bytes; coordinates in
    degrees (WGS-84 as the platform sends them)."""

    id: int
    kind: str
    role: str
    cadre_id: int
    visit_id: int | None
    item_id: int | None
    sha256: str | None
    thumb_sha256: str | None
    mime: str | None
    size: int | None
    file_name: str | None
    latitude: float | None
    longitude: float | None
    label: str | None
    created_at: datetime


def _view(a: Attachment) -> AttachmentView:
    return AttachmentView(
        a.id,
        a.kind,
        a.role,
        a.cadre_id,
        a.visit_id,
        a.item_id,
        a.sha256,
        a.thumb_sha256,
        a.mime,
        a.size,
        a.file_name,
        a.latitude,
        a.longitude,
        a.label,
        a.created_at,
    )


async def for_visit(session: AsyncSession, visit_id: int) -> list[AttachmentView]:
    """Stored attachments of a visit, oldest first."""
    rows = await session.scalars(
        select(Attachment).where(Attachment.visit_id == visit_id, Attachment.status.in_(SHOWN)).order_by(Attachment.id)
    )
    return [_view(a) for a in rows]


async def for_item(session: AsyncSession, item_id: int) -> list[AttachmentView]:
    """Stored attachments of an item (evidence and the 办结 result photo), oldest first."""
    rows = await session.scalars(
        select(Attachment).where(Attachment.item_id == item_id, Attachment.status.in_(SHOWN)).order_by(Attachment.id)
    )
    return [_view(a) for a in rows]


async def for_visits(session: AsyncSession, visit_ids: list[int]) -> dict[int, list[AttachmentView]]:
    """Stored attachments of several visits (one statement), oldest first; visits without any
    are absent."""
    if not visit_ids:
        return {}
    out: dict[int, list[AttachmentView]] = {}
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.visit_id.in_(visit_ids), Attachment.status.in_(SHOWN))
        .order_by(Attachment.id)
    )
    for a in rows:
        out.setdefault(int(a.visit_id), []).append(_view(a))  # type: ignore[arg-type]
    return out


async def by_hash(session: AsyncSession, sha256: str) -> list[AttachmentView]:
    """Stored attachments whose original or thumbnail has this SHA-256: before serving a blob,
    the console checks that the viewer may see one of their visits or items."""
    rows = await session.scalars(
        select(Attachment)
        .where(or_(Attachment.sha256 == sha256, Attachment.thumb_sha256 == sha256), Attachment.status.in_(SHOWN))
        .order_by(Attachment.id)
    )
    return [_view(a) for a in rows]


async def photo_counts(
    session: AsyncSession, *, item_ids: list[int] | None = None, visit_ids: list[int] | None = None
) -> dict[int, int]:
    """Stored pictures and files per item (or per visit when `visit_ids` is given); ids
    without any are absent."""
    col = Attachment.visit_id if visit_ids is not None else Attachment.item_id
    ids = visit_ids if visit_ids is not None else item_ids or []
    if not ids:
        return {}
    rows = await session.execute(
        select(col, func.count())
        .where(col.in_(ids), Attachment.kind != "location", Attachment.status.in_(SHOWN))
        .group_by(col)
    )
    return {int(i): int(n) for i, n in rows if i is not None}


# --- the conversation (handlers/attach.py) -------------------------------------------------


async def add(session: AsyncSession, **values: Any) -> int | None:
    """Insert one attachment; None when its dedupe key exists (a platform retry)."""
    exists = await session.scalar(select(Attachment.id).where(Attachment.dedupe_key == values["dedupe_key"]))
    if exists is not None:
        return None
    a = Attachment(**values)
    session.add(a)
    await session.flush()
    return a.id


async def sent_since(session: AsyncSession, cadre_id: int, since: datetime) -> int:
    """Pictures and files a person sent since `since` (for the daily quota)."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Attachment)
            .where(
                Attachment.cadre_id == cadre_id,
                Attachment.created_at >= since,
                Attachment.kind != "location",
                Attachment.status.in_(COUNTED),
            )
        )
        or 0
    )


async def latest_batch(session: AsyncSession, cadre_id: int, since: datetime) -> list[Attachment]:
    """The person's newest attachments: the newest one since `since` and every earlier one
    sent within ten minutes before it to the same place (「照片移到 #12」 moves them together)."""
    newest = await session.scalar(
        select(Attachment)
        .where(Attachment.cadre_id == cadre_id, Attachment.created_at >= since, Attachment.status.in_(MOVABLE))
        .order_by(Attachment.id.desc())
        .limit(1)
    )
    if newest is None:
        return []
    start = max(since, newest.created_at - timedelta(minutes=10))
    same_place = and_(
        Attachment.visit_id.is_(None) if newest.visit_id is None else Attachment.visit_id == newest.visit_id,
        Attachment.item_id.is_(None) if newest.item_id is None else Attachment.item_id == newest.item_id,
    )
    return list(
        await session.scalars(
            select(Attachment)
            .where(
                Attachment.cadre_id == cadre_id,
                Attachment.created_at >= start,
                same_place,
                Attachment.status.in_(MOVABLE),
            )
            .order_by(Attachment.id)
        )
    )


# --- the download queue (bot/media/worker.py) -----------------------------------------------


async def move_to_item(session: AsyncSession, attachment_ids: list[int], item_id: int, role: str) -> None:
    """Attach these attachments to item `item_id` as `role` (evidence | result), off any visit."""
    if attachment_ids:
        await session.execute(
            update(Attachment)
            .where(Attachment.id.in_(attachment_ids))
            .values(item_id=item_id, visit_id=None, role=role)
            .execution_options(synchronize_session=False)
        )


async def due(session: AsyncSession, now: datetime, limit: int = 20) -> list[Attachment]:
    """Up to `limit` pending attachments whose next attempt is due at `now`, oldest first; not claimed."""
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.status == "pending", Attachment.next_attempt_at <= now)
        .order_by(Attachment.id)
        .limit(limit)
    )
    return list(rows)


async def claim(session: AsyncSession, row_id: int, lease_until: datetime) -> bool:
    """pending → fetching, atomically (False when another worker was faster)."""
    result = await session.execute(
        update(Attachment)
        .where(Attachment.id == row_id, Attachment.status == "pending")
        .values(status="fetching", next_attempt_at=lease_until)
    )
    return rowcount_of(result) == 1


async def reap_stale(session: AsyncSession, now: datetime) -> int:
    """Give rows whose downloader died (lease over) back to the queue."""
    result = await session.execute(
        update(Attachment)
        .where(Attachment.status == "fetching", Attachment.next_attempt_at < now)
        .values(status="pending")
    )
    return rowcount_of(result)


async def mark_stored(
    session: AsyncSession, row_id: int, *, sha256: str, thumb_sha256: str | None, mime: str, size: int, now: datetime
) -> str:
    """Settle a download: "stored", or "duplicate" when the same bytes are already attached
    to the same visit or item (the bytes are stored once either way)."""
    a = await session.get(Attachment, row_id)
    assert a is not None
    twin = await session.scalar(
        select(Attachment.id)
        .where(
            Attachment.id != row_id,
            Attachment.sha256 == sha256,
            Attachment.status == "stored",
            Attachment.visit_id.is_(None) if a.visit_id is None else Attachment.visit_id == a.visit_id,
            Attachment.item_id.is_(None) if a.item_id is None else Attachment.item_id == a.item_id,
        )
        .limit(1)
    )
    status = "duplicate" if twin is not None else "stored"
    await session.execute(
        update(Attachment)
        .where(Attachment.id == row_id)
        .values(
            status=status,
            sha256=sha256,
            thumb_sha256=thumb_sha256,
            mime=mime,
            size=size,
            stored_at=now,
            last_error=None,
        )
    )
    return status


async def reschedule(session: AsyncSession, row_id: int, *, at: datetime, attempts: int, error: str) -> None:
    """Put a failed download back to pending, next try at `at`; `error` is kept (300 characters). Not committed."""
    await session.execute(
        update(Attachment)
        .where(Attachment.id == row_id)
        .values(status="pending", next_attempt_at=at, attempts=attempts, last_error=error[:300])
    )


async def give_up(session: AsyncSession, row_id: int, *, status: str, attempts: int, error: str) -> None:
    """failed (downloads spent) or refused (not an image or PDF, too large)."""
    await session.execute(
        update(Attachment)
        .where(Attachment.id == row_id)
        .values(status=status, attempts=attempts, last_error=error[:300])
    )
