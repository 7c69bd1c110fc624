"""PostgreSQL session-level advisory locks held on a dedicated connection (the scheduler lease,
scheduler/lease.py). The lock lives as long as its connection: when the holder exits or is
killed, PostgreSQL frees it at once. Errors leave as StorageError."""

from __future__ import annotations

import contextlib

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.errors import translated


async def holder_name(db: Database, key: int) -> str | None:
    """The application_name of the session holding advisory lock `key` in this database (see
    storage.db.application_name: "minqing host:pid"), None when nobody holds it."""
    with translated():
        async with db.engine.connect() as conn:
            name = (
                await conn.exec_driver_sql(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    f"WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = {int(key)} "
                    "AND l.objsubid = 1 "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            ).scalar()
    return None if name is None else str(name)


class AdvisoryLock:
    """Lock `key`, held on its own connection from `try_take()` until `release()` (or until the
    connection is lost)."""

    def __init__(self, db: Database, key: int) -> None:
        self.db, self.key = db, int(key)
        self._conn: AsyncConnection | None = None

    async def try_take(self) -> bool:
        """Take the lock if it is free (never waits); True when this object holds it now."""
        if self._conn is not None:
            return True
        with translated():
            conn = await self.db.engine.connect()
            try:
                got = (await conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({self.key})")).scalar()
                await conn.commit()  # the lock is session-level: it outlives this transaction
            except BaseException:
                await conn.close()
                raise
            if not got:
                await conn.close()
                return False
        self._conn = conn
        return True

    async def check(self) -> None:
        """Raise StorageError when the lock's connection is lost (the lock went with it)."""
        if self._conn is None:
            return
        with translated():
            await self._conn.exec_driver_sql("SELECT 1")
            await self._conn.commit()

    async def release(self) -> None:
        """Give the lock up and close its connection for real (never back to the pool). Never raises."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            await conn.exec_driver_sql(f"SELECT pg_advisory_unlock({self.key})")
        with contextlib.suppress(Exception):
            await conn.invalidate()
        with contextlib.suppress(Exception):
            await conn.close()
