"""What instances share through PostgreSQL: migrations under a lock, the scheduler lease, the
outbox claimed with SKIP LOCKED, and the platforms' rate limits."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from bot.outbound.ratelimit import SharedRateLimiter
from bot.wecom.limits import PER_PERSON as PER_PERSON_WECOM
from handlers.clock import FixedClock
from scheduler.lease import SchedulerLease, holder
from storage import migrate
from storage import outbox as q
from storage.db import Database
from storage.models import Outbox
from storage.notice import CadreAddress, Notice
from tests.multi.conftest import PG_URL

NOW = datetime(2026, 11, 18, 10, 0, 0, 250_000)


async def test_instances_starting_together_on_an_empty_database_both_migrate():
    if not PG_URL:
        pytest.skip("no PostgreSQL")
    dbs = [Database(PG_URL) for _ in range(4)]
    try:
        await migrate.downgrade(dbs[0], "base")
        await asyncio.gather(*(migrate.upgrade(d) for d in dbs))  # without the lock some would fail
        assert {await migrate.current_revision(d) for d in dbs} == {migrate.head_revision()}
    finally:
        for d in dbs:
            await d.dispose()


async def test_one_lease_holder_and_a_killed_leader_is_replaced(pg_pair):
    a, b = pg_pair
    la, lb = SchedulerLease(a), SchedulerLease(b)
    assert await la.try_acquire() is True
    assert await lb.try_acquire() is False
    assert await la.still_held() is True
    assert (await holder(b)).endswith(f":{__import__('os').getpid()}")
    # the leader's connection dies (kill -9 of its process): PostgreSQL frees the lock at once
    async with b.engine.connect() as conn:
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND objid = 1836145742 AND granted"
            )
        )
    assert await la.still_held() is False and la.held is False
    assert await lb.try_acquire() is True
    assert await la.try_acquire() is False
    await lb.release()
    assert await holder(a) is None
    assert await la.try_acquire() is True
    await la.release()


async def test_two_instances_claim_disjoint_outbox_rows(pg_pair):
    a, b = pg_pair
    async with a.write() as s:
        for i in range(20):
            await q.enqueue(s, Notice(CadreAddress(i), f"m{i}"), NOW)
    async with a.write() as sa, b.write() as sb:
        rows_a = await q.due(sa, NOW, 10)  # locked until this transaction ends
        rows_b = await q.due(sb, NOW, 50)  # SKIP LOCKED: the other ten, without waiting
        claimed_a = [r.id for r in rows_a if await q.claim(sa, r.id, NOW)]
        claimed_b = [r.id for r in rows_b if await q.claim(sb, r.id, NOW)]
    assert len(claimed_a) == 10 and len(claimed_b) == 10
    assert set(claimed_a).isdisjoint(claimed_b)
    async with a.session() as s:
        assert await s.scalar(select(func.count()).where(Outbox.status == "sending")) == 20


async def test_rate_limit_is_held_across_instances(pg_pair):
    a, b = pg_pair
    clock = FixedClock(NOW)
    la, lb = SharedRateLimiter(a, clock), SharedRateLimiter(b, clock)
    key = "wecom:user:zhang"
    waits = await asyncio.gather(*(lim.take(key, PER_PERSON_WECOM) for lim in [la, lb] * 20))
    assert sum(1 for w in waits if w == 0) == 30  # WeCom's 30 per minute per person, both together
    assert all(w == pytest.approx(60.0) for w in waits if w)
    clock.advance(seconds=59, microseconds=999_000)  # sub-second precision counts: not yet
    assert await la.take(key, PER_PERSON_WECOM) == pytest.approx(0.001)
    clock.advance(microseconds=1000)
    assert await lb.take(key, PER_PERSON_WECOM) == 0.0
    assert await la.take("wecom:user:li", PER_PERSON_WECOM) == 0.0  # another person is not limited


async def test_outbox_counts_by_state_and_pages(pg_pair):
    from bot.outbound import admin

    a, _ = pg_pair
    async with a.write() as s:
        for i in range(7):
            await q.enqueue(s, Notice(CadreAddress(1), f"第{i}条"), NOW)
        await q.mark_failed(s, 1, attempts=8, error="x")
        await q.mark_sent(s, 2, NOW)
    first = await admin.page_lines(a, status=None, page=1, per_page=3)
    assert first[0] == "共 7 条：待发 5，发送中 0，已发 1，失败 1，已作废 0"
    assert [line.split()[0] for line in first[1:4]] == ["#7", "#6", "#5"]
    assert first[-1] == "第 1/3 页，每页 3 条；下一页：--page 2"
    last = await admin.page_lines(a, status=None, page=3, per_page=3)
    assert [line.split()[0] for line in last[1:-1]] == ["#1"] and last[-1] == "第 3/3 页，每页 3 条"
    failed = await admin.page_lines(a, status="failed", page=1, per_page=3)
    assert [line.split()[:2] for line in failed[1:-1]] == [["#1", "failed"]]
