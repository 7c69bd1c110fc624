"""Item deadlines: due-soon reminders, 签收 nudges, 催办 and the 督办 escalation ladder.

Each step is claimed once per item (and owner, for the owner's own steps); every count is in
working days (scheduler.workcal), w = working days after the deadline up to today:

    accept:{owner}:#{id}       未签收 past the response limit          → owner
                               (never for an item the owner reported themselves)
    due_soon:{owner}:#{id}     at most `before_deadline_days` working days left → owner
    nudge:{owner}:#{id}        w >= 1: the first working day after the deadline (催办) → owner
    esc_head:u{unit}:#{id}     w >= 1 + escalate_head_after            → the unit's heads
    esc_leaders:all:#{id}      w >= 1 + escalate_leaders_after         → every leader

One run sends each recipient at most one message, listing all newly claimed items. A step
whose recipients are all on leave (or missing) is not claimed, so it goes out once someone
can receive it. `step_reason` is the one predicate: it decides what a run claims and, again,
what a held message still says when it is delivered (scheduler.held).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from handlers.policy import Policy
from handlers.texts import reminders as texts
from handlers.texts.formatting import fmt_date
from scheduler import calm
from scheduler.delivery import Envelope, Sender, deliver
from scheduler.settings import SchedulerSettings
from scheduler.split import fit_list
from storage import sweeps
from storage.db import Database
from storage.models import OPEN_STATUSES
from storage.notice import CadreAddress, Notice
from storage.sweeps import Person
from storage.tx import Tx

JOB_NAME = "deadlines"
TEXT_CHARS = 30


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "…"


@dataclass
class Ctx:
    """Everything the predicate and the texts need at one moment."""

    now: datetime
    settings: SchedulerSettings
    policy: Policy
    people: dict[int, Person]
    unit_names: dict[int, str]
    items: dict[int, Any]  # rows of storage.sweeps._ITEM_COLUMNS by item id
    counter: calm.WorkdayCounter
    heads: dict[int, list[int]] = field(default_factory=dict)
    leaders: list[int] = field(default_factory=list)

    @property
    def today(self) -> date:
        """The sweep's local date."""
        return self.now.date()

    def available(self, pid: int) -> bool:
        """True when cadre `pid` is active and not on leave today (reminders go only to them)."""
        p = self.people.get(pid)
        return p is not None and not calm.on_leave(p.leave_until, self.today, p.leave_from)

    def waited(self, r) -> int:
        """Working days after the deadline, up to today."""
        return self.counter.after(r.deadline, self.today)

    def left(self, r) -> int:
        """Working days left before the deadline (0 on the day itself)."""
        return self.counter.after(self.today, r.deadline)


async def load_ctx(session: Tx, now: datetime, settings: SchedulerSettings, policy: Policy, rows: list) -> Ctx:
    """Load what a deadline sweep over `rows` needs: active people, unit names, a working-day counter
    spanning the rows' deadlines and today, and the available unit heads and leaders.
    """
    people = {p.id: p for p in await sweeps.load_people(session)}
    unit_names = await sweeps.units(session)
    today = now.date()
    first = min([r.deadline for r in rows] + [today])
    last = max([r.deadline for r in rows] + [today])
    ctx = Ctx(
        now,
        settings,
        policy,
        people,
        unit_names,
        {r.id: r for r in rows},
        calm.WorkdayCounter(first, last + timedelta(days=1), settings),
    )
    heads: dict[int, list[int]] = defaultdict(list)
    for p in people.values():
        if not ctx.available(p.id):
            continue
        if settings.unit_head_role in p.roles:
            heads[p.unit_id].append(p.id)
        if settings.leader_role in p.roles:
            ctx.leaders.append(p.id)
    ctx.heads = dict(heads)
    return ctx


def step_reason(ctx: Ctx, key: str) -> str | None:
    """None when reminder `key` applies at ctx.now; otherwise why not (for the outbox)."""
    step, who, ref = key.split(":", 2)
    r = ctx.items.get(int(ref.lstrip("#")))
    if r is None:
        return "item gone"
    if r.status not in OPEN_STATUSES:
        return f"item {r.status}"
    s = ctx.settings
    if step in ("accept", "due_soon", "nudge"):
        if r.owner_id != int(who):
            return "owner changed"
        if not ctx.available(r.owner_id):
            return "owner on leave"
    if step == "accept":
        if r.reporter_id == r.owner_id:
            return "owner reported it"
        if r.status != "new" or r.responded_at is not None:
            return "accepted"
        if r.created_at > ctx.now - timedelta(hours=ctx.policy.response_hours):
            return "not yet past the response limit"
        return None
    if step == "due_soon":
        if r.deadline < ctx.today:
            return "overdue now"
        return None if ctx.left(r) <= s.before_deadline_days else "deadline moved"
    w = ctx.waited(r)
    if step == "nudge":
        return None if w >= 1 else "not overdue"
    if step == "esc_head":
        if r.unit_id != int(who.lstrip("u")):
            return "unit changed"
        if not ctx.heads.get(r.unit_id):
            return "no unit head available"
        return None if w >= 1 + s.escalate_head_after else "not overdue long enough"
    if step == "esc_leaders":
        if not ctx.leaders:
            return "no leader available"
        return None if w >= 1 + s.escalate_leaders_after else "not overdue long enough"
    return f"unknown step {step}"


def _section(ctx: Ctx, head: str, rs: list, line: Callable, reply: str) -> str:
    shown = [line(r) for r in rs[: ctx.settings.list_limit]]
    return fit_list(
        [head],
        shown,
        [reply.format(id=rs[0].id)],
        ctx.settings.person_bytes,
        lambda total: texts.MORE.format(total=total),
        total=len(rs),
    )


def owner_bodies(ctx: Ctx, keys: list[str]) -> list[str]:
    """The owner's message(s) for the applicable `keys` (texts computed at ctx.now)."""
    parts: dict[str, list] = defaultdict(list)
    for k in keys:
        parts[k.split(":", 1)[0]].append(ctx.items[int(k.rsplit("#", 1)[1])])
    today = ctx.today

    def line_due(r) -> str:
        n = ctx.left(r)
        left = texts.DUE_TODAY if r.deadline == today else texts.DUE_LEFT.format(n=n)
        return texts.DUE_SOON_LINE.format(
            id=r.id, category=r.category, text=_short(r.text), deadline=fmt_date(r.deadline), left=left
        )

    def line_nudge(r) -> str:
        return texts.NUDGE_LINE.format(
            id=r.id,
            category=r.category,
            text=_short(r.text),
            deadline=fmt_date(r.deadline),
            days=(today - r.deadline).days,
        )

    def line_accept(r) -> str:
        return texts.ACCEPT_LINE.format(
            id=r.id, category=r.category, text=_short(r.text), created=f"{r.created_at:%m-%d %H:%M}"
        )

    bodies = []
    if parts["accept"]:
        bodies.append(
            _section(
                ctx,
                texts.ACCEPT_HEAD.format(hours=ctx.policy.response_hours),
                parts["accept"],
                line_accept,
                texts.REPLY_ACCEPT,
            )
        )
    if parts["nudge"]:
        bodies.append(_section(ctx, texts.NUDGE_HEAD, parts["nudge"], line_nudge, texts.REPLY_RESOLVE))
    if parts["due_soon"]:
        bodies.append(_section(ctx, texts.DUE_SOON_HEAD, parts["due_soon"], line_due, texts.REPLY_RESOLVE))
    return bodies


def escalation_body(ctx: Ctx, keys: list[str]) -> str:
    """The 督办 message for the applicable escalation `keys` (all of one level)."""
    leaders = keys[0].startswith("esc_leaders")
    head = (
        texts.ESC_LEADERS_HEAD.format(days=ctx.settings.escalate_leaders_after)
        if leaders
        else texts.ESC_HEAD_HEAD.format(days=ctx.settings.escalate_head_after)
    )
    rs = sorted((ctx.items[int(k.rsplit("#", 1)[1])] for k in keys), key=lambda r: (r.deadline, r.id))

    def line_esc(r) -> str:
        owner = ctx.people.get(r.owner_id)
        return texts.ESC_LINE.format(
            id=r.id,
            unit=ctx.unit_names.get(r.unit_id, ""),
            category=r.category,
            text=_short(r.text),
            owner=owner.name if owner else "—",
            days=(ctx.today - r.deadline).days,
        )

    return _section(ctx, head, rs, line_esc, texts.ESC_REPLY)


# Reasons that pass: the claim is released so a later run sends the step once someone can
# receive it (a single recipient's absence from a 督办 sent to several is not one of them).
PASSING = ("owner on leave", "no unit head available", "no leader available")


def recipient_ok(ctx: Ctx, pid: int, keys: list[str]) -> str | None:
    """None when `pid` should still receive the 督办 message carrying `keys` (the owner's own
    messages are checked by `step_reason`)."""
    if not keys[0].startswith("esc_"):
        return None
    if not ctx.available(pid):
        return "recipient on leave or inactive"
    if keys[0].startswith("esc_head"):
        unit = int(keys[0].split(":")[1].lstrip("u"))
        return None if pid in ctx.heads.get(unit, ()) else "recipient no longer unit head"
    if keys[0].startswith("esc_leaders"):
        return None if pid in ctx.leaders else "recipient no longer leader"
    return None


def render_held(ctx: Ctx, subject: dict) -> tuple[list[str], dict[str, str]]:
    """Bodies for a held deadline message at ctx.now, and {dropped key: reason}."""
    keys: list[str] = subject["keys"]
    pid = int(subject["to"])
    problem = recipient_ok(ctx, pid, keys)
    reasons = {k: problem or step_reason(ctx, k) for k in keys}
    dropped = {k: why for k, why in reasons.items() if why}
    kept = [k for k in keys if k not in dropped]
    if not kept:
        return [], dropped
    if kept[0].startswith("esc_"):
        return [escalation_body(ctx, kept)], dropped
    return owner_bodies(ctx, kept), dropped


async def deadline_job(
    now: datetime,
    db: Database,
    sender: Sender,
    settings: SchedulerSettings,
    policy: Policy | None = None,
    *,
    dry_run: bool = False,
    slot: datetime | None = None,
) -> list[Notice]:
    """Run the deadline ladder at `now`; returns the messages queued (or would-be)."""
    policy = policy or Policy()
    today = now.date()
    probe = calm.WorkdayCounter(today, today, settings)
    horizon = probe.nth_after(today, settings.before_deadline_days + 1) - timedelta(days=1)
    cutoff = now - timedelta(hours=policy.response_hours)
    async with db.session() as s:
        rows = await sweeps.deadline_candidates(s, horizon, cutoff)
        if not rows:
            return []
        ctx = await load_ctx(s, now, settings, policy, rows)

    owner_claims: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    head_claims: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    leader_claims: list[tuple[str, int | None]] = []
    for r in rows:  # only the steps that can apply are asked (the predicate decides)
        steps = ["accept"] if r.status == "new" and r.responded_at is None else []
        steps.append("due_soon" if r.deadline >= today else "nudge")
        for step in steps:
            k = f"{step}:{r.owner_id}:#{r.id}"
            if step_reason(ctx, k) is None:
                owner_claims[r.owner_id].append((k, r.owner_id))
        if r.deadline >= today:
            continue
        k = f"esc_head:u{r.unit_id}:#{r.id}"
        if step_reason(ctx, k) is None:
            head_claims[r.unit_id].append((k, None))
        k = f"esc_leaders:all:#{r.id}"
        if step_reason(ctx, k) is None:
            leader_claims.append((k, None))

    when = calm.not_before(now, settings, settings.deadline_time)

    def owner_render(owner_id: int) -> Callable[[list[str]], list[Notice]]:
        def render(keys: list[str]) -> list[Notice]:
            subject = {"job": JOB_NAME, "to": owner_id, "keys": keys}
            return [
                Notice(CadreAddress(owner_id), b, not_before=when, subject=subject) for b in owner_bodies(ctx, keys)
            ]

        return render

    def group_render(recipients: list[int]) -> Callable[[list[str]], list[Notice]]:
        def render(keys: list[str]) -> list[Notice]:
            body = escalation_body(ctx, keys)
            return [
                Notice(CadreAddress(pid), body, not_before=when, subject={"job": JOB_NAME, "to": pid, "keys": keys})
                for pid in sorted(recipients)
            ]

        return render

    envelopes = [Envelope(claims, owner_render(oid)) for oid, claims in sorted(owner_claims.items())]
    envelopes += [Envelope(claims, group_render(ctx.heads[unit_id])) for unit_id, claims in sorted(head_claims.items())]
    if leader_claims:
        envelopes.append(Envelope(leader_claims, group_render(ctx.leaders)))
    return await deliver(db, now, sender, envelopes, dry_run=dry_run)
