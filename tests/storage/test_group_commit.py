"""storage.groupcommit: batching, failure isolation, an unavailable database, shutdown."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import OperationalError

from storage.errors import StorageUnavailable
from storage.groupcommit import GroupCommit


class Recording:
    """A write function that records the batches it saw and fails as told."""

    def __init__(self, fail_on=None, exc=None) -> None:
        self.batches: list[list[str]] = []
        self.fail_on, self.exc = fail_on, exc

    def __call__(self, conn, jobs):
        self.batches.append(list(jobs))
        if self.exc is not None:
            raise self.exc
        if self.fail_on in jobs:
            raise ValueError(self.fail_on)
        return [job.upper() for job in jobs]


async def test_jobs_submitted_together_are_written_in_one_batch(db):
    write = Recording()
    gc = GroupCommit(db, write)
    assert await asyncio.gather(*(gc.submit(j) for j in "abc")) == ["A", "B", "C"]
    assert write.batches == [["a", "b", "c"]]


async def test_batches_are_capped(db):
    write = Recording()
    gc = GroupCommit(db, write, max_batch=2)
    assert await asyncio.gather(*(gc.submit(j) for j in "abcde")) == list("ABCDE")
    assert write.batches == [["a", "b"], ["c", "d"], ["e"]]


async def test_a_failing_job_is_isolated(db):
    write = Recording(fail_on="b")
    gc = GroupCommit(db, write)
    results = await asyncio.gather(*(gc.submit(j) for j in "abc"), return_exceptions=True)
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError)
    assert write.batches == [["a", "b", "c"], ["a"], ["b"], ["c"]]


async def test_an_unavailable_database_fails_the_batch_without_retrying_each_job(db):
    write = Recording(exc=OperationalError("INSERT", {}, Exception("database is locked")))
    gc = GroupCommit(db, write)
    results = await asyncio.gather(*(gc.submit(j) for j in "abc"), return_exceptions=True)
    assert all(isinstance(r, StorageUnavailable) for r in results)
    assert write.batches == [["a", "b", "c"]]


async def test_shutdown_cancels_what_is_still_queued(db, monkeypatch):
    entered, real = asyncio.Event(), db.run_write

    async def run_write(fn, *args):
        entered.set()
        return await real(fn, *args)

    monkeypatch.setattr(db, "run_write", run_write)
    gc = GroupCommit(db, Recording())
    async with db.write():  # the database is busy: the runner waits for it with "a" taken
        first = asyncio.ensure_future(gc.submit("a"))
        await entered.wait()
        second = asyncio.ensure_future(gc.submit("b"))  # queued behind the running batch
        gc._runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        with pytest.raises(asyncio.CancelledError):
            await second
    assert gc._queue == []
