"""Property over the real calendar (issue 12): for every day of 2026 and 2027 and every job,
the product's own jobs and outbox worker never deliver on a non-working day or in quiet hours,
and never deliver a reminder that no longer applies at the moment it goes out.

A seeded simulation on a fixed clock: items are raised, resolved (also at night and on
holidays), visits recorded, leave asked; each job runs at its scheduled time and again late
in the evening (a manual run: its messages are held); the worker drains the queue after
each run. An independent oracle, kept by the test from the same events, checks each
delivered message against the state at its delivery time."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import update

from handlers.clock import FixedClock
from handlers.policy import Policy
from scheduler import calm
from scheduler.coverage import holiday_check_job
from scheduler.deadlines import deadline_job
from scheduler.delivery import OutboxSender
from scheduler.digest import weekly_digest_job
from scheduler.duties import visit_duties_job
from scheduler.monthly import monthly_report_job
from storage.models import Cadre, Item
from tests.scheduler.conftest import add, cadre, drain, group, item, make_worker, point, unit, visit

START, END = date(2026, 1, 1), date(2027, 12, 31)
NAMES = {1: "张三", 2: "李四", 3: "王处长", 4: "赵校长", 5: "钱书记", 6: "孙老师"}
CHECKPOINTS = (time(9, 0), time(21, 30))


@dataclass
class Event:
    at: datetime
    kind: str  # item | resolve | visit | leave
    data: dict


def _events(rng: random.Random) -> list[Event]:
    out: list[Event] = []
    day, iid = START, 0
    while day <= END:
        if rng.random() < 0.15:
            iid += 1
            created = datetime.combine(day, time(rng.randrange(7, 23), rng.choice((0, 30))))
            owner = rng.choice((1, 2))
            deadline = day + timedelta(days=rng.randrange(1, 20))
            out.append(
                Event(created, "item", dict(id=iid, owner=owner, deadline=deadline, reporter=rng.choice((1, 2, 3))))
            )
            if rng.random() < 0.7:
                done = created + timedelta(days=rng.randrange(0, 30), hours=rng.randrange(0, 24))
                out.append(Event(done, "resolve", dict(id=iid)))
        if rng.random() < 0.12:
            out.append(
                Event(datetime.combine(day, time(rng.randrange(0, 24), 15)), "visit", dict(cadre=rng.choice((1, 2))))
            )
        if rng.random() < 0.02:
            who = rng.choice((1, 2, 3, 4, 5))
            out.append(
                Event(
                    datetime.combine(day, time(rng.randrange(0, 24), 45)),
                    "leave",
                    dict(cadre=who, until=day + timedelta(days=rng.randrange(0, 10))),
                )
            )
        day += timedelta(days=1)
    return sorted(out, key=lambda e: e.at)


class Oracle:
    """The world as the test knows it, independent of the product's queries."""

    def __init__(self) -> None:
        self.open: dict[int, int] = {}  # item id -> owner
        self.leave: dict[int, date] = {}
        self.visits: set[tuple[int, date]] = set()

    def apply(self, e: Event) -> None:
        if e.kind == "item":
            self.open[e.data["id"]] = e.data["owner"]
        elif e.kind == "resolve":
            self.open.pop(e.data["id"], None)
        elif e.kind == "visit":
            self.visits.add((e.data["cadre"], e.at.date()))
        elif e.kind == "leave":
            self.leave[e.data["cadre"]] = e.data["until"]

    def on_leave(self, cid: int, today: date) -> bool:
        return cid in self.leave and self.leave[cid] >= today

    def visited_this_month(self, cid: int, today: date) -> bool:
        return any(c == cid and d.year == today.year and d.month == today.month for c, d in self.visits)

    def problems(self, at: datetime, who: str, text: str, settings) -> list[str]:
        out = []
        if not calm.is_allowed(at, settings):
            out.append("delivered at a time not allowed")
        ids = [int(x) for x in re.findall(r"#(\d+)", text)]
        person = next((cid for cid, name in NAMES.items() if name == who), None)
        if person is not None and self.on_leave(person, at.date()):
            out.append("recipient on leave")
        if "走访提醒" in text:
            if person is None or self.visited_this_month(person, at.date()):
                out.append("duty already met")
            if f"【民情通】{at.month}月走访提醒" not in text:
                out.append("duty reminder of another month")
        elif "工作月报" not in text:
            out.extend(f"#{i} is closed" for i in ids if i not in self.open)
        return out


async def _apply(db, e: Event) -> None:
    if e.kind == "item":
        d = e.data
        await add(
            db,
            item(
                d["id"],
                d["owner"],
                d["deadline"],
                created_at=e.at,
                status="new",
                reporter_id=d["reporter"],
                text=f"问题{d['id']}",
            ),
        )
    elif e.kind == "resolve":
        async with db.write() as s:
            await s.execute(
                update(Item)
                .where(Item.id == e.data["id"])
                .values(status="resolved", resolved_at=e.at, responded_at=e.at)
            )
    elif e.kind == "visit":
        await add(db, visit(e.data["cadre"], e.at.date(), place=f"{e.data['cadre']}号楼"))
    elif e.kind == "leave":
        async with db.write() as s:
            await s.execute(update(Cadre).where(Cadre.id == e.data["cadre"]).values(leave_until=e.data["until"]))


async def test_no_delivery_on_non_working_days_in_quiet_hours_or_after_it_stopped_applying(db, settings):
    await add(db, unit(1, "后勤处"))
    await add(
        db,
        cadre(1, name=NAMES[1]),
        cadre(2, name=NAMES[2]),
        cadre(3, name=NAMES[3], roles=("unit_head",)),
        cadre(4, name=NAMES[4], roles=("leader",)),
        cadre(5, name=NAMES[5], roles=("leader",)),
        cadre(6, name=NAMES[6], roles=("admin",)),
    )
    await add(db, point(1, 1, "1号楼"), point(2, 2, "2号楼"), group(1, 1), group(2, None, leaders=True))
    policy = Policy()
    events = _events(random.Random(12))
    oracle = Oracle()
    clock = FixedClock(datetime.combine(START, time(0, 0)))
    worker, delivery = make_worker(db, clock, settings, policy)
    sender = OutboxSender()
    seen, pending = 0, iter(events)
    nxt = next(pending, None)
    failures: list[str] = []
    day = START
    while day <= END:
        for cp in CHECKPOINTS:
            now = datetime.combine(day, cp)
            while nxt is not None and nxt.at <= now:
                await _apply(db, nxt)
                oracle.apply(nxt)
                nxt = next(pending, None)
            clock.set(now)
            late = cp == time(21, 30)
            if late and day.toordinal() % 5:
                continue  # no late run today: nothing new could be due in the evening
            # the scheduled runs at 09:00; on every fifth day late manual runs at 21:30
            await deadline_job(now, db, sender, settings, policy)
            if day.day in settings.reminder_days:
                await visit_duties_job(now, db, sender, settings, policy)
            if not late and day.weekday() == 0:
                await weekly_digest_job(now, db, sender, settings, policy)
            if not late and day.day == settings.monthly_day:
                await monthly_report_job(now, db, sender, settings, policy)
            if not late:
                await holiday_check_job(now, db, sender, settings, policy)
            await drain(worker)
            for at, who, text in delivery.sent[seen:]:
                failures += [f"{at} → {who}: {p}\n{text}" for p in oracle.problems(at, who, text, settings)]
            seen = len(delivery.sent)
        day += timedelta(days=1)
    assert failures == []
    # the simulation did deliver: every kind of message, on 调休 Saturdays too
    texts = [t for _, _, t in delivery.sent]
    assert any("走访提醒" in t for t in texts) and any("催办" in t for t in texts)
    assert any("督办" in t for t in texts) and any("周报" in t for t in texts)
    assert any("工作月报" in t for t in texts)
    assert {who for _, who, t in delivery.sent if "报领导" in t} == {NAMES[4], NAMES[5]}
    assert [(at, who) for at, who, t in delivery.sent if "节假日安排尚未录入" in t] == [
        (datetime(2026, 11, 2, 9, 0), NAMES[6]),
        (datetime(2027, 11, 1, 9, 0), NAMES[6]),
    ]
    tiaoxiu = {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    }
    assert any(at.date() in tiaoxiu for at, _, _ in delivery.sent)
