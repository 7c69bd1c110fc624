"""An aiosqlite-compatible connection that runs SQLite calls on the event-loop thread.

aiosqlite hands every call (cursor, execute, fetch, close) to a worker thread and back; on a
busy 2-core machine that round trip costs 0.3–0.5 ms, while the SQLite call itself takes a
few microseconds. A chat message's transaction is ~10 such calls, so the handoffs, not
SQLite, set the bot's throughput. For those short transactions (`Database.interactive`)
this connection calls sqlite3 directly. Long reads and bulk sweeps keep the threaded engine
so they never stall the event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    def __await__(self) -> Generator[Any, None, InlineConnection]:
        async def connect() -> InlineConnection:
            if self._connection is None:
                self._connection = self._connector()
            return self

        return connect().__await__()

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def stop(self) -> None:
        """Close the sqlite3 connection now (no worker thread to stop); later calls raise ValueError."""
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def inline_creator(path: str, timeout: float) -> Callable[[], Awaitable[InlineConnection]]:
    """`async_creator` for SQLAlchemy: connections that never leave the event-loop thread."""

    async def create() -> InlineConnection:
        conn = InlineConnection(lambda: sqlite3.connect(path, timeout=timeout, check_same_thread=False), 64)
        return await conn

    return create
