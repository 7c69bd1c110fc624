"""Monthly report to every leader: the month's visit duties, the three lists, metrics, per
unit and per cadre, and how to get the 台账 spreadsheet (attachments depend on the
platform, so the report names the export command instead)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from handlers.policy import Policy
from scheduler import calm, duties, texts
from scheduler.delivery import Envelope, Message, Sender, deliver
from scheduler.digest import pct
from scheduler.settings import SchedulerSettings
from scheduler.split import split_lines
from storage import metrics, sweeps
from storage.db import Database
from storage.metrics import UnitMetrics, UnitPeriod, organisation_totals

JOB_NAME = "monthly_report"
NAMES_PER_UNIT = 10


def report_month(today: date) -> tuple[date, date]:
    """The month a report sent on `today` covers: the previous calendar month."""
    end = today.replace(day=1)
    return (end - timedelta(days=1)).replace(day=1), end


def _fit(header: str, head: list[str], body: list[str], tail: list[str], limit: int,
         max_parts: int) -> list[str]:
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


async def monthly_report_job(
    now: datetime, db: Database, sender: Sender, settings: SchedulerSettings,
    policy: Policy | None = None, *, dry_run: bool = False,
) -> list[Message]:
    """Send last month's report to each leader once (key monthly:{leader}:{YYYY-MM})."""
    policy = policy or Policy()
    today = now.date()
    start, end = report_month(today)
    async with db.session() as s:
        people = await sweeps.load_people(s)
        leaders = [p for p in people
                   if settings.leader_role in p.roles and not calm.on_leave(p.leave_until, today)]
        if not leaders:
            return []
        status = await duties.evaluate(s, settings.duties, start, end, people)
        unit_names = await sweeps.units(s)
        periods = await metrics.unit_period(s, start, end, today)
        mets = await metrics.unit_metrics(s, datetime.combine(end, datetime.min.time()),
                                          response_hours=policy.response_hours,
                                          weights=policy.satisfaction_weights)

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
        texts.MONTHLY_DUTIES.format(met=n_met, total=n_owed, rate=pct(n_met / n_owed if n_owed else None),
                                    visits=total_p.visits),
        texts.MONTHLY_LISTS.format(problems=total_p.new, tasks=total_p.tasks, effects=total_p.resolved),
        texts.MONTHLY_METRICS.format(
            response=pct(total_m.response_rate), resolve=pct(total_m.resolve_rate),
            ontime=pct(total_m.on_time_rate), satisfaction=pct(total_m.satisfaction_rate),
            reopen=pct(total_m.reopen_rate), overdue=total_p.overdue),
    ]
    order = sorted(unit_names, key=lambda u: (met[u] / owed[u] if owed[u] else 2.0, unit_names[u]))
    body = [texts.MONTHLY_BY_UNIT]
    for uid in order:
        p, m = periods.get(uid, UnitPeriod()), mets.get(uid, UnitMetrics())
        body.append(texts.MONTHLY_UNIT_LINE.format(
            unit=unit_names[uid], met=met[uid], total=owed[uid], visits=p.visits, problems=p.new,
            tasks=p.tasks, effects=p.resolved, overdue=p.overdue, response=pct(m.response_rate),
            resolve=pct(m.resolve_rate), ontime=pct(m.on_time_rate), satisfaction=pct(m.satisfaction_rate)))
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
    bodies = _fit(header, head, body, tail, settings.person_bytes, settings.monthly_max_parts)

    when = calm.not_before(now, settings)
    envelopes = []
    for leader in leaders:
        def render(_keys: list[str], pid=leader.id) -> list[Message]:
            return [Message("cadre", str(pid), b, not_before=when) for b in bodies]
        envelopes.append(Envelope([(f"monthly:{leader.id}:{start:%Y-%m}", leader.id)], render))
    return await deliver(db, now, sender, envelopes, dry_run=dry_run)
