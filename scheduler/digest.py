"""Weekly digest to every bound group chat, and the whole organisation by unit to the
leaders' group. Item texts are masked (handlers.privacy) before they reach a group."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from handlers.policy import Policy
from handlers.privacy import mask
from handlers.texts import reminders as texts
from handlers.texts.formatting import pct
from scheduler import calm
from scheduler.delivery import Envelope, Sender, deliver
from scheduler.settings import SchedulerSettings
from scheduler.split import fit_list, split_lines
from storage import metrics, outbox, sweeps
from storage.db import Database
from storage.metrics import UnitMetrics, UnitPeriod, organisation_totals
from storage.models import GroupBinding
from storage.notice import GroupAddress, Notice
from storage.roster import get_group
from storage.tx import Tx

JOB_NAME = "weekly_digest"
OVERDUE_LISTED = 10  # per unit, longest overdue first: a group digest is read at a glance ("……共N项逾期")
TEXT_CHARS = 40


def last_week(today: date) -> tuple[date, date]:
    """[Monday, next Monday) of the week before the one containing `today`."""
    end = today - timedelta(days=today.weekday())
    return end - timedelta(days=7), end


def _metric_fields(m: UnitMetrics) -> dict[str, str]:
    return dict(
        response=pct(m.response_rate),
        resolve=pct(m.resolve_rate),
        ontime=pct(m.on_time_rate),
        satisfaction=pct(m.satisfaction_rate),
    )


def _share(p: UnitPeriod) -> str:
    return pct(p.visitors / p.cadres if p.cadres else None)


def _short(text: str) -> str:
    text = " ".join(mask(text).split())
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "…"


def unit_digest(
    name: str, p: UnitPeriod, m: UnitMetrics, overdue: list, today: date, span: tuple[date, date], limit: int
) -> str:
    """One unit's digest, as one message within `limit` bytes (the overdue list is cut)."""
    start, end = span
    detail = (
        "（" + "，".join(f"{c}{n}" for c, n in sorted(p.new_by_category.items(), key=lambda x: -x[1])) + "）"
        if p.new_by_category
        else ""
    )
    head = [
        texts.DIGEST_TITLE.format(unit=name, start=f"{start:%m.%d}", end=f"{end - timedelta(days=1):%m.%d}"),
        texts.DIGEST_VISITS.format(visits=p.visits, went=p.visitors, cadres=p.cadres, share=_share(p)),
        texts.DIGEST_NEW.format(total=p.new, detail=detail),
        texts.DIGEST_RESOLVED.format(n=p.resolved),
        texts.DIGEST_OVERDUE.format(n=p.overdue),
    ]
    lines = [
        texts.DIGEST_OVERDUE_LINE.format(
            id=r.id, category=r.category, text=_short(r.text), days=(today - r.deadline).days, owner=r.owner
        )
        for r in overdue
    ]
    tail = [texts.DIGEST_METRICS.format(**_metric_fields(m))]
    return fit_list(
        head, lines, tail, limit, lambda total: texts.DIGEST_MORE_OVERDUE.format(total=total), total=p.overdue
    )


def org_digest(
    unit_names: dict[int, str],
    periods: dict[int, UnitPeriod],
    mets: dict[int, UnitMetrics],
    span: tuple[date, date],
    limit: int,
) -> list[str]:
    """The leaders' digest: organisation totals, then one line per unit, split into as few
    messages as fit in `limit` bytes each."""
    start, end = span
    total_p, total_m = organisation_totals(periods, mets)
    detail = (
        "（" + "，".join(f"{c}{n}" for c, n in sorted(total_p.new_by_category.items(), key=lambda x: -x[1])) + "）"
        if total_p.new_by_category
        else ""
    )
    header = texts.DIGEST_ORG_TITLE.format(start=f"{start:%m.%d}", end=f"{end - timedelta(days=1):%m.%d}")
    lines = [
        texts.DIGEST_VISITS.format(
            visits=total_p.visits, went=total_p.visitors, cadres=total_p.cadres, share=_share(total_p)
        ),
        texts.DIGEST_NEW.format(total=total_p.new, detail=detail),
        texts.DIGEST_RESOLVED.format(n=total_p.resolved),
        texts.DIGEST_OVERDUE.format(n=total_p.overdue),
        texts.DIGEST_METRICS.format(**_metric_fields(total_m)),
        texts.DIGEST_BY_UNIT,
    ]
    for uid, name in unit_names.items():
        p, m = periods.get(uid, UnitPeriod()), mets.get(uid, UnitMetrics())
        lines.append(
            texts.DIGEST_UNIT_LINE.format(
                unit=name,
                visits=p.visits,
                share=_share(p),
                new=p.new,
                resolved=p.resolved,
                overdue=p.overdue,
                **_metric_fields(m),
            )
        )
    return split_lines(lines, limit, header=header)


async def digest_data(session: Tx, now: datetime, span: tuple[date, date], policy: Policy) -> dict:
    """Everything the digests of `span` need, computed at `now` (for all groups at once)."""
    today = now.date()
    return dict(
        unit_names=await sweeps.units(session),
        periods=await metrics.unit_period(session, span[0], span[1], today),
        mets=await metrics.unit_metrics(
            session, now, response_hours=policy.response_hours, weights=policy.satisfaction_weights
        ),
        overdue=await metrics.overdue_lists(session, today, OVERDUE_LISTED),
    )


def group_bodies(
    g: GroupBinding, data: dict, today: date, span: tuple[date, date], settings: SchedulerSettings
) -> list[str]:
    """The digest for group `g` (empty when the group has no unit any more)."""
    limit = settings.group_limit(g.channel)
    unit_names, periods, mets = data["unit_names"], data["periods"], data["mets"]
    if g.is_leaders:
        return org_digest(unit_names, periods, mets, span, limit)
    if g.unit_id in unit_names:
        return [
            unit_digest(
                unit_names[g.unit_id],
                periods.get(g.unit_id, UnitPeriod()),
                mets.get(g.unit_id, UnitMetrics()),
                data["overdue"].get(g.unit_id, []),
                today,
                span,
                limit,
            )
        ]
    return []


def period_end(slot: datetime, settings: SchedulerSettings) -> datetime:
    """A digest run's period ends at the next week's run (which replaces it)."""
    return datetime.combine(slot.date() + timedelta(days=7), settings.digest_time)


async def render_held(
    session: Tx,
    now: datetime,
    settings: SchedulerSettings,
    policy: Policy,
    subject: dict,
    data: Callable[[tuple[date, date]], Awaitable[dict]] | None = None,
) -> tuple[list[str], str | None]:
    """A held digest recomputed at `now` (overdue days, resolved items), or ([], reason).
    `data(span)` may supply `digest_data` shared by the groups delivered together."""
    if now >= datetime.fromisoformat(subject["until"]):
        return [], "replaced by the next week's digest"
    g = await get_group(session, int(subject["group"]))
    if g is None:
        return [], "group unbound"
    start = date.fromisoformat(subject["week"])
    span = (start, start + timedelta(days=7))
    computed = await data(span) if data else await digest_data(session, now, span, policy)
    bodies = group_bodies(g, computed, now.date(), span, settings)
    return (bodies, None) if bodies else ([], "group has no unit")


async def weekly_digest_job(
    now: datetime,
    db: Database,
    sender: Sender,
    settings: SchedulerSettings,
    policy: Policy | None = None,
    *,
    dry_run: bool = False,
    slot: datetime | None = None,
) -> list[Notice]:
    """Post the digest of the week before the run's (`slot`, default `now`) to every bound
    group once (key digest:g{id}:{week start}). A still-held digest of an earlier week to the
    same group is replaced (marked obsolete): at most one digest per group per week."""
    policy = policy or Policy()
    slot = slot or now
    today = now.date()
    span = last_week(slot.date())
    until = period_end(slot, settings)
    async with db.session() as s:
        groups = await sweeps.group_bindings(s)
        if not groups:
            return []
        data = await digest_data(s, now, span, policy)
    when = calm.not_before(now, settings, settings.digest_time)
    if when is not None and when >= until:
        return []
    if not dry_run:  # every group gets this week's digest: still-held earlier ones are replaced
        async with db.write() as s:
            older = [
                i for i, key in await outbox.pending_keys(s, "rem:digest:g") if key.split(":")[3] < span[0].isoformat()
            ]  # rem:digest:g{id}:{week}:{n}
            await outbox.obsolete_rows(s, older, f"replaced by the digest of the week of {span[0]}")
    envelopes = []
    for g in groups:
        bodies = group_bodies(g, data, today, span, settings)
        if not bodies:
            continue
        subject = {"job": JOB_NAME, "group": g.id, "week": span[0].isoformat(), "until": until.isoformat()}

        def render(_keys: list[str], g=g, bodies=bodies, subject=subject) -> list[Notice]:
            return [Notice(GroupAddress(g.id), b, kind="markdown", not_before=when, subject=subject) for b in bodies]

        envelopes.append(Envelope([(f"digest:g{g.id}:{span[0]}", None)], render))
    return await deliver(db, now, sender, envelopes, dry_run=dry_run)
