"""Answers to leaders' and cadres' questions: 本月未办结, 逾期, 食堂问题, 我的待办, 本周走访…"""

from __future__ import annotations

from collections import defaultdict

from handlers import replies
from handlers.context import Ctx
from handlers.periods import PERIOD_NAMES, as_datetime, period_range
from storage.items import count_items, list_items, list_visits

MAX_LINES = 30
STATUS_WORDS = {"open": "未办结", "overdue": "逾期", "resolved": "已办结", "any": ""}


async def answer(ctx: Ctx, q) -> str:
    if q.subject == "visits":
        return await _visits(ctx, q)
    return await _items(ctx, q)


def _title(ctx: Ctx, q) -> str:
    who = "我" if q.mine else ("全部" if ctx.is_leader else ("本单位" if ctx.is_unit_head else "我"))
    cat = f"{q.category}类" if q.category else ""
    return f"{PERIOD_NAMES[q.period]}{who}{cat}{STATUS_WORDS[q.status]}问题"


async def _items(ctx: Ctx, q) -> str:
    start, end = period_range(q.period, ctx.today)
    scope = ctx.scope(mine=q.mine)
    items = await list_items(ctx.session, scope, status=q.status, today=ctx.today,
                             since=as_datetime(start), until=as_datetime(end), category=q.category,
                             limit=MAX_LINES + 1)
    total = await count_items(ctx.session, scope, status=q.status, today=ctx.today,
                              since=as_datetime(start), until=as_datetime(end), category=q.category)
    lines = [f"{_title(ctx, q)}：共 {total} 项"]
    if items:
        shown = items[:MAX_LINES]
        overdue = [i for i in shown if i.is_overdue(ctx.today)]
        by_cat: dict[str, list] = defaultdict(list)
        for i in sorted(shown, key=lambda i: (not i.is_overdue(ctx.today), i.deadline, i.id)):
            by_cat[i.category].append(i)
        if overdue:
            lines.append(f"其中逾期 {len(overdue)} 项（标【逾期】）")
        for cat, group in sorted(by_cat.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lines.append(f"【{cat}】{len(group)} 项")
            lines.extend("  " + replies.item_line(i, ctx.today) for i in group)
        if total > len(shown):
            lines.append(f"……另有 {total - len(shown)} 项未列出，可导出台账查看全部。")
    if q.status in ("open", "overdue") and start is not None:
        older = await count_items(ctx.session, scope, status=q.status, today=ctx.today,
                                  before=as_datetime(start), category=q.category)
        if older:
            lines.append(f"另有 {older} 项更早提出的问题仍未办结，发送「逾期」或「我的待办」查看。")
    if total and q.status in ("open", "overdue"):
        lines.append("办理：回复「签收 #N」「进展 #N …」「办结 #N 结果」")
    return "\n".join(lines)


async def _visits(ctx: Ctx, q) -> str:
    start, end = period_range(q.period, ctx.today)
    scope = ctx.scope(mine=q.mine)
    visits = await list_visits(ctx.session, scope, since=start, until=end, limit=MAX_LINES + 1)
    who = "全部" if scope.everything else ("本单位" if scope.unit_id else "我的")
    count = f"{len(visits)}" if len(visits) <= MAX_LINES else f"{MAX_LINES}+"
    lines = [f"{PERIOD_NAMES[q.period]}{who}走访：{count} 次"]
    for v in visits[:MAX_LINES]:
        by = "" if q.mine else f"{v.cadre.name} "
        lines.append(f"  {by}{replies.visit_line(v, ctx.today)}")
    if not visits:
        lines.append("  暂无走访记录。走访后直接发一句话即可记录。")
    return "\n".join(lines)
