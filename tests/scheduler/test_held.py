"""Decide at delivery (issue 12, findings 2 and 3): a held reminder is re-checked and rendered
again just before it is sent — first attempt and retries — and released at its job's time on
the next allowed day. The real outbox worker drains the queue at fixed clock times."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from handlers.clock import FixedClock
from handlers.policy import Policy
from scheduler.deadlines import deadline_job
from scheduler.delivery import OutboxSender
from scheduler.digest import weekly_digest_job
from scheduler.duties import visit_duties_job
from storage.models import Cadre, Item, Outbox
from tests.scheduler.conftest import (
    add,
    cadre,
    drain,
    group,
    item,
    make_worker,
    outbox_rows,
    point,
    reminder_keys,
    unit,
    visit,
)

SUN = datetime(2026, 11, 15, 9, 0)  # a reminder day on a Sunday
MON_9 = datetime(2026, 11, 16, 9, 0)


async def _duty_org(db):
    await add(db, unit(1, "后勤处"))
    await add(db, cadre(1, name="张老师"))
    await add(db, point(1, 1, "3号楼"))


async def _status(db) -> list[tuple[str, str | None]]:
    return [(r.status, r.last_error) for r in await outbox_rows(db)]


async def test_duty_reminder_held_over_sunday_is_dropped_when_visits_were_recorded(db, settings):
    await _duty_org(db)
    clock = FixedClock(SUN)
    (queued,) = await visit_duties_job(SUN, db, OutboxSender(), settings)
    assert queued.not_before == MON_9  # the job's time on the next working day, not 08:00
    worker, delivery = make_worker(db, clock, settings)
    await drain(worker)
    assert delivery.sent == []  # Sunday: held
    await add(db, visit(1, date(2026, 11, 15), place="东区3号楼"))  # recorded Sunday afternoon
    clock.set(MON_9)
    await drain(worker)
    assert delivery.sent == []
    assert await _status(db) == [("obsolete", "duties met")]


async def test_duty_reminder_held_over_sunday_is_dropped_for_leave_asked_on_sunday(db, settings):
    await _duty_org(db)
    clock = FixedClock(SUN)
    await visit_duties_job(SUN, db, OutboxSender(), settings)
    async with db.write() as s:  # 「请假 到11月20日」 on Sunday evening
        await s.execute(update(Cadre).where(Cadre.id == 1).values(leave_until=date(2026, 11, 20)))
    worker, delivery = make_worker(db, clock, settings)
    clock.set(MON_9)
    await drain(worker)
    assert delivery.sent == [] and await _status(db) == [("obsolete", "cadre on leave")]
    assert await reminder_keys(db) == set()  # the claim is released: leave is a passing reason


async def test_duty_reminder_rendered_at_delivery_with_a_leave_example_ahead(db, settings):
    await _duty_org(db)
    clock = FixedClock(SUN)
    await visit_duties_job(SUN, db, OutboxSender(), settings)
    worker, delivery = make_worker(db, clock, settings)
    clock.set(MON_9)
    await drain(worker)
    assert delivery.sent == [
        (
            MON_9,
            "张老师",
            "【民情通】11月走访提醒\n"
            "张老师，您本月还有以下走访任务未完成（截至11月16日）：\n"
            "· 包联点走访：3号楼 本月尚未走访\n"
            "走访后直接发一条记录即可，例如「今天到3号楼走访，听取了意见……」；"
            "请假请回复「请假 到11月23日」。",
        )
    ]


async def _item_org(db, deadline: date):
    await add(db, unit(1, "后勤处"))
    await add(db, cadre(1, name="张三"))
    await add(db, item(12, 1, deadline, text="3号楼热水器坏了"))


async def test_item_resolved_during_the_holiday_gets_no_nudge(db, settings):
    await _item_org(db, date(2026, 9, 29))
    late = datetime(2026, 9, 30, 21, 30)  # a run in quiet hours before National Day
    (nudge,) = await deadline_job(late, db, OutboxSender(), settings, Policy())
    assert nudge.not_before == datetime(2026, 10, 8, 9, 0)
    async with db.write() as s:
        await s.execute(update(Item).values(status="resolved", resolved_at=datetime(2026, 10, 5, 10, 0)))
    clock = FixedClock(datetime(2026, 10, 8, 9, 0))
    worker, delivery = make_worker(db, clock, settings)
    await drain(worker)
    assert delivery.sent == [] and await _status(db) == [("obsolete", "nudge:1:#12: item resolved")]


async def test_held_nudge_states_the_overdue_days_at_delivery(db, settings):
    await _item_org(db, date(2026, 9, 29))
    await deadline_job(datetime(2026, 9, 30, 21, 30), db, OutboxSender(), settings, Policy())
    clock = FixedClock(datetime(2026, 10, 8, 9, 0))
    worker, delivery = make_worker(db, clock, settings)
    await drain(worker)
    assert [t for _, _, t in delivery.sent] == [
        "【民情通】催办：以下问题已超过办理期限，请尽快办结：\n"
        "#12 宿舍｜3号楼热水器坏了｜期限9月29日，已逾期9天\n"
        "回复「办结 #12 结果」办结，或「进展 #12 内容」报告进展。"
    ]


async def test_due_soon_held_past_the_deadline_is_not_sent_with_the_nudge(db, settings):
    await _item_org(db, date(2026, 9, 30))
    (soon,) = await deadline_job(datetime(2026, 9, 30, 21, 30), db, OutboxSender(), settings, Policy())
    assert "即将到期" in soon.body and soon.not_before == datetime(2026, 10, 8, 9, 0)
    at = datetime(2026, 10, 8, 9, 0)
    (nudge,) = await deadline_job(at, db, OutboxSender(), settings, Policy())
    assert nudge.subject["keys"] == ["nudge:1:#12"]
    clock = FixedClock(at)
    worker, delivery = make_worker(db, clock, settings)
    await drain(worker)
    assert [t.splitlines()[0] for _, _, t in delivery.sent] == ["【民情通】催办：以下问题已超过办理期限，请尽快办结："]
    assert (await _status(db))[0] == ("obsolete", "due_soon:1:#12: overdue now")


async def test_digest_after_a_holiday_is_recomputed_and_replaced_not_stacked(db, settings):
    await add(db, unit(1, "后勤处"))
    await add(db, cadre(1, name="张三"), group(1, 1))
    await add(
        db, item(12, 1, date(2026, 9, 25), text="3号楼热水器坏了"), item(13, 1, date(2026, 9, 25), text="路灯不亮")
    )
    (held,) = await weekly_digest_job(datetime(2026, 10, 5, 9, 0), db, OutboxSender(), settings, Policy())
    assert held.not_before == datetime(2026, 10, 8, 9, 0) and "#12" in held.body
    async with db.write() as s:  # resolved on the 6th, during the holiday
        await s.execute(
            update(Item).where(Item.id == 12).values(status="resolved", resolved_at=datetime(2026, 10, 6, 10, 0))
        )
    clock = FixedClock(datetime(2026, 10, 8, 9, 0))
    worker, delivery = make_worker(db, clock, settings)
    await drain(worker)
    ((when, who, text),) = delivery.sent
    assert (when, who) == (datetime(2026, 10, 8, 9, 0), "群 chat1")
    assert "#12" not in text and "> #13 宿舍｜路灯不亮｜逾期13天｜张三" in text  # overdue days as of delivery

    # a digest still held when the next week's run comes is replaced, not stacked
    await weekly_digest_job(datetime(2026, 10, 12, 22, 0), db, OutboxSender(), settings, Policy())
    await weekly_digest_job(datetime(2026, 10, 19, 9, 0), db, OutboxSender(), settings, Policy())
    rows = await outbox_rows(db)
    assert [(r.status, r.last_error) for r in rows[1:]] == [
        ("obsolete", "replaced by the digest of the week of 2026-10-12"),
        ("pending", None),
    ]


async def test_a_failed_send_is_not_retried_in_quiet_hours(db, settings):
    await _item_org(db, date(2026, 11, 24))
    at = datetime(2026, 11, 25, 20, 59, 58)  # a manual run just before quiet hours
    (nudge,) = await deadline_job(at, db, OutboxSender(), settings, Policy())
    assert nudge.not_before is None
    clock = FixedClock(at)
    worker, delivery = make_worker(db, clock, settings)
    delivery.fail = 1
    await drain(worker)
    (row,) = await outbox_rows(db)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == datetime(2026, 11, 26, 9, 0)  # not 21:00:03
    clock.set(datetime(2026, 11, 25, 21, 0, 15))
    await drain(worker)
    assert delivery.sent == []
    clock.set(datetime(2026, 11, 26, 9, 0))
    await drain(worker)
    assert [(w, who) for w, who, _ in delivery.sent] == [(datetime(2026, 11, 26, 9, 0), "张三")]
    assert "已逾期2天" in delivery.sent[0][2]  # rendered for the day it is delivered


async def test_a_retry_rechecks_too(db, settings):
    await _item_org(db, date(2026, 11, 24))
    at = datetime(2026, 11, 25, 9, 0)
    await deadline_job(at, db, OutboxSender(), settings, Policy())
    clock = FixedClock(at)
    worker, delivery = make_worker(db, clock, settings)
    delivery.fail = 1
    await drain(worker)
    async with db.write() as s:
        await s.execute(update(Item).values(status="resolved", resolved_at=datetime(2026, 11, 25, 9, 0, 2)))
    clock.set(datetime(2026, 11, 25, 9, 0, 10))
    await drain(worker)
    assert delivery.sent == []
    async with db.session() as s:
        row = (await s.scalars(select(Outbox))).one()
    assert (row.status, row.attempts, row.last_error) == ("obsolete", 1, "nudge:1:#12: item resolved")


async def test_held_digests_for_many_groups_share_one_computation(db, settings, monkeypatch):
    from scheduler import digest

    await add(db, unit(1, "后勤处"), unit(2, "化工学院"), unit(3, "物理学院"))
    await add(db, cadre(1, name="张三"), group(1, 1), group(2, 2), group(3, 3), group(4, None, leaders=True))
    held = await weekly_digest_job(datetime(2026, 10, 5, 9, 0), db, OutboxSender(), settings, Policy())
    assert len(held) == 4
    calls = []
    real = digest.digest_data

    async def counting(*args, **kw):
        calls.append(args[1])
        return await real(*args, **kw)

    monkeypatch.setattr(digest, "digest_data", counting)
    clock = FixedClock(datetime(2026, 10, 8, 9, 0))
    worker, delivery = make_worker(db, clock, settings)
    await drain(worker)
    assert len(delivery.sent) == 4 and calls == [datetime(2026, 10, 8, 9, 0)]


async def test_owner_on_leave_at_delivery_gets_the_nudge_after_coming_back(db, settings):
    await _item_org(db, date(2026, 11, 24))
    await deadline_job(datetime(2026, 11, 25, 21, 30), db, OutboxSender(), settings, Policy())
    async with db.write() as s:
        await s.execute(update(Cadre).where(Cadre.id == 1).values(leave_until=date(2026, 11, 26)))
    clock = FixedClock(datetime(2026, 11, 26, 9, 0))
    worker, delivery = make_worker(db, clock, settings)
    await drain(worker)
    assert delivery.sent == [] and await _status(db) == [("obsolete", "nudge:1:#12: owner on leave")]
    assert await reminder_keys(db) == set()
    back = datetime(2026, 11, 27, 9, 0)
    (again,) = await deadline_job(back, db, OutboxSender(), settings, Policy())
    clock.set(back)
    await drain(worker)
    assert [(w, who) for w, who, _ in delivery.sent] == [(back, "张三")] and "已逾期3天" in again.body


async def test_a_leader_on_leave_does_not_make_the_other_leader_get_the_escalation_twice(db, settings):
    await add(db, unit(1, "后勤处"))
    await add(
        db,
        cadre(1, name="张三"),
        cadre(3, name="王校长", roles=("leader",)),
        cadre(4, name="赵书记", roles=("leader",)),
    )
    await add(db, item(12, 1, date(2026, 11, 12)))
    at = datetime(2026, 11, 24, 21, 30)  # 8 working days after the deadline; held to 11-25 09:00
    sent = await deadline_job(at, db, OutboxSender(), settings, Policy())
    assert sorted(m.to.cadre_id for m in sent if "报领导" in m.body) == [3, 4]
    async with db.write() as s:
        await s.execute(update(Cadre).where(Cadre.id == 3).values(leave_until=date(2026, 11, 30)))
    clock = FixedClock(datetime(2026, 11, 25, 9, 0))
    worker, delivery = make_worker(db, clock, settings)
    await drain(worker)
    assert sorted(who for _, who, t in delivery.sent if "报领导" in t) == ["赵书记"]
    assert "esc_leaders:all:#12" in await reminder_keys(db)  # kept: nobody gets it twice
    clock.set(datetime(2026, 11, 26, 9, 0))
    await deadline_job(clock.now(), db, OutboxSender(), settings, Policy())
    await drain(worker)
    assert sorted(who for _, who, t in delivery.sent if "报领导" in t) == ["赵书记"]


async def test_a_failing_recheck_is_retried_later_not_lost(db, settings, monkeypatch):
    await _item_org(db, date(2026, 11, 24))
    at = datetime(2026, 11, 25, 9, 0)
    await deadline_job(at, db, OutboxSender(), settings, Policy())
    clock = FixedClock(at)
    worker, delivery = make_worker(db, clock, settings)

    async def broken(*_a, **_k):
        raise RuntimeError("database went away")

    monkeypatch.setattr(worker.held, "check", broken)
    await drain(worker)
    (row,) = await outbox_rows(db)
    assert (row.status, row.attempts) == ("pending", 1) and row.next_attempt_at > at
    monkeypatch.undo()
    clock.set(row.next_attempt_at)
    await drain(worker)
    assert [who for _, who, _ in delivery.sent] == ["张三"]


async def test_replaying_an_old_week_does_not_replace_a_newer_digest(db, settings):
    await add(db, unit(1, "后勤处"))
    await add(db, cadre(1, name="张三"), group(1, 1))
    await weekly_digest_job(datetime(2026, 10, 19, 22, 0), db, OutboxSender(), settings, Policy())  # held
    await weekly_digest_job(datetime(2026, 10, 12, 9, 0), db, OutboxSender(), settings, Policy())  # a replay
    assert [(r.status, r.dedupe_key) for r in await outbox_rows(db)] == [
        ("pending", "rem:digest:g1:2026-10-12:1"),
        ("pending", "rem:digest:g1:2026-10-05:1"),
    ]
