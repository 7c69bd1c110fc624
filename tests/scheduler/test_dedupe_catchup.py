"""Nobody gets a reminder twice: concurrent runs, a crash mid-run, catch-up after downtime."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime

import pytest
from sqlalchemy import select

from handlers.clock import FixedClock
from handlers.policy import Policy
from scheduler.deadlines import deadline_job
from scheduler.delivery import OutboxSender, RecordingSender
from scheduler.duties import visit_duties_job
from scheduler.wiring import catch_up, run_and_record
from storage import sweeps
from storage.db import Database
from storage.models import JobRun, Outbox, Reminder
from tests.scheduler.conftest import add, cadre, count, item, outbox_rows, point, reminder_keys, unit

N = 120
OCT15 = datetime(2026, 10, 15, 9, 0)


async def big_org(db):
    await add(db, unit(1))
    await add(db, *[cadre(i) for i in range(1, N + 1)])
    await add(db, *[point(i, i, f"{i}号楼") for i in range(1, N + 1)])
    await add(db, *[item(i, i, date(2026, 10, 13)) for i in range(1, N + 1)])


async def test_two_concurrent_runs_queue_one_reminder_each(db, settings):
    await big_org(db)
    other = Database(db.url)  # a second process: its own engine and write lock
    try:
        results = await asyncio.gather(
            visit_duties_job(OCT15, db, OutboxSender(), settings),
            visit_duties_job(OCT15, other, OutboxSender(), settings),
            deadline_job(OCT15, db, OutboxSender(), settings, Policy()),
            deadline_job(OCT15, other, OutboxSender(), settings, Policy()),
        )
    finally:
        await other.dispose()
    assert len(results[0]) + len(results[1]) == N
    assert len(results[2]) + len(results[3]) == N
    rows = await outbox_rows(db)
    assert len(rows) == 2 * N
    per_target = Counter(r.target for r in rows)
    assert set(per_target.values()) == {2}  # one duty reminder + one 催办 per cadre
    async with db.session() as s:
        linked = (await s.execute(select(Reminder.key, Reminder.outbox_id))).all()
    assert len(linked) == 2 * N and all(oid is not None for _, oid in linked)


async def test_outbox_rows_match_storage_outbox_enqueue(db, settings):
    await add(db, unit(1), cadre(1))
    await add(db, point(1, 1, "1号楼"))
    await visit_duties_job(datetime(2026, 10, 15, 22, 0), db, OutboxSender(), settings)
    (row,) = await outbox_rows(db)
    assert (row.channel, row.target_kind, row.target, row.status, row.attempts) == ("auto", "cadre", "1", "pending", 0)
    assert row.next_attempt_at == datetime(2026, 10, 16, 9, 0)
    assert row.created_at == datetime(2026, 10, 15, 22, 0)
    assert row.dedupe_key == "rem:duty:1:2026-10-15:1"
    from storage import outbox

    async with db.session() as s:
        due = await outbox.due(s, datetime(2026, 10, 16, 9, 0))
        assert [r.id for r in due] == [row.id]
        assert await outbox.due(s, datetime(2026, 10, 16, 7, 59)) == []


async def test_crash_inside_the_run_leaves_nothing_then_rerun_sends_once(db, settings):
    await big_org(db)
    with pytest.raises(RuntimeError):
        await visit_duties_job(OCT15, db, RecordingSender(fail_after=0), settings)
    assert await count(db, Reminder) == 0 and await count(db, Outbox) == 0
    sent = await visit_duties_job(OCT15, db, OutboxSender(), settings)
    assert len(sent) == N and await count(db, Outbox) == N


async def test_restart_after_commit_before_recording_the_run(db, settings):
    await big_org(db)
    async with db.write() as s:
        await sweeps.record_job_run(s, "visit_duties", datetime(2026, 10, 1, 9, 0))
        for name in ("deadlines", "weekly_digest", "monthly_report"):
            await sweeps.record_job_run(s, name, OCT15)
    await visit_duties_job(OCT15, db, OutboxSender(), settings)  # queued, then the process died
    clock = FixedClock(datetime(2026, 10, 15, 9, 5))
    ran = await catch_up(db, settings, Policy(), clock=clock)
    assert ran == ["visit_duties"]
    assert await count(db, Outbox) == N  # the repeated run found every reminder claimed


async def test_catch_up_runs_a_missed_job_once(db, settings):
    await add(db, unit(1), cadre(1))
    await add(db, point(1, 1, "1号楼"))
    async with db.write() as s:
        await sweeps.record_job_run(s, "visit_duties", datetime(2026, 9, 25, 9, 0))
        for name in ("deadlines", "weekly_digest", "monthly_report"):
            await sweeps.record_job_run(s, name, datetime(2026, 10, 26, 9, 0))
    sender = RecordingSender()
    clock = FixedClock(datetime(2026, 10, 26, 10, 0))  # down over the 15th and the 25th
    assert await catch_up(db, settings, Policy(), sender=sender, clock=clock) == ["visit_duties"]
    assert len(sender.sent) == 1  # one reminder, not one per missed slot
    assert await reminder_keys(db) == {"duty:1:2026-10-25"}
    assert await catch_up(db, settings, Policy(), sender=sender, clock=clock) == []
    async with db.session() as s:
        assert (await s.get(JobRun, "visit_duties")).last_fire_at == clock.now()


async def test_first_start_records_without_running(db, settings):
    sender = RecordingSender()
    clock = FixedClock(datetime(2026, 10, 26, 10, 0))
    assert await catch_up(db, settings, Policy(), sender=sender, clock=clock) == []
    async with db.session() as s:
        assert set(await sweeps.job_runs(s)) == {
            "visit_duties",
            "deadlines",
            "weekly_digest",
            "monthly_report",
            "holiday_check",
        }


async def test_run_and_record_uses_the_clock(db, settings):
    await add(db, unit(1), cadre(1))
    await add(db, point(1, 1, "1号楼"))
    sender = RecordingSender()
    clock = FixedClock(OCT15)
    sent = await run_and_record("visit_duties", db, settings, Policy(), sender, clock)
    assert len(sent) == 1
    async with db.session() as s:
        assert (await sweeps.job_runs(s))["visit_duties"] == OCT15
