"""Item deadlines: due-soon reminders, 签收 nudges, 催办 and the 督办 escalation ladder.

Each step is claimed once per item (and owner, for the owner's own steps):

    accept:{owner}:#{id}       未签收 past the response limit          → owner
    due_soon:{owner}:#{id}     deadline within `before_deadline_days`  → owner
    nudge:{owner}:#{id}        the day after the deadline (催办)        → owner
    esc_head:u{unit}:#{id}     N working days after the 催办 day        → the unit's heads
    esc_leaders:all:#{id}      M working days after the 催办 day        → every leader

One run sends each recipient at most one message, listing all newly claimed items.
A step whose recipients are all on leave (or missing) is not claimed, so it goes out once
someone can receive it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from handlers.policy import Policy
from scheduler import calm, texts
from scheduler.delivery import Envelope, Message, Sender, deliver
from scheduler.settings import SchedulerSettings
from scheduler.split import fit_list
from storage import sweeps
from storage.db import Database

JOB_NAME = "deadlines"
TEXT_CHARS = 30


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "…"


def _md(d: date) -> str:
    return f"{d.month}月{d.day}日"


async def deadline_job(
    now: datetime, db: Database, sender: Sender, settings: SchedulerSettings,
    policy: Policy | None = None, *, dry_run: bool = False,
) -> list[Message]:
    """Run the deadline ladder at `now`; returns the messages queued (or would-be)."""
    policy = policy or Policy()
    today = now.date()
    horizon = today + timedelta(days=settings.before_deadline_days)
    cutoff = now - timedelta(hours=policy.response_hours)
    async with db.session() as s:
        people = {p.id: p for p in await sweeps.load_people(s)}
        rows = await sweeps.deadline_candidates(s, horizon, cutoff)
        unit_names = await sweeps.units(s)
    if not rows:
        return []
    first_nudge = min(r.deadline for r in rows) + timedelta(days=1)
    counter = calm.WorkdayCounter(min(first_nudge, today), today)
    available = {pid: p for pid, p in people.items() if not calm.on_leave(p.leave_until, today)}
    heads: dict[int, list[int]] = defaultdict(list)
    leaders: list[int] = []
    for p in available.values():
        if settings.unit_head_role in p.roles:
            heads[p.unit_id].append(p.id)
        if settings.leader_role in p.roles:
            leaders.append(p.id)

    owner_claims: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    head_claims: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    leader_claims: list[tuple[str, int | None]] = []
    by_key: dict[str, object] = {}
    for r in rows:
        owner_ok = r.owner_id in available
        if owner_ok and r.status == "new" and r.responded_at is None and r.created_at <= cutoff:
            k = f"accept:{r.owner_id}:#{r.id}"
            owner_claims[r.owner_id].append((k, r.owner_id))
            by_key[k] = r
        if r.deadline >= today:
            if owner_ok and r.deadline <= horizon:
                k = f"due_soon:{r.owner_id}:#{r.id}"
                owner_claims[r.owner_id].append((k, r.owner_id))
                by_key[k] = r
            continue
        if owner_ok:
            k = f"nudge:{r.owner_id}:#{r.id}"
            owner_claims[r.owner_id].append((k, r.owner_id))
            by_key[k] = r
        waited = counter.after(r.deadline + timedelta(days=1), today)
        if waited >= settings.escalate_head_after and heads.get(r.unit_id):
            k = f"esc_head:u{r.unit_id}:#{r.id}"
            head_claims[r.unit_id].append((k, None))
            by_key[k] = r
        if waited >= settings.escalate_leaders_after and leaders:
            k = f"esc_leaders:all:#{r.id}"
            leader_claims.append((k, None))
            by_key[k] = r

    when = calm.not_before(now, settings)
    limit = settings.person_bytes
    n_list = settings.list_limit

    def line_due(r) -> str:
        return texts.DUE_SOON_LINE.format(id=r.id, category=r.category, text=_short(r.text),
                                          deadline=_md(r.deadline), days=(r.deadline - today).days)

    def line_nudge(r) -> str:
        return texts.NUDGE_LINE.format(id=r.id, category=r.category, text=_short(r.text),
                                       deadline=_md(r.deadline), days=(today - r.deadline).days)

    def line_accept(r) -> str:
        return texts.ACCEPT_LINE.format(id=r.id, category=r.category, text=_short(r.text),
                                        created=f"{r.created_at:%m-%d %H:%M}")

    def line_esc(r) -> str:
        owner = people.get(r.owner_id)
        return texts.ESC_LINE.format(id=r.id, unit=unit_names.get(r.unit_id, ""), category=r.category,
                                     text=_short(r.text), owner=owner.name if owner else "—",
                                     days=(today - r.deadline).days)

    def section(head: str, rs: list, line: Callable, reply: str) -> str:
        shown = [line(r) for r in rs[:n_list]]
        return fit_list([head], shown, [reply.format(id=rs[0].id)], limit,
                        lambda total: texts.MORE.format(total=total), total=len(rs))

    def owner_render(owner_id: int) -> Callable[[list[str]], list[Message]]:
        def render(keys: list[str]) -> list[Message]:
            parts: dict[str, list] = defaultdict(list)
            for k in keys:
                parts[k.split(":", 1)[0]].append(by_key[k])
            bodies = []
            if parts["accept"]:
                bodies.append(section(texts.ACCEPT_HEAD.format(hours=policy.response_hours),
                                      parts["accept"], line_accept, texts.REPLY_ACCEPT))
            if parts["nudge"]:
                bodies.append(section(texts.NUDGE_HEAD, parts["nudge"], line_nudge, texts.REPLY_RESOLVE))
            if parts["due_soon"]:
                bodies.append(section(texts.DUE_SOON_HEAD, parts["due_soon"], line_due, texts.REPLY_RESOLVE))
            return [Message("cadre", str(owner_id), b, not_before=when) for b in bodies]
        return render

    def group_render(recipients: list[int], head: str) -> Callable[[list[str]], list[Message]]:
        def render(keys: list[str]) -> list[Message]:
            rs = sorted((by_key[k] for k in keys), key=lambda r: (r.deadline, r.id))
            body = section(head, rs, line_esc, texts.ESC_REPLY)
            return [Message("cadre", str(pid), body, not_before=when) for pid in sorted(recipients)]
        return render

    envelopes = [Envelope(claims, owner_render(oid)) for oid, claims in sorted(owner_claims.items())]
    envelopes += [
        Envelope(claims, group_render(heads[unit_id],
                                      texts.ESC_HEAD_HEAD.format(days=settings.escalate_head_after)))
        for unit_id, claims in sorted(head_claims.items())
    ]
    if leader_claims:
        envelopes.append(Envelope(leader_claims, group_render(
            leaders, texts.ESC_LEADERS_HEAD.format(days=settings.escalate_leaders_after))))
    return await deliver(db, now, sender, envelopes, dry_run=dry_run)
