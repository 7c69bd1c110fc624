"""Engine and sessions. SQLite (WAL) by default, PostgreSQL by URL, same code.

SQLite allows one writer at a time; instead of letting concurrent writers fail with
"database is locked", writes in this process queue on an asyncio lock (`Database.write`).
Other processes (the message workers, `minqing roster import`) are waited for by SQLite's
busy timeout. On SQLite a Database has three engines over the same file:

- `session()` / `write()`: aiosqlite in its thread — reads, scheduler sweeps, the outbox;
- `interactive()`: one chat message's ORM transaction, sqlite3 called on the loop thread
  (storage/inline_sqlite.py);
- `run_write()`: synchronous Core on the loop thread for group commit (storage/groupcommit.py).

The loop-thread connections wait at most 5 s for the lock and never checkpoint the WAL
themselves; a PASSIVE checkpoint runs on the threaded engine every `CHECKPOINT_EVERY` commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.errors import StorageError, StorageUnavailable, translated
from storage.inline_sqlite import inline_creator
from storage.tx import Tx

T = TypeVar("T")
log = logging.getLogger("minqing.storage")

CHECKPOINT_EVERY = 64
"""Commits on the event-loop thread between WAL checkpoints (see Database._committed)."""


def application_name() -> str:
    """ "minqing host:pid", at most 63 bytes (PostgreSQL's limit)."""
    return f"minqing {socket.gethostname()}:{os.getpid()}"[:63]


def normalise_url(url: str) -> str:
    """Pick the async driver for a plain URL (sqlite:///x.db, postgresql://…). Raises
    StorageError for a string that is not a database URL or names no asyncio driver."""
    try:
        u = make_url(url)
        if u.drivername == "sqlite":
            u = u.set(drivername="sqlite+aiosqlite")
        elif u.drivername in ("postgresql", "postgres"):
            u = u.set(drivername="postgresql+asyncpg")
        async_driver = u.get_dialect().is_async
    except ArgumentError as exc:  # not a URL, or a database SQLAlchemy has no driver for
        raise StorageError(f"not a usable database URL: {str(exc).splitlines()[0][:200]}") from exc
    if not async_driver:
        raise StorageError(f"not a usable database URL: {u.drivername} is not an asyncio driver")
    return u.render_as_string(hide_password=False)


class Database:
    """Owns the engines; `session()` for reads, `write()` for one transaction that commits or
    rolls back as a whole. Each yields a `storage.Tx` (see storage/tx.py); any database error
    inside them leaves as `StorageError`."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        u = make_url(self.url)
        self.is_sqlite = u.get_backend_name() == "sqlite"
        if self.is_sqlite and u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"hide_parameters": True}  # SQL errors must not carry message text into logs
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
        else:  # names this instance in pg_stat_activity (who holds the scheduler lease)
            kwargs["connect_args"] = {"server_settings": {"application_name": application_name()}}
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=Tx)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self.interactive_sessions = self.sessions
        self._inline_engine: AsyncEngine | None = None
        self._sync_engine: Engine | None = None
        self._batch_conn: Connection | None = None  # kept open: run_write is the only user
        self._commits = 0  # on the loop thread's connections since the last WAL checkpoint
        self._checkpoint_task: asyncio.Task[None] | None = None
        if self.is_sqlite and u.database and u.database != ":memory:":
            self._inline_engine = create_async_engine(
                self.url, async_creator=inline_creator(u.database, timeout=5.0), hide_parameters=True
            )
            event.listen(self._inline_engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self._inline_engine.sync_engine, "connect", _hot_path_pragmas)
            self.interactive_sessions = async_sessionmaker(self._inline_engine, expire_on_commit=False, class_=Tx)
            # batch writes (storage/groupcommit.py) run plain synchronous Core on the loop thread
            self._sync_engine = create_engine(
                make_url(self.url).set(drivername="sqlite+pysqlite"),
                connect_args={"timeout": 5.0, "check_same_thread": False},
                hide_parameters=True,
            )
            event.listen(self._sync_engine, "connect", _sqlite_pragmas)
            event.listen(self._sync_engine, "connect", _hot_path_pragmas)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Tx]:
        """A read session (no commit). Writes go through `write()`. Raises StorageError."""
        with translated():
            async with self.sessions() as s:
                yield s

    @property
    def engines(self) -> list[Engine]:
        """Every engine this database opened, as sync engines (for instrumentation events)."""
        engines = [self.engine.sync_engine]
        if self._inline_engine is not None:
            engines.append(self._inline_engine.sync_engine)
        if self._sync_engine is not None:
            engines.append(self._sync_engine)
        return engines

    def write(self) -> AbstractAsyncContextManager[Tx]:
        """One transaction: commits when the block ends, rolls back on any exception. Database
        errors (in the block or at commit) raise StorageError."""
        return self._transaction(self.sessions)

    def interactive(self) -> AbstractAsyncContextManager[Tx]:
        """Like `write()`, for the short transaction of one chat message. On SQLite it runs
        on the event-loop thread (see storage/inline_sqlite.py); keep heavy work out of it."""
        return self._transaction(self.interactive_sessions)

    async def run_write(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(batch, *args)` in one write transaction of synchronous SQLAlchemy Core, for
        many small statements in a row (group commit; `batch` is a `storage.Batch`). SQLite:
        inline on the event-loop thread (each statement takes microseconds; the async layers
        around them would cost more); PostgreSQL: through the async engine's `run_sync`.
        Database errors raise StorageError (StorageUnavailable when the database itself
        cannot be used); other exceptions of `fn` pass unchanged."""
        with translated():
            return await self._run_write(fn, *args)

    async def _run_write(self, fn: Callable[..., T], *args: Any) -> T:
        if self._sync_engine is None:
            async with contextlib.AsyncExitStack() as stack:
                if self._write_lock is not None:
                    await stack.enter_async_context(self._write_lock)
                conn = await stack.enter_async_context(self.engine.begin())
                return await conn.run_sync(fn, *args)
        async with self._write_lock:  # type: ignore[union-attr]
            if self._batch_conn is None or self._batch_conn.closed or self._batch_conn.invalidated:
                self._batch_conn = self._sync_engine.connect()
            with self._batch_conn.begin():
                result = fn(self._batch_conn, *args)
        self._committed()
        return result

    def _committed(self) -> None:
        """Count a commit made on the event-loop thread; now and then start a WAL checkpoint.

        Those connections never checkpoint themselves (wal_autocheckpoint=0): copying the WAL
        back into the database file takes milliseconds of I/O and would stall every message
        waiting behind it. The checkpoint runs on the threaded engine instead, where SQLite
        works without the GIL; PASSIVE never blocks writers."""
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and (self._checkpoint_task is None or self._checkpoint_task.done()):
            self._commits = 0
            self._checkpoint_task = asyncio.create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception as exc:  # the next one will try again; SQLite's own checkpoints remain
            log.warning("WAL checkpoint failed: %s", type(exc).__name__)

    @asynccontextmanager
    async def _transaction(self, sessions: async_sessionmaker[Tx]) -> AsyncIterator[Tx]:
        with translated():
            async with self._begin(sessions) as s:
                yield s

    @asynccontextmanager
    async def _begin(self, sessions: async_sessionmaker[Tx]) -> AsyncIterator[Tx]:
        async with contextlib.AsyncExitStack() as stack:
            if self._write_lock is not None:  # SQLite: one writer at a time, queued here
                await stack.enter_async_context(self._write_lock)
            s = await stack.enter_async_context(sessions())
            await stack.enter_async_context(s.begin())
            yield s
        if sessions is not self.sessions and self._sync_engine is not None:
            self._committed()

    async def dispose(self) -> None:
        """Close every engine and connection (end of the process or of a test)."""
        if self._checkpoint_task is not None:
            await self._checkpoint_task
        await self.engine.dispose()
        if self._inline_engine is not None:
            await self._inline_engine.dispose()
        if self._batch_conn is not None:
            self._batch_conn.close()
            self._batch_conn = None
        if self._sync_engine is not None:
            self._sync_engine.dispose()


def insert_for(dialect_name: str) -> Callable[..., Any]:
    """insert() with ON CONFLICT support for a dialect ("sqlite" or "postgresql")."""
    return pg_insert if dialect_name == "postgresql" else sqlite_insert


def dialect_insert(session: AsyncSession) -> Callable[..., Any]:
    """insert() with ON CONFLICT support for the session's database (SQLite or PostgreSQL)."""
    return insert_for(session.get_bind().dialect.name)


def _hot_path_pragmas(dbapi_conn: Any, _record: object) -> None:
    """The loop-thread connections messages are written on: a short busy timeout, no
    checkpoints of their own (see Database._committed) and a 64 MB page cache, so index pages
    of a large database stay in memory (bench/bench_record.py shows what a large database
    costs per message)."""
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA busy_timeout=5000")  # they block the event loop while they wait
        cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.execute("PRAGMA cache_size=-65536")
    finally:
        cur.close()


def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
    except Exception as exc:  # a broken file shows up here first
        raise StorageUnavailable(f"cannot open SQLite database: {exc}") from exc
    finally:
        cur.close()
