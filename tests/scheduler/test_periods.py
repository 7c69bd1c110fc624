"""Periods belong to their run (issue 12, finding 4): a missed run is evaluated for its own
period or skipped once that period has ended; a held reminder never crosses into the next
period; `--now` with an offset is converted to the organisation's zone."""

from __future__ import annotations

import logging
from datetime import date, datetime

import pytest

from handlers.clock import FixedClock
from handlers.policy import Policy
from scheduler import ops
from scheduler.delivery import OutboxSender, RecordingSender
from scheduler.duties import visit_duties_job
from scheduler.settings import parse_settings
from scheduler.wiring import catch_up
from storage import sweeps
from tests.scheduler.conftest import add, cadre, drain, make_worker, outbox_rows, point, unit


async def _org(db, *, leader: bool = False):
    await add(db, unit(1, "后勤处"))
    await add(db, cadre(1, name="张老师"), cadre(2, name="王校长", roles=("leader",)))
    await add(db, point(1, 1, "3号楼"))


async def _last_runs(db, **at: datetime):
    async with db.write() as s:
        for name in ("visit_duties", "deadlines", "weekly_digest", "monthly_report", "holiday_check"):
            await sweeps.record_job_run(s, name, at.get(name, datetime(2027, 1, 5, 9, 0)))


async def test_catch_up_across_the_month_end_skips_the_ended_period(db, settings, caplog):
    await _org(db)
    await _last_runs(db, visit_duties=datetime(2026, 12, 15, 9, 0))
    sender = RecordingSender()
    clock = FixedClock(datetime(2027, 1, 4, 10, 0))  # down from before 12-25 until 4 January
    with caplog.at_level(logging.INFO, logger="scheduler.wiring"):
        assert await catch_up(db, settings, Policy(), sender=sender, clock=clock) == []
    assert sender.sent == []  # no "1月走访提醒（截至1月4日）" for a run that belonged to December
    assert (
        "catch-up: visit_duties missed its run at 2026-12-25T09:00:00; its period ended at 2027-01-01T00:00:00, skipped"
    ) in caplog.messages
    async with db.session() as s:
        assert (await sweeps.job_runs(s))["visit_duties"] == clock.now()


async def test_a_missed_run_within_its_period_is_evaluated_for_that_period(db, settings):
    await _org(db)
    await _last_runs(db, visit_duties=datetime(2026, 11, 15, 9, 0), monthly_report=datetime(2026, 11, 1, 9, 0))
    sender = RecordingSender()
    clock = FixedClock(datetime(2026, 11, 27, 10, 0))  # missed the 25th
    assert await catch_up(db, settings, Policy(), sender=sender, clock=clock) == ["visit_duties"]
    (msg,) = sender.sent
    assert msg.body.startswith("【民情通】11月走访提醒\n张老师，您本月还有以下走访任务未完成（截至11月27日）")
    assert msg.subject["period"] == "2026-11-25"


@pytest.mark.parametrize(
    "mode, reports",
    [
        ("skip", ["【民情通】2026年12月工作月报"]),
        ("evaluate", ["【民情通】2026年11月工作月报", "【民情通】2026年12月工作月报"]),
    ],
)
async def test_missed_monthly_runs_skip_or_evaluate_ended_periods(db, mode, reports):
    await _org(db)
    s = parse_settings({"missed_runs": mode})
    await _last_runs(db, monthly_report=datetime(2026, 11, 1, 9, 0))
    sender = RecordingSender()
    clock = FixedClock(datetime(2027, 1, 5, 10, 0))  # missed 12-01 (November) and 01-01 (December)
    assert await catch_up(db, s, Policy(), sender=sender, clock=clock) == ["monthly_report"]
    assert [m.body.splitlines()[0] for m in sender.sent] == reports


def test_a_reminder_held_past_its_period_would_land_in_the_next_month():
    """2020-01-25 fell in the extended Spring Festival: held until 2020-02-03, which is after
    the January period's end."""
    from scheduler import calm, duties

    s = parse_settings({"reminder_days": [25]})
    assert calm.not_before(datetime(2020, 1, 25, 9, 0), s, s.reminder_time) == datetime(2020, 2, 3, 9, 0)
    assert duties.period_end(date(2020, 1, 25), s) == datetime(2020, 2, 1, 0, 0)


async def test_a_january_reminder_held_into_february_is_not_queued(db):
    await _org(db)
    s = parse_settings({"reminder_days": [25]})
    assert await visit_duties_job(datetime(2020, 1, 25, 9, 0), db, OutboxSender(), s) == []
    assert await outbox_rows(db) == []


async def test_a_queued_reminder_delivered_after_its_period_is_obsolete(db, settings):
    await _org(db)
    queued = await visit_duties_job(datetime(2026, 11, 25, 22, 0), db, OutboxSender(), settings)
    assert [m.not_before for m in queued] == [datetime(2026, 11, 26, 9, 0)]
    clock = FixedClock(datetime(2026, 12, 1, 9, 0))  # the worker was down until December
    worker, delivery = make_worker(db, clock, settings)
    await drain(worker)
    assert delivery.sent == []
    assert [(r.status, r.last_error) for r in await outbox_rows(db)] == [("obsolete", "period ended")]


@pytest.mark.parametrize(
    "text, local",
    [
        ("2026-11-25T01:00Z", datetime(2026, 11, 25, 9, 0)),
        ("2026-11-25T01:00+00:00", datetime(2026, 11, 25, 9, 0)),
        ("2026-11-25T09:00+08:00", datetime(2026, 11, 25, 9, 0)),
        ("2026-11-24T20:30-05:00", datetime(2026, 11, 25, 9, 30)),
        ("2026-11-25T09:00", datetime(2026, 11, 25, 9, 0)),
    ],
)
def test_now_with_an_offset_is_converted_to_the_organisations_zone(text, local, settings):
    assert ops.parse_now(text, settings) == local


def test_now_rejects_garbage(settings):
    with pytest.raises(ValueError):
        ops.parse_now("next monday", settings)
