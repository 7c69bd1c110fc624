"""Group commit: jobs submitted while a transaction is running are written together in the next one.

A chat message's record is a handful of small inserts; what costs is the per-transaction and
per-statement overhead (a commit, a statement, a driver call). Under load, messages arrive
faster than single transactions can commit, so `GroupCommit` queues them and writes every
queued job in ONE transaction with one statement per kind of row (executemany), as plain
synchronous Core (`Database.run_write`). Alone, a job is written at once, in a batch of one:
nothing waits for a timer.

If a batch fails, it is rolled back and each of its jobs is retried alone, so one bad job
fails alone and every other job is still written exactly once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from storage.db import Database
from storage.errors import StorageUnavailable
from storage.tx import Batch

log = logging.getLogger("minqing.storage")

J = TypeVar("J")
R = TypeVar("R")

WriteBatch = Callable[[Batch, Sequence[J]], Sequence[R]]

MAX_BATCH = 64

# failures of the database itself, not of one job: retrying jobs one by one would not help
UNAVAILABLE = (StorageUnavailable, OSError)


class GroupCommit(Generic[J, R]):
    """`await submit(job)` returns what `write(batch, jobs)` gave for that job, after commit."""

    def __init__(self, db: Database, write: WriteBatch[J, R], max_batch: int = MAX_BATCH) -> None:
        self.db, self.write, self.max_batch = db, write, max_batch
        self._queue: list[tuple[J, asyncio.Future[R]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, job: J) -> R:
        """Queue `job`; returns what `write` gave for it once its batch is committed. Raises what
        the write raised for this job (a failing batch is retried job by job); database errors
        as StorageError."""
        fut: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((job, fut))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await fut

    async def _run(self) -> None:
        try:
            while self._queue:
                # let every handler that is ready submit its job before the transaction starts
                await asyncio.sleep(0)
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                await self._write(batch)
        except asyncio.CancelledError:  # shutting down: nobody will write what is still queued
            for _, fut in self._queue:
                fut.cancel()
            self._queue = []
            raise

    async def _write(self, batch: list[tuple[J, asyncio.Future[R]]]) -> None:
        try:
            results = await self.db.run_write(self.write, [job for job, _ in batch])
        except asyncio.CancelledError:
            for _, fut in batch:
                fut.cancel()
            raise
        except Exception as exc:
            if len(batch) > 1 and not isinstance(exc, UNAVAILABLE):
                log.warning(
                    "group commit of %d jobs failed (%s); writing them one by one", len(batch), type(exc).__name__
                )
                for one in batch:
                    await self._write([one])
                return
            for _, fut in batch:  # alone, or the database is unavailable: every job fails
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), result in zip(batch, results, strict=True):
            if not fut.done():  # the submitter may have given up waiting; the job is written anyway
                fut.set_result(result)
