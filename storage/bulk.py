"""Multi-row INSERTs for the group-commit hot path, compiled once, executed lean.

Group commit writes dozens of rows per table in one statement. Through SQLAlchemy's normal
execution each row still costs parameter construction and type processing in Python, more
than SQLite's own work. Here SQLAlchemy stays the compiler (dialect, paramstyle, ON CONFLICT,
RETURNING, each column's bind processor for dates and JSON), once per statement shape and row
count; execution goes through `Connection.exec_driver_sql`, so errors, events and the
transaction are SQLAlchemy's as everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam
from sqlalchemy.engine import Dialect

from storage.db import insert_for

# SQLite allows 32766 host parameters per statement; stay well below for wide tables
MAX_PARAMS = 30000


@lru_cache(maxsize=1024)
def _compiled(dialect: Dialect, table: Table, columns: tuple[str, ...], rows: int,
              returning: tuple[str, ...], skip_conflict_on: str | None):
    stmt = insert_for(dialect.name)(table).values(
        [{c: bindparam(f"r{i}c{j}") for j, c in enumerate(columns)} for i in range(rows)])
    if skip_conflict_on:
        stmt = stmt.on_conflict_do_nothing(index_elements=[skip_conflict_on])
    if returning:
        stmt = stmt.returning(*(table.c[r] for r in returning))
    compiled = stmt.compile(dialect=dialect)
    if compiled.positiontup is None:
        raise NotImplementedError(f"storage.bulk needs a positional paramstyle, not {dialect.paramstyle}")
    slots = [(int(name[1:name.index("c")]), int(name[name.index("c") + 1:])) for name in compiled.positiontup]
    processors = tuple(table.c[c].type._cached_bind_processor(dialect) for c in columns)
    return compiled.string, slots, processors


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *,
                returning: tuple[str, ...] = (), skip_conflict_on: str | None = None) -> list[tuple]:
    """Insert `rows` (dicts with the same keys) in as few statements as the parameter limit
    allows; the RETURNING rows, if asked for. With `skip_conflict_on`, rows whose unique
    column value already exists are skipped (and not returned)."""
    if not rows:
        return []
    columns = tuple(rows[0])
    per_statement = max(1, MAX_PARAMS // len(columns))
    out: list[tuple] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        sql, slots, processors = _compiled(conn.dialect, table, columns, len(chunk), returning, skip_conflict_on)
        values = [[row[c] if p is None else p(row[c]) for c, p in zip(columns, processors, strict=True)]
                  for row in chunk]
        result = conn.exec_driver_sql(sql, tuple(values[r][c] for r, c in slots))
        if returning:
            out.extend(tuple(r) for r in result.all())
    return out
