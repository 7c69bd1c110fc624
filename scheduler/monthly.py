"""Monthly report to every leader: the month's visit duties, the three lists, metrics, per
unit and per cadre, and how to get the 台账 spreadsheet (attachments depend on the
platform, so the report names the export command instead)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from handlers.policy import Policy
from handlers.texts import reminders as texts
from handlers.texts.formatting import pct
from scheduler import calm, duties
from scheduler.delivery import Envelope, Sender, deliver
from scheduler.settings import SchedulerSettings
from scheduler.split import split_lines
from storage import metrics, sweeps
from storage.db import Database
from storage.metrics import UnitMetrics, UnitPeriod, organisation_totals
from storage.notice import CadreAddress, Notice
from storage.tx import Tx

JOB_NAME = "monthly_report"
NAMES_PER_UNIT = 10


def report_month(today: date) -> tuple[date, date]:
    """The month a report sent on `today` covers: the previous calendar month."""
    end = today.replace(day=1)
    return (end - timedelta(days=1)).replace(day=1), end


def _fit(header: str, head: list[str], body: list[str], tail: list[str], limit: int, max_parts: int) -> list[str]:
    """Split into parts; when more than `max_parts` would be needed, drop body lines from the
    end and say the rest is in the 台账."""
    parts = split_lines([*head, *body, *tail], limit, header=header)
    if len(parts) <= max_parts:
        return parts

    def cut(k: int) -> list[str]:
        return split_lines([*head, *body[:k], texts.MONTHLY_TRUNCATED, *tail], limit, header=header)

    lo, hi = 0, len(body)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(cut(mid)) <= max_parts:
            lo = mid
        else:
            hi = mid - 1
    return cut(lo)


def period_end(slot: datetime, settings: SchedulerSettings) -> datetime:
    """A report run's period ends at the next month's run."""
    first = slot.date().replace(day=1)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, settings.monthly_day)
    return datetime.combine(nxt, settings.monthly_time)


async def report_bodies(
    s: Tx, start: date, end: date, today: date, settings: SchedulerSettings, policy: Policy, people: list | None = None
) -> list[str]:
    """The report on [start, end) as computed on `today`, split into message parts."""
    people = people if people is not None else await sweeps.load_people(s)
    status = await duties.evaluate(s, settings.duties, start, end, people)
    unit_names = await sweeps.units(s)
    periods = await metrics.unit_period(s, start, end, today)
    mets = await metrics.unit_metrics(
        s,
        datetime.combine(end, datetime.min.time()),
        response_hours=policy.response_hours,
        weights=policy.satisfaction_weights,
    )
    return _compose(start, status, unit_names, periods, mets, settings)


def _leader_reason(p, today: date, settings: SchedulerSettings) -> str | None:
    if p is None:
        return "leader inactive"
    if settings.leader_role not in p.roles:
        return "no longer a leader"
    return "leader on leave" if calm.on_leave(p.leave_until, today, p.leave_from) else None


async def render_held(
    s: Tx,
    now: datetime,
    settings: SchedulerSettings,
    policy: Policy,
    subject: dict,
    bodies: Callable[[str], Awaitable[list[str]]] | None = None,
) -> tuple[list[str], str | None]:
    """A held report recomputed at `now`, or ([], reason) when it no longer applies (a report
    on a finished month stays true, so it has no period end at delivery). `bodies(month)` may
    supply the report shared by the leaders delivered together."""
    people = await sweeps.load_people(s)
    me = next((p for p in people if p.id == int(subject["leader"])), None)
    why = _leader_reason(me, now.date(), settings)
    if why:
        return [], why
    if bodies is not None:
        return await bodies(subject["month"]), None
    start = date.fromisoformat(subject["month"] + "-01")
    _, end = duties.month_bounds(start)
    return await report_bodies(s, start, end, now.date(), settings, policy, people), None


async def monthly_report_job(
    now: datetime,
    db: Database,
    sender: Sender,
    settings: SchedulerSettings,
    policy: Policy | None = None,
    *,
    dry_run: bool = False,
    slot: datetime | None = None,
) -> list[Notice]:
    """Send the report on the month before the run's (`slot`, default `now`) to each leader
    once (key monthly:{leader}:{YYYY-MM})."""
    policy = policy or Policy()
    slot = slot or now
    today = now.date()
    start, end = report_month(slot.date())
    async with db.session() as s:
        people = await sweeps.load_people(s)
        leaders = [p for p in people if _leader_reason(p, today, settings) is None]
        if not leaders:
            return []
        bodies = await report_bodies(s, start, end, today, settings, policy, people)
    when = calm.not_before(now, settings, settings.monthly_time)
    envelopes = []
    for leader in leaders:
        subject = {"job": JOB_NAME, "leader": leader.id, "month": f"{start:%Y-%m}"}

        def render(_keys: list[str], pid=leader.id, subject=subject) -> list[Notice]:
            return [Notice(CadreAddress(pid), b, not_before=when, subject=subject) for b in bodies]

        envelopes.append(Envelope([(f"monthly:{leader.id}:{start:%Y-%m}", leader.id)], render))
    return await deliver(db, now, sender, envelopes, dry_run=dry_run)


def _compose(
    start: date, status: dict, unit_names: dict, periods: dict, mets: dict, settings: SchedulerSettings
) -> list[str]:
    met: dict[int, int] = defaultdict(int)
    owed: dict[int, int] = defaultdict(int)
    unmet: dict[int, list[str]] = defaultdict(list)
    for st in status.values():
        if st.has_duties:
            owed[st.person.unit_id] += 1
            if st.met:
                met[st.person.unit_id] += 1
            else:
                unmet[st.person.unit_id].append(st.person.name)
    total_p, total_m = organisation_totals(periods, mets)
    n_met, n_owed = sum(met.values()), sum(owed.values())

    header = texts.MONTHLY_TITLE.format(year=start.year, month=start.month)
    head = [
        texts.MONTHLY_DUTIES.format(
            met=n_met, total=n_owed, rate=pct(n_met / n_owed if n_owed else None), visits=total_p.visits
        ),
        texts.MONTHLY_LISTS.format(problems=total_p.new, tasks=total_p.tasks, effects=total_p.resolved),
        texts.MONTHLY_METRICS.format(
            response=pct(total_m.response_rate),
            resolve=pct(total_m.resolve_rate),
            ontime=pct(total_m.on_time_rate),
            satisfaction=pct(total_m.satisfaction_rate),
            reopen=pct(total_m.reopen_rate),
            overdue=total_p.overdue,
        ),
    ]
    order = sorted(unit_names, key=lambda u: (met[u] / owed[u] if owed[u] else 2.0, unit_names[u]))
    body = [texts.MONTHLY_BY_UNIT]
    for uid in order:
        p, m = periods.get(uid, UnitPeriod()), mets.get(uid, UnitMetrics())
        body.append(
            texts.MONTHLY_UNIT_LINE.format(
                unit=unit_names[uid],
                met=met[uid],
                total=owed[uid],
                visits=p.visits,
                problems=p.new,
                tasks=p.tasks,
                effects=p.resolved,
                overdue=p.overdue,
                response=pct(m.response_rate),
                resolve=pct(m.resolve_rate),
                ontime=pct(m.on_time_rate),
                satisfaction=pct(m.satisfaction_rate),
            )
        )
    if unmet:
        body.append(texts.MONTHLY_UNMET)
        for uid in order:
            names = sorted(unmet.get(uid, ()))
            if names:
                shown = texts.SEP.join(names[:NAMES_PER_UNIT])
                if len(names) > NAMES_PER_UNIT:
                    shown += texts.MORE.format(total=len(names))
                body.append(texts.MONTHLY_UNMET_LINE.format(unit=unit_names[uid], names=shown))
    tail = [texts.MONTHLY_LEDGER.format(ym=f"{start:%Y-%m}")]
    return _fit(header, head, body, tail, settings.person_bytes, settings.monthly_max_parts)
