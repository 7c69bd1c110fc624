"""Which items belong to each of the three lists for a period — one definition each, used by
the monthly report (storage/metrics.py), the 台账 export and the web console (storage/ledger.py),
so their counts always agree.

    问题清单  items raised in [since, until), not revoked
    任务清单  those of them not resolved on the day they were raised (即知即办 items drop out)
    效果清单  items resolved (办结, possibly 销号 since) in [since, until)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Date, cast, func

from storage.models import Item

DONE = ("resolved", "closed")


def day_of(dialect: str, col: Any) -> Any:
    """The calendar day of a datetime column, on SQLite and PostgreSQL."""
    return cast(col, Date) if dialect == "postgresql" else func.date(col)


def problems(since: datetime | None, until: datetime | None) -> list[Any]:
    """WHERE clauses of the 问题清单 for a creation window (None: unbounded)."""
    out: list[Any] = [Item.status != "revoked"]
    if since is not None:
        out.append(Item.created_at >= since)
    if until is not None:
        out.append(Item.created_at < until)
    return out


def same_day_resolved(dialect: str) -> Any:
    """Resolved on the day it was raised: such an item is not a task."""
    return Item.resolved_at.is_not(None) & (day_of(dialect, Item.resolved_at) == day_of(dialect, Item.created_at))


def tasks(dialect: str, since: datetime | None, until: datetime | None) -> list[Any]:
    """WHERE clauses of the 任务清单."""
    return [*problems(since, until), ~same_day_resolved(dialect)]


def effects(since: datetime | None, until: datetime | None) -> list[Any]:
    """WHERE clauses of the 效果清单 for a resolution window."""
    out: list[Any] = [Item.status.in_(DONE)]
    if since is not None:
        out.append(Item.resolved_at >= since)
    if until is not None:
        out.append(Item.resolved_at < until)
    return out
