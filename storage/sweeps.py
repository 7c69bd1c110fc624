"""Set-based queries for the scheduler's sweeps: one statement per question, never one per
person, so the number of statements a sweep runs does not grow with the organisation.

Bulk writes (reminder claims, outbox rows, links) pass one JSON array as a single bound
parameter and expand it in SQL (SQLite `json_each`, PostgreSQL `json_array_elements`), so
queuing 10 or 10,000 reminders is the same three statements.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import (
    OPEN_STATUSES,
    Cadre,
    GroupBinding,
    Item,
    JobRun,
    Point,
    Reminder,
    Unit,
    Visit,
)


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    unit_id: int
    roles: frozenset[str]
    leave_until: date | None
    leave_from: date | None = None


def _is_pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _ts(session: AsyncSession, at: datetime) -> str:
    """A datetime as the dialect stores it (SQLAlchemy's SQLite format has microseconds)."""
    if _is_pg(session):
        return at.isoformat(sep=" ")
    return f"{at:%Y-%m-%d %H:%M:%S}.{at.microsecond:06d}"


def _now_sql(session: AsyncSession) -> str:
    return "CAST(:now AS timestamp)" if _is_pg(session) else ":now"


def _now_param(session: AsyncSession, now: datetime) -> datetime | str:
    """`now` bound for a raw statement: asyncpg takes the datetime, SQLite the stored text."""
    return now if _is_pg(session) else _ts(session, now)


def _rows_sql(session: AsyncSession, fields: dict[str, str]) -> str:
    """`SELECT <fields> FROM <json array :p>` for the session's dialect. `fields` maps a
    JSON member to a SQL type name (text, int)."""
    if _is_pg(session):
        cols = ", ".join(f"(e->>'{k}')::{'integer' if t == 'int' else 'text'} AS {k}" for k, t in fields.items())
        return f"SELECT {cols} FROM json_array_elements(CAST(:p AS json)) AS e"
    cols = ", ".join(f"json_extract(value, '$.{k}') AS {k}" for k in fields)
    return f"SELECT {cols} FROM json_each(:p) WHERE 1"


# --- people and places ----------------------------------------------------------------------


async def load_people(session: AsyncSession) -> list[Person]:
    """Every active cadre with roles and leave (one statement)."""
    rows = await session.execute(
        select(Cadre.id, Cadre.name, Cadre.unit_id, Cadre.roles, Cadre.leave_until, Cadre.leave_from).where(
            Cadre.active.is_(True)
        )
    )
    return [Person(i, n, u, frozenset(r or ()), lv, lf) for i, n, u, r, lv, lf in rows]


async def units(session: AsyncSession) -> dict[int, str]:
    """Unit id → unit name, for every unit."""
    return dict((await session.execute(select(Unit.id, Unit.name).order_by(Unit.id))).all())


async def visit_places(session: AsyncSession, start: date, end: date) -> list[tuple[int, str, str | None]]:
    """(cadre_id, place_type, place) of every visit dated in [start, end), revoked ones
    excluded (one range scan on the date index)."""
    rows = await session.execute(
        select(Visit.cadre_id, Visit.place_type, Visit.place).where(
            Visit.date >= start, Visit.date < end, Visit.revoked_at.is_(None)
        )
    )
    return [(cadre_id, place_type, place) for cadre_id, place_type, place in rows]


async def all_points(session: AsyncSession) -> list[tuple[int, int, str, str]]:
    """(cadre_id, point_id, name, place_type) of every 包联点 of an active cadre."""
    rows = await session.execute(
        select(Point.cadre_id, Point.id, Point.name, Point.place_type)
        .join(Cadre, Cadre.id == Point.cadre_id)
        .where(Cadre.active.is_(True))
        .order_by(Point.cadre_id, Point.name)
    )
    return [(cadre_id, point_id, name, place_type) for cadre_id, point_id, name, place_type in rows]


# --- items ----------------------------------------------------------------------------------

_ITEM_COLUMNS = (
    Item.id,
    Item.owner_id,
    Item.reporter_id,
    Item.unit_id,
    Item.deadline,
    Item.status,
    Item.responded_at,
    Item.created_at,
    Item.category,
    Item.text,
)


async def items_by_ids(session: AsyncSession, ids: list[int]) -> list[Any]:
    """The items with these ids, whatever their status (rows as in `deadline_candidates`)."""
    if not ids:
        return []
    return list(await session.execute(select(*_ITEM_COLUMNS).where(Item.id.in_(ids)).order_by(Item.id)))


async def deadline_candidates(session: AsyncSession, horizon: date, accept_cutoff: datetime) -> list[Any]:
    """Open items that are due by `horizon` (due soon or overdue), or still 未签收 since
    before `accept_cutoff`. Rows: see `_ITEM_COLUMNS`."""
    rows = await session.execute(
        select(*_ITEM_COLUMNS)
        .where(Item.status.in_(OPEN_STATUSES))
        .where(
            (Item.deadline <= horizon)
            | ((Item.status == "new") & Item.responded_at.is_(None) & (Item.created_at <= accept_cutoff))
        )
        .order_by(Item.id)
    )
    return list(rows)


async def month_open_items(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    unit_id: int | None = None,
    limit: int = 20,
) -> tuple[int, list[Any]]:
    """本月未办结: items raised in [start, end) that are still open, soonest deadline first.
    Returns (total, first `limit` rows of id, unit name, category, deadline, text)."""
    cond = [Item.created_at >= start, Item.created_at < end, Item.status.in_(OPEN_STATUSES)]
    if unit_id is not None:
        cond.append(Item.unit_id == unit_id)
    total = (await session.execute(select(func.count()).select_from(Item).where(*cond))).scalar_one()
    rows = await session.execute(
        select(Item.id, Unit.name, Item.category, Item.deadline, Item.text)
        .join(Unit, Unit.id == Item.unit_id)
        .where(*cond)
        .order_by(Item.deadline, Item.id)
        .limit(limit)
    )
    return total, list(rows)


# --- reminder claims and the outbox ---------------------------------------------------------


async def claim_keys(session: AsyncSession, claims: list[tuple[str, int | None]], now: datetime) -> set[str]:
    """Insert reminder keys, skipping those already present; return the keys this call
    inserted. The caller's transaction is the claim: queue messages only for these."""
    if not claims:
        return set()
    payload = json.dumps([{"k": k, "c": c} for k, c in dict(claims).items()], ensure_ascii=False)
    sql = (
        f"INSERT INTO reminders (key, cadre_id, created_at) "
        f"SELECT k, c, {_now_sql(session)} FROM ({_rows_sql(session, {'k': 'text', 'c': 'int'})}) AS j "
        f"WHERE 1=1 ON CONFLICT (key) DO NOTHING RETURNING key"
    )
    rows = await session.execute(text(sql), {"p": payload, "now": _now_param(session, now)})
    return {r[0] for r in rows}


async def existing_keys(session: AsyncSession, keys: list[str]) -> set[str]:
    """The subset of `keys` already claimed (for dry runs)."""
    if not keys:
        return set()
    sql = f"SELECT key FROM reminders WHERE key IN (SELECT k FROM ({_rows_sql(session, {'k': 'text'})}) AS j)"
    rows = await session.execute(text(sql), {"p": json.dumps([{"k": k} for k in keys], ensure_ascii=False)})
    return {r[0] for r in rows}


async def release_keys(session: AsyncSession, keys: list[str]) -> None:
    """Forget reminder claims (a held reminder dropped for a passing reason, such as leave),
    so a later run may claim and send them again."""
    if keys:
        await session.execute(delete(Reminder).where(Reminder.key.in_(keys)))


async def link_reminders(session: AsyncSession, links: dict[str, int]) -> None:
    """Point claimed reminder keys at the outbox row that carries them (one statement)."""
    if not links:
        return
    payload = json.dumps([{"k": k, "o": o} for k, o in links.items()], ensure_ascii=False)
    sql = (
        f"UPDATE reminders SET outbox_id = j.o FROM ({_rows_sql(session, {'k': 'text', 'o': 'int'})}) "
        f"AS j WHERE reminders.key = j.k"
    )
    await session.execute(text(sql), {"p": payload})


# --- groups and job runs --------------------------------------------------------------------


async def group_bindings(session: AsyncSession) -> list[GroupBinding]:
    """Groups that receive digests: bound to a unit, or the leaders' group."""
    rows = await session.scalars(
        select(GroupBinding)
        .where((GroupBinding.unit_id.is_not(None)) | GroupBinding.is_leaders.is_(True))
        .order_by(GroupBinding.id)
    )
    return list(rows)


async def job_runs(session: AsyncSession) -> dict[str, datetime]:
    """Job name → last fire time (naive local), for catch-up after downtime."""
    return dict((await session.execute(select(JobRun.name, JobRun.last_fire_at))).all())


async def record_job_run(session: AsyncSession, name: str, at: datetime) -> None:
    """Remember that job `name` ran at `at` (upsert)."""
    ins = dialect_insert(session)(JobRun).values(name=name, last_fire_at=at)
    await session.execute(ins.on_conflict_do_update(index_elements=["name"], set_={"last_fire_at": at}))
