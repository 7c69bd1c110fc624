"""Visit-duty reminders: who is reminded, of what, when, and only once."""

from __future__ import annotations

from datetime import date, datetime

from scheduler.duties import reminder_period, visit_duties_job
from scheduler.settings import parse_settings
from storage.notice import CadreAddress
from tests.scheduler.conftest import add, cadre, point, reminder_keys, unit, visit

OCT15 = datetime(2026, 10, 15, 9, 0)  # a Thursday, a working day


async def org(db):
    await add(db, unit(1), unit(2))
    await add(
        db,
        cadre(1, name="张老师"),  # two dorms, visits one
        cadre(2, name="李老师"),  # two dorms, visits both
        cadre(3, name="王辅导员", roles=("cadre", "辅导员")),  # one dorm + canteen duty
        cadre(4, name="赵处长", roles=("cadre", "中层副职以上"), unit_id=2),  # canteen only
        cadre(5, name="钱干部"),  # no points, no duty roles: no duties at all
        cadre(6, name="孙书记", roles=("leader",), unit_id=2),
    )  # leader with a contact unit
    await add(
        db,
        point(1, 1, "3号楼"),
        point(2, 1, "5号楼"),
        point(3, 2, "3号楼"),
        point(4, 2, "7号楼"),
        point(5, 3, "9号楼"),
        point(6, 6, "化工学院", "点位"),
    )
    await add(
        db,
        visit(1, date(2026, 10, 3), place="东区3号楼"),
        visit(2, date(2026, 10, 2), place="3号楼"),
        visit(2, date(2026, 10, 9), place="7号楼"),
        visit(3, date(2026, 10, 5), place="9号楼"),
        visit(4, date(2026, 9, 30), "食堂", "一食堂", unit_id=2),
    )  # last month: does not count


async def test_each_cadre_is_told_exactly_what_is_missing(db, sender, settings):
    await org(db)
    sent = await visit_duties_job(OCT15, db, sender, settings)
    by = {m.to.cadre_id: m.body for m in sent}
    assert set(by) == {1, 3, 4, 6}  # 2 met all duties; 5 has none
    assert "5号楼" in by[1] and "3号楼" not in by[1].split("未完成")[1].split("走访后")[0]
    assert "食堂陪餐" in by[3] and "9号楼" not in by[3]
    assert "食堂陪餐" in by[4] and "还需1次" in by[4]
    assert "化工学院" in by[6]
    assert all("走访后直接发一条记录" in b and "请假" in b for b in by.values())
    assert all(isinstance(m.to, CadreAddress) and m.not_before is None for m in sent)
    assert sender.sent == sent


async def test_configured_rules_and_times(db, sender):
    await org(db)
    s = parse_settings({"duties": [{"name": "包联宿舍", "what": "own_points", "point_types": ["宿舍"], "times": 2}]})
    sent = await visit_duties_job(OCT15, db, sender, s)
    by = {m.to.cadre_id: m.body for m in sent}
    assert set(by) == {1, 2, 3}  # 6's point is not a dormitory
    assert "3号楼（1/2次）" in by[1] and "5号楼（0/2次）" in by[1]


async def test_revoked_visits_do_not_count(db, sender, settings):
    await org(db)
    await add(db, visit(1, date(2026, 10, 4), place="5号楼", revoked=True))
    sent = await visit_duties_job(OCT15, db, sender, settings)
    assert "5号楼" in next(m.body for m in sent if m.to.cadre_id == 1)


async def test_once_per_reminder_day(db, sender, settings):
    await org(db)
    first = await visit_duties_job(OCT15, db, sender, settings)
    assert await visit_duties_job(OCT15, db, sender, settings) == []
    # a late (catch-up) run on the 16th belongs to the 15th
    assert await visit_duties_job(datetime(2026, 10, 16, 10, 0), db, sender, settings) == []
    again = await visit_duties_job(datetime(2026, 10, 26, 9, 0), db, sender, settings)
    assert {m.to.cadre_id for m in again} == {m.to.cadre_id for m in first}
    assert "duty:1:2026-10-15" in await reminder_keys(db) and "duty:1:2026-10-25" in await reminder_keys(db)


def test_reminder_period():
    s = parse_settings({})
    assert reminder_period(date(2026, 10, 15), s) == "2026-10-15"
    assert reminder_period(date(2026, 10, 24), s) == "2026-10-15"
    assert reminder_period(date(2026, 10, 31), s) == "2026-10-25"
    assert reminder_period(date(2026, 10, 3), s) == "2026-10-03"  # a manual run before any day


async def test_month_boundary_and_met_on_the_last_day(db, sender, settings):
    await add(db, unit(1), cadre(1))
    await add(db, point(1, 1, "3号楼"))
    sent = await visit_duties_job(datetime(2026, 10, 25, 9, 0), db, sender, settings)
    assert [m.to.cadre_id for m in sent] == [1]
    await add(db, visit(1, date(2026, 10, 31), place="3号楼"))  # met on the last day of October
    from scheduler.duties import evaluate, month_bounds

    async with db.session() as s:
        october = await evaluate(s, settings.duties, *month_bounds(date(2026, 10, 1)))
        november = await evaluate(s, settings.duties, *month_bounds(date(2026, 11, 1)))
    assert october[1].met and not november[1].met
    # the visit of 31 October does not count for November
    sent = await visit_duties_job(datetime(2026, 11, 16, 9, 0), db, sender, settings)
    assert [m.to.cadre_id for m in sent] == [1]
    # a visit on 1 November does
    await add(db, visit(1, date(2026, 11, 1), place="3号楼"))
    assert await visit_duties_job(datetime(2026, 11, 25, 9, 0), db, sender, settings) == []


async def test_cadres_on_leave_or_inactive_get_nothing(db, sender, settings):
    await add(
        db,
        unit(1),
        cadre(1, leave_until=date(2026, 10, 15)),
        cadre(2, leave_until=date(2026, 10, 14)),
        cadre(3, active=False),
    )
    await add(db, point(1, 1, "1号楼"), point(2, 2, "2号楼"), point(3, 3, "3号楼"))
    sent = await visit_duties_job(OCT15, db, sender, settings)
    assert [m.to.cadre_id for m in sent] == [2]  # 1 is on leave until today; 3 left
    assert "duty:1:2026-10-15" not in await reminder_keys(db)  # not claimed: nothing was sent


async def test_quiet_hours_and_holidays_defer_delivery(db, sender, settings):
    await add(db, unit(1), cadre(1), cadre(2))
    await add(db, point(1, 1, "1号楼"), point(2, 2, "2号楼"))
    late = await visit_duties_job(datetime(2026, 9, 15, 22, 0), db, sender, settings)
    assert {m.not_before for m in late} == {datetime(2026, 9, 16, 9, 0)}
    s = parse_settings({"reminder_days": [5]})
    holiday = await visit_duties_job(datetime(2026, 10, 5, 9, 0), db, sender, s)  # National Day
    assert {m.not_before for m in holiday} == {datetime(2026, 10, 8, 9, 0)}
    s = parse_settings({"reminder_days": [10]})
    tiaoxiu = await visit_duties_job(datetime(2026, 10, 10, 9, 0), db, sender, s)  # 调休 Saturday
    assert len(tiaoxiu) == 2 and {m.not_before for m in tiaoxiu} == {None}


async def test_a_long_reminder_is_split_within_the_person_limit(db, sender, settings):
    await add(db, unit(1), cadre(1))
    await add(db, *[point(i, 1, f"东区学生公寓第{i}号楼（研究生）") for i in range(1, 80)])
    sent = await visit_duties_job(OCT15, db, sender, settings)
    assert len(sent) > 1
    assert all(len(m.body.encode()) <= settings.person_bytes for m in sent)
    assert all(m.body.startswith("【民情通】10月走访提醒（") for m in sent)
    assert len({m.dedupe_key for m in sent}) == len(sent)
