"""Which instance runs the scheduler: a lease in the database.

On PostgreSQL the lease is a session-level advisory lock (`LEASE_KEY`) held on one dedicated
connection for as long as the instance leads. When the leader exits or is killed, its
connection closes and PostgreSQL frees the lock at once; the others try again every
`retry_s` (default 15 s), so a crashed leader is replaced within that time. A leader checks
its connection every `retry_s` too and steps down (stops its scheduler) when it is lost
(a network split: the server ends the dead session and another instance takes over).

On SQLite there is one instance by construction: the lease is always held.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable

from storage.advisory import AdvisoryLock, holder_name
from storage.db import Database

log = logging.getLogger("minqing.scheduler.lease")

LEASE_KEY = 0x6D71_5C4E  # pg_try_advisory_lock key: "mq" + "scheduler"
RETRY_S = 15.0


def instance_name() -> str:
    """host:pid, shown in logs, /readyz and the metrics."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def holder(db: Database) -> str | None:
    """Who holds the lease: "host:pid" of the leading instance, "this process" on SQLite, or
    None when no instance leads (PostgreSQL)."""
    if db.is_sqlite:
        return instance_name() if current is not None and current.held else None
    name = await holder_name(db, LEASE_KEY)
    if name is None:
        return None
    return name.removeprefix("minqing ") or "?"


current: SchedulerLease | None = None
"""The lease of this process's scheduler (None when the scheduler is off)."""


class SchedulerLease:
    """`held` is True while this instance may run the scheduler."""

    def __init__(self, db: Database, retry_s: float = RETRY_S) -> None:
        self.db, self.retry_s = db, retry_s
        self.held = False
        self._lock: AdvisoryLock | None = None if db.is_sqlite else AdvisoryLock(db, LEASE_KEY)

    async def try_acquire(self) -> bool:
        """Take the lease if it is free; True when this instance holds it now."""
        if self.held:
            return True
        if self._lock is None:  # SQLite: one instance by construction
            self.held = True
            return True
        self.held = await self._lock.try_take()
        return self.held

    async def still_held(self) -> bool:
        """False when the leader's connection was lost (the lock went with it)."""
        if not self.held or self._lock is None:
            return self.held
        try:
            await self._lock.check()
            return True
        except Exception as exc:
            log.error("scheduler lease lost: %s", type(exc).__name__)
            await self.release()
            return False

    async def release(self) -> None:
        """Give the lease up (closing the connection frees the lock)."""
        self.held = False
        if self._lock is not None:
            await self._lock.release()

    async def lead(self, run: Callable[[], Awaitable[None]]) -> None:
        """Until cancelled: wait for the lease, then `run()` (which runs until cancelled) while
        the lease holds; step down and wait again when it is lost."""
        try:
            while True:
                try:
                    got = await self.try_acquire()
                except Exception as exc:  # the database is away: try again later
                    log.warning("scheduler lease: cannot reach the database: %s", type(exc).__name__)
                    got = False
                if not got:
                    await asyncio.sleep(self.retry_s)
                    continue
                log.info("scheduler lease taken by %s: this instance runs the scheduler", instance_name())
                task = asyncio.ensure_future(run())
                try:
                    while not task.done():
                        done, _ = await asyncio.wait({task}, timeout=self.retry_s)
                        if not done and not await self.still_held():
                            break
                finally:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                if not task.cancelled():
                    if task.exception() is None:
                        await asyncio.Event().wait()  # run() ended by itself: keep the lease, idle
                    log.error("scheduler failed: %s", type(task.exception()).__name__)
                    await asyncio.sleep(self.retry_s)
                log.info("scheduler stopped on %s; waiting for the lease again", instance_name())
        finally:
            await self.release()
