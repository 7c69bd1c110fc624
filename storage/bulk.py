"""Multi-row INSERTs for the group-commit hot path.

Group commit writes dozens of rows per table in one statement. Through SQLAlchemy's normal
execution each row still costs parameter construction and type processing in Python, more
than SQLite's own work. For positional "?" parameters (SQLite) SQLAlchemy compiles the
one-row statement once per shape (ON CONFLICT, RETURNING and each column's bind processor
for dates and JSON included); the VALUES tuple is repeated for as many rows as the batch
has, and the statement goes through `Connection.exec_driver_sql`, so errors, events and the
transaction stay SQLAlchemy's. Other drivers (PostgreSQL) use SQLAlchemy's own
"insertmanyvalues" executemany, which does the same there.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

from storage.db import insert_for

MAX_PARAMS = 30000  # SQLite allows 32766 host parameters per statement


@cache
def _statement(dialect_name: str, table: Table, returning: tuple[str, ...], skip_conflict_on: str | None) -> Any:
    stmt = insert_for(dialect_name)(table)
    if skip_conflict_on:
        stmt = stmt.on_conflict_do_nothing(index_elements=[skip_conflict_on])
    if returning:
        stmt = stmt.returning(*(table.c[r] for r in returning))
    return stmt


@cache
def _template(
    dialect: Dialect, table: Table, columns: tuple[str, ...], returning: tuple[str, ...], skip_conflict_on: str | None
) -> tuple[str, str, str, tuple[tuple[str, Any], ...]]:
    """(text before the VALUES tuple, the tuple, text after it, (column, bind processor) in
    the tuple's order)."""
    compiled = _statement(dialect.name, table, returning, skip_conflict_on).compile(
        dialect=dialect, column_keys=list(columns)
    )
    sql = compiled.string
    start = sql.index(" VALUES (") + len(" VALUES ")
    end = sql.index(")", start) + 1
    order = list(compiled.positiontup or ())
    if sorted(order) != sorted(columns) or sql[start:end].count("?") != len(order):
        raise ValueError(f"unexpected INSERT shape for {table.name}: {sql}")
    slots = tuple((c, table.c[c].type._cached_bind_processor(dialect)) for c in order)
    return sql[:start], sql[start:end], sql[end:], slots


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    returning: tuple[str, ...] = (),
    skip_conflict_on: str | None = None,
) -> list[tuple[Any, ...]]:
    """Insert `rows` (dicts with the same keys); the RETURNING rows, if asked for. With
    `skip_conflict_on`, rows whose unique column value already exists are skipped (and not
    returned)."""
    if not rows:
        return []
    if conn.dialect.paramstyle != "qmark":
        stmt = _statement(conn.dialect.name, table, returning, skip_conflict_on)
        result = conn.execute(stmt, list(rows))
        return [tuple(r) for r in result.all()] if returning else []
    before, values, after, slots = _template(conn.dialect, table, tuple(rows[0]), returning, skip_conflict_on)
    per_statement = max(1, MAX_PARAMS // len(slots))
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        params = tuple(row[c] if p is None else p(row[c]) for row in chunk for c, p in slots)
        result = conn.exec_driver_sql(before + ", ".join([values] * len(chunk)) + after, params)
        if returning:
            out.extend(tuple(r) for r in result.all())
    return out
