"""Monthly visit duties: who still owes which visit, and the personal reminder job."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from handlers.nlu.places import names_place
from handlers.policy import Policy
from handlers.texts import reminders as texts
from handlers.texts.formatting import example_date, fmt_date
from scheduler import calm
from scheduler.delivery import Envelope, Sender, deliver
from scheduler.settings import OWN_POINTS, DutyRule, SchedulerSettings
from scheduler.split import split_lines
from storage import sweeps
from storage.db import Database
from storage.notice import CadreAddress, Notice
from storage.sweeps import Person
from storage.tx import Tx

log = logging.getLogger(__name__)

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
        """True when the cadre has duties this month and none is missing."""
        return self.has_duties and not self.missing


async def evaluate(
    session: Tx,
    rules: tuple[DutyRule, ...],
    start: date,
    end: date,
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
            # A visit counts for a point when its place names the point ("东区3号楼" → 3号楼,
            # "梅园三栋" → 梅园3栋).
            points[cadre_id].append((name, ptype, sum(1 for pl in places.get(cadre_id, ()) if names_place(pl, name))))

    out: dict[int, DutyStatus] = {}
    for p in people:
        st = DutyStatus(p)
        for rule in rules:
            if not rule.applies_to(p.roles):
                continue
            if rule.what == OWN_POINTS:
                mine = [x for x in points.get(p.id, ()) if not rule.point_types or x[1] in rule.point_types]
                if not mine:
                    continue
                st.has_duties = True
                short = [(name, n) for name, _t, n in mine if n < rule.times]
                if short:
                    shown = [
                        name if rule.times == 1 else texts.DUTY_POINT_TIMES.format(point=name, done=n, times=rule.times)
                        for name, n in short
                    ]
                    st.missing.append(texts.DUTY_POINTS.format(rule=rule.name, points=texts.SEP.join(shown)))
                    st.examples.append(short[0][0])
            else:
                st.has_duties = True
                done = sum(by_type.get(p.id, {}).get(t, 0) for t in rule.what)
                if done < rule.times:
                    st.missing.append(
                        texts.DUTY_TYPES.format(
                            rule=rule.name, types=texts.SEP.join(rule.what), done=done, left=rule.times - done
                        )
                    )
                    st.examples.append(rule.what[0])
        out[p.id] = st
    return out


def reminder_period(today: date, settings: SchedulerSettings) -> str:
    """The reminder day a run on `today` belongs to (a late or repeated run on the 16th
    still belongs to the 15th), as YYYY-MM-DD."""
    day = max((d for d in settings.reminder_days if d <= today.day), default=today.day)
    return today.replace(day=day).isoformat()


def period_end(period: date, settings: SchedulerSettings) -> datetime:
    """When a reminder day's period ends: the next reminder day's run, or the month's end,
    whichever is first. A reminder never goes out after its period."""
    _, month_end = month_bounds(period)
    later = [d for d in settings.reminder_days if d > period.day]
    if later:
        return datetime.combine(period.replace(day=later[0]), settings.reminder_time)
    return datetime.combine(month_end, datetime.min.time())


def duty_bodies(st: DutyStatus, today: date, settings: SchedulerSettings) -> list[str]:
    """A cadre's reminder as of `today` (the day it is delivered)."""
    p = st.person
    lines = [
        texts.DUTY_INTRO.format(name=p.name, today=fmt_date(today)),
        *st.missing,
        texts.DUTY_REPLY.format(example=st.examples[0], leave_until=example_date(today)),
    ]
    return split_lines(lines, settings.person_bytes, header=texts.DUTY_HEAD.format(month=today.month))


def _reason(st: DutyStatus | None, today: date) -> str | None:
    if st is None:
        return "cadre inactive"
    if calm.on_leave(st.person.leave_until, today, st.person.leave_from):
        return "cadre on leave"
    if not st.missing:
        return "duties met"
    return None


async def render_held(
    session: Tx, now: datetime, settings: SchedulerSettings, subject: dict
) -> tuple[list[str], str | None]:
    """Bodies of a held duty reminder at `now` (duties evaluated again for its month), or
    ([], reason) when it no longer applies."""
    period = date.fromisoformat(subject["period"])
    if now >= period_end(period, settings):
        return [], "period ended"
    start, end = month_bounds(period)
    people = [p for p in await sweeps.load_people(session) if p.id == int(subject["person"])]
    status = await evaluate(session, settings.duties, start, end, people)
    st = status.get(int(subject["person"]))
    why = _reason(st, now.date())
    if st is None or why:
        return [], why
    return duty_bodies(st, now.date(), settings), None


async def visit_duties_job(
    now: datetime,
    db: Database,
    sender: Sender,
    settings: SchedulerSettings,
    policy: Policy | None = None,
    *,
    dry_run: bool = False,
    slot: datetime | None = None,
) -> list[Notice]:
    """Remind each cadre who has not yet met the duties of the month the run belongs to
    (`slot`, the scheduled time; default `now`), once per reminder day, naming exactly what
    is missing. Cadres on leave and cadres who met all duties get nothing. Returns the
    messages queued (or that would be, with `dry_run`)."""
    today = now.date()
    period = date.fromisoformat(reminder_period((slot or now).date(), settings))
    if now >= period_end(period, settings):
        return []
    start, end = month_bounds(period)
    async with db.session() as s:
        status = await evaluate(s, settings.duties, start, end)
    when = calm.not_before(now, settings, settings.reminder_time)
    if when is not None and when >= period_end(period, settings):
        log.info("visit_duties: held until %s, after its period (%s) ended; not queued", when, period)
        return []
    envelopes = []
    for st in status.values():
        p = st.person
        if _reason(st, today):
            continue
        bodies = duty_bodies(st, today, settings)
        subject = {"job": JOB_NAME, "person": p.id, "period": period.isoformat()}

        def render(_keys: list[str], p=p, bodies=bodies, subject=subject) -> list[Notice]:
            return [Notice(CadreAddress(p.id), b, not_before=when, subject=subject) for b in bodies]

        envelopes.append(Envelope([(f"duty:{p.id}:{period}", p.id)], render))
    return await deliver(db, now, sender, envelopes, dry_run=dry_run)
