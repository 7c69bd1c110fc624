"""Monthly visit duties: who still owes which visit, and the personal reminder job."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.policy import Policy
from scheduler import calm, texts
from scheduler.delivery import Envelope, Message, Sender, deliver
from scheduler.settings import OWN_POINTS, DutyRule, SchedulerSettings
from scheduler.split import split_lines
from storage import sweeps
from storage.db import Database
from storage.sweeps import Person

JOB_NAME = "visit_duties"


def month_bounds(day: date) -> tuple[date, date]:
    """[first day of `day`'s month, first day of the next month)."""
    start = day.replace(day=1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, end


@dataclass
class DutyStatus:
    """A cadre's duties in one month: `missing` lines are empty when all are met."""

    person: Person
    has_duties: bool = False
    missing: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return self.has_duties and not self.missing


async def evaluate(
    session: AsyncSession, rules: tuple[DutyRule, ...], start: date, end: date,
    people: list[Person] | None = None,
) -> dict[int, DutyStatus]:
    """Duty status of every active cadre for visits dated in [start, end) — two queries
    (the month's visits, all points), whatever the number of cadres."""
    if people is None:
        people = await sweeps.load_people(session)
    by_type: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    places: dict[int, list[str]] = defaultdict(list)
    for cadre_id, ptype, place in await sweeps.visit_places(session, start, end):
        by_type[cadre_id][ptype] += 1
        if place:
            places[cadre_id].append(place)
    points: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    if any(r.what == OWN_POINTS for r in rules):
        for cadre_id, _pid, name, ptype in await sweeps.all_points(session):
            # A visit counts for a point when its place names the point ("东区3号楼" → 3号楼).
            points[cadre_id].append((name, ptype, sum(1 for pl in places.get(cadre_id, ()) if name in pl)))

    out: dict[int, DutyStatus] = {}
    for p in people:
        st = DutyStatus(p)
        for rule in rules:
            if not rule.applies_to(p.roles):
                continue
            if rule.what == OWN_POINTS:
                mine = [x for x in points.get(p.id, ())
                        if not rule.point_types or x[1] in rule.point_types]
                if not mine:
                    continue
                st.has_duties = True
                short = [(name, n) for name, _t, n in mine if n < rule.times]
                if short:
                    shown = [name if rule.times == 1 else
                             texts.DUTY_POINT_TIMES.format(point=name, done=n, times=rule.times)
                             for name, n in short]
                    st.missing.append(texts.DUTY_POINTS.format(rule=rule.name, points=texts.SEP.join(shown)))
                    st.examples.append(short[0][0])
            else:
                st.has_duties = True
                done = sum(by_type.get(p.id, {}).get(t, 0) for t in rule.what)
                if done < rule.times:
                    st.missing.append(texts.DUTY_TYPES.format(
                        rule=rule.name, types=texts.SEP.join(rule.what), done=done, left=rule.times - done))
                    st.examples.append(rule.what[0])
        out[p.id] = st
    return out


def reminder_period(today: date, settings: SchedulerSettings) -> str:
    """The reminder day a run on `today` belongs to (a late or repeated run on the 16th
    still belongs to the 15th), as YYYY-MM-DD."""
    day = max((d for d in settings.reminder_days if d <= today.day), default=today.day)
    return today.replace(day=day).isoformat()


async def visit_duties_job(
    now: datetime, db: Database, sender: Sender, settings: SchedulerSettings,
    policy: Policy | None = None, *, dry_run: bool = False,
) -> list[Message]:
    """Remind each cadre who has not yet met this month's duties, once per reminder day,
    naming exactly what is missing. Cadres on leave and cadres who met all duties get
    nothing. Returns the messages queued (or that would be, with `dry_run`)."""
    today = now.date()
    start, end = month_bounds(today)
    async with db.session() as s:
        status = await evaluate(s, settings.duties, start, end)
    period = reminder_period(today, settings)
    when = calm.not_before(now, settings)
    envelopes = []
    for st in status.values():
        p = st.person
        if not st.missing or calm.on_leave(p.leave_until, today):
            continue
        lines = [texts.DUTY_INTRO.format(name=p.name, today=f"{today.month}月{today.day}日"),
                 *st.missing, texts.DUTY_REPLY.format(example=st.examples[0])]
        bodies = split_lines(lines, settings.person_bytes,
                             header=texts.DUTY_HEAD.format(month=today.month))

        def render(_keys: list[str], p=p, bodies=bodies) -> list[Message]:
            return [Message("cadre", str(p.id), b, not_before=when) for b in bodies]

        envelopes.append(Envelope([(f"duty:{p.id}:{period}", p.id)], render))
    return await deliver(db, now, sender, envelopes, dry_run=dry_run)
