"""Answers to leaders' and cadres' questions: 本月未办结, 逾期, 食堂问题, 我的待办, 本周走访,
张老师本月走访了几次, 计算机学院逾期问题…

Every filter in the question is applied — person, unit, category, status, period, mine — on
top of what the asker may see, and the answer's first line states the filters it applied
(「计算机学院 · 逾期 · 共 3 项」). 我的待办 is what the sender owns now. Counts use the same
creation-time windows as the 台账 export, so they agree for the same filter.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handlers.commands import QueryCommand, form
from handlers.context import Ctx
from handlers.errors import UserFacingError
from handlers.nlu import ParsedQuery
from handlers.nlu.query import find_person, find_unit_name, question_topic, titled_surnames
from handlers.periods import PERIOD_NAMES, as_datetime, period_range
from handlers.texts import replies
from handlers.units import asks_per_unit, closest, match_unit, question_unit, short_names
from storage.items import count_items, count_items_split, count_visits, list_items, list_visits
from storage.metrics import UnitPeriod, not_visited, visit_coverage, visits_by_cadre
from storage.models import Unit
from storage.roster import CadreRecord, all_units, cadre_names_in, get_cadre, get_unit, unit_names

MAX_LINES = 30
ONE_MESSAGE_BYTES = 2000
"""An answer fits one chat message: WeCom's passive reply and app text take 2,048 bytes (about
680 Chinese characters). Beyond it the rest would go out as a second, active message (a quota
on WeCom) — so the answer lists the most urgent items that fit and says how many it left out."""
Query = QueryCommand | ParsedQuery  # a fixed question (本月未办结) or one the NLU read
STATUS_WORDS = {"open": "未办结", "overdue": "逾期", "resolved": "已办结", "any": ""}
# about how many went and who has not, not which visits: 完成率, 排名, 哪个学院走访最少, 谁还没走访
_COVERAGE = re.compile(r"完成情况|完成率|覆盖率|排名|达标|最少|最多|谁|哪个|哪些人|哪位|大家|每个人|每人")
_WHO = re.compile(r"谁|哪些人|哪位|名单")  # asks for the names of those who have not gone
_MOST_FIRST = re.compile(r"最多|排名|前几")  # the best unit first (else the weakest first)
NAMES_PER_UNIT = 5  # a leader's per-unit answer names at most this many who have not gone


def _asks_coverage(text: str) -> bool:
    """A visit question about how many cadres went (「各学院走访情况」「本月走访完成率」), not a list of visits."""
    return asks_per_unit(text) or _COVERAGE.search(text) is not None


@dataclass(frozen=True)
class Filters:
    person: CadreRecord | None = None
    unit: Unit | None = None
    topic: str | None = None  # what the question is about when no category names it: 东风机械厂
    words: tuple[str, ...] = ()  # the topic's words, each in an item's text or its visit's place


async def filters_in(ctx: Ctx, text: str) -> Filters:
    """The person and the unit a question names (roster names, 张老师/张某某, unit short names)."""
    # only the cadres the text can name (full name, or a titled surname): rosters run to 20,000
    cadres = await cadre_names_in(ctx.session, text, titled_surnames(text))
    units = await unit_names(ctx.session)
    categories = set(ctx.parser.categories(ctx.policy.profile))
    name = find_person(text, [c.name for c in cadres])
    unit_name = find_unit_name(
        text, {u.name: [s for s in short_names(u.name) | set(u.aliases or []) if s not in categories] for u in units}
    )
    person_id = next((c.id for c in cadres if c.name == name), None)
    unit_id = next((u.id for u in units if u.name == unit_name), None)
    person = await get_cadre(ctx.session, person_id) if person_id is not None else None
    unit = await get_unit(ctx.session, unit_id) if unit_id is not None else None
    if person is not None and unit is not None and person.unit_id != unit.id:
        unit = None  # 「计算机学院张老师」: the person is the filter
    return Filters(person, unit)


async def answer(ctx: Ctx, q: Query) -> str:
    """The reply to a question (本月未办结, 食堂问题, 张老师本月走访…), listing at most MAX_LINES
    items or visits; its first line names the filters applied within what the sender may see
    (全部 / 本单位 / 我的)."""
    f = await filters_in(ctx, ctx.msg.text)
    if f.unit is None and f.person is None and q.category is None:
        f = Filters(unit=await _question_unit(ctx, ctx.msg.text))
    if q.category is not None and _category_is_a_name(ctx.msg.text, q.category, f):
        q = dataclasses.replace(q, category=None)  # 「后勤处未办结」「赵老师的待办」: a unit, a person
    if q.subject == "visits":
        if f.person is None and not q.mine and _asks_coverage(ctx.msg.text) and (ctx.is_leader or ctx.is_unit_head):
            return await _unit_coverage(ctx, q, f)
        return await _visits(ctx, q, f)
    topic = question_topic(ctx.msg.text) if f.unit is None and f.person is None else None
    if topic is not None and topic != q.category and ctx.parser.category_of_name(topic, ctx.policy.profile) is None:
        # 「东风机械厂的问题」「路灯的问题还有几个没办」: a search by the topic's own words, not by the
        # category the parser guessed for them (every 后勤 item is no answer about street lights)
        words = tuple(ctx.parser.search_words(topic)) or (topic,)
        f = dataclasses.replace(f, topic=topic, words=words)
        q = dataclasses.replace(q, category=None)
    return await _items(ctx, q, f)


async def _question_unit(ctx: Ctx, text: str) -> Unit | None:
    """The unit a question opens with when only a looser match finds it (「信息学院」 for
    信息工程学院); a unit no roster name matches (「马院逾期问题」 with no 马克思主义学院) asks which
    unit is meant (UserFacingError) rather than answering for everyone. None: no unit named."""
    word = question_unit(text)
    if word is None:
        return None
    m = await match_unit(ctx.session, word)
    if m.unit is not None:
        return m.unit
    if m.ambiguous:
        raise UserFacingError(replies.unit_choices(word, m.choices, True))
    near = closest(word, [u.name for u in await all_units(ctx.session)], near_only=True)
    raise UserFacingError(replies.unit_choices(word, near, False) if near else replies.no_such_unit(word))


def _category_is_a_name(text: str, category: str, f: Filters) -> bool:
    """Whether the category a question seems to name came only from a unit's or a person's name
    (后勤 in 后勤处, 教职工 from the title of 赵老师), not from words of its own."""
    if f.unit is None and f.person is None:
        return False
    rest = text
    if f.unit is not None:
        for name in sorted({f.unit.name, *short_names(f.unit.name), *(f.unit.aliases or [])}, key=len, reverse=True):
            rest = rest.replace(name, " ")
    if f.person is not None:
        titled = rf"{re.escape(f.person.name[0])}[^\s，。]{{0,2}}?(?:老师|教师|某某|某)"
        rest = re.sub(titled, " ", rest.replace(f.person.name, " "))
    return category not in rest and not (category == "教职工" and re.search(r"老师|教师", rest))


def _scope_word(ctx: Ctx, q: Query, f: Filters) -> str:
    if q.mine:
        return "我的"
    if f.unit is not None:
        return f.unit.name
    if f.person is not None:
        return f.person.name
    # a cadre sees what they raised or own: not the same as 我的待办 (what they own now)
    return "全部" if ctx.is_leader else ("本单位" if ctx.is_unit_head else "我提出或负责的")


def _scope_note(ctx: Ctx, q: Query, f: Filters) -> list[str]:
    """A line saying the answer counts only what the asker may see, when the question names a
    person or a unit beyond it (a cadre asking about a colleague; a unit head about another unit)."""
    if ctx.is_leader or q.mine:
        return []
    mine = ctx.cadre
    head = ctx.is_unit_head
    beyond = (f.unit is not None and not (head and f.unit.id == mine.unit_id)) or (
        f.person is not None and f.person.id != mine.id and not (head and f.person.unit_id == mine.unit_id)
    )
    return [replies.scope_limited(head)] if beyond else []


def _title(ctx: Ctx, q: Query, f: Filters, what: str) -> str:
    parts = [PERIOD_NAMES[q.period], _scope_word(ctx, q, f)]
    if f.person is not None and f.unit is not None:
        parts.append(f.person.name)
    if q.subject != "visits":
        if q.category:
            parts.append(f"{q.category}类")
        if f.topic:
            parts.append(f"「{f.topic}」相关")
        parts.append(STATUS_WORDS[q.status] or what)
    else:
        parts.append(what)
    return " · ".join(p for p in parts if p)


async def _items(ctx: Ctx, q: Query, f: Filters) -> str:
    start, end = period_range(q.period, ctx.today)
    scope = ctx.scope(mine=q.mine, owned_only=q.mine and q.status in ("open", "overdue"))
    where = dict(
        category=q.category,
        owner_id=f.person.id if f.person else None,
        unit_id=f.unit.id if f.unit else None,
        words=f.words,
    )
    begin, until = as_datetime(start), as_datetime(end)
    filters: dict[str, Any] = dict(status=q.status, today=ctx.today, until=until, **where)
    items = await list_items(ctx.session, scope, since=begin, limit=MAX_LINES + 1, **filters)
    tail: list[str] = []
    if q.status in ("open", "overdue") and begin is not None:
        # the period's count and the older still-pending ones, in one query
        total, older = await count_items_split(ctx.session, scope, start=begin, **filters)
        if older:
            tail.append(f"另有 {older} 项更早提出的问题仍未办结，发送「逾期」或「我的待办」查看。")
    else:
        total = await count_items(ctx.session, scope, since=begin, **filters)
    head = [f"{_title(ctx, q, f, '问题')} · 共 {total} 项", *_scope_note(ctx, q, f)]
    if total and q.status in ("open", "overdue"):
        hints = "".join(f"「{form(name, id='N')}」" for name in ("accept", "progress", "resolve"))
        tail.append(f"办理：回复{hints}；查看经过：「{form('view', id='N')}」")
    ordered = sorted(items[:MAX_LINES], key=lambda i: (not i.is_open, not i.is_overdue(ctx.today), i.deadline, i.id))
    return _fitted(ordered, lambda shown: "\n".join(head + _item_lines(ctx, q, shown, total) + tail))


def _item_lines(ctx: Ctx, q: Query, shown: list[Any], total: int) -> list[str]:
    """The listed items by category (most first), the overdue count, and what was left out."""
    lines = []
    overdue = [i for i in shown if i.is_overdue(ctx.today)]
    by_cat: dict[str, list[Any]] = defaultdict(list)
    for i in shown:
        by_cat[i.category].append(i)
    if overdue and q.status != "overdue":
        lines.append(f"其中逾期 {len(overdue)} 项（标【逾期】）")
    for cat, group in sorted(by_cat.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        # a cut list counts what it shows, and says so: 「【宿舍】列出 7 项」 is not all of 宿舍
        lines.append(f"【{cat}】{'列出 ' if total > len(shown) else ''}{len(group)} 项")
        lines.extend("  " + replies.item_line(i, ctx.today) for i in group)
    if total > len(shown):
        lines.append(f"……另有 {total - len(shown)} 项未列出，可导出台账查看全部。")
    return lines


def _fitted(ordered: list[Any], render: Callable[[list[Any]], str]) -> str:
    """`render` of as many of `ordered` (most urgent first) as fit ONE_MESSAGE_BYTES; at least
    one is shown. A longer prefix never renders shorter, so the cut is found by bisection."""

    def fits(text: str) -> bool:
        return len(text.encode("utf-8")) <= ONE_MESSAGE_BYTES

    text = render(ordered)
    if fits(text) or len(ordered) <= 1:
        return text
    lo, hi, best = 1, len(ordered) - 1, render(ordered[:1])  # invariant: render(ordered[:lo]) fits or lo == 1
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = render(ordered[:mid])
        if fits(candidate):
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best


async def _visits(ctx: Ctx, q: Query, f: Filters) -> str:
    start, end = period_range(q.period, ctx.today)
    scope = ctx.scope(mine=q.mine)
    where = dict(cadre_id=f.person.id if f.person else None, unit_id=f.unit.id if f.unit else None)
    visits = await list_visits(ctx.session, scope, since=start, until=end, limit=MAX_LINES, **where)
    total = await count_visits(ctx.session, scope, since=start, until=end, **where)
    head = f"{_title(ctx, q, f, '走访')} · 共 {total} 次"
    note = _scope_note(ctx, q, f)
    if not visits:
        return "\n".join([head, *note] if note else [head, "  暂无走访记录。走访后直接发一句话即可记录。"])

    def render(shown: list[Any]) -> str:
        lines = [head, *note]
        for v in shown:
            by = "" if q.mine or f.person else f"{v.cadre.name} "
            lines.append(f"  {by}{replies.visit_line(v, ctx.today)}")
        if total > len(shown):
            lines.append(f"……另有 {total - len(shown)} 次未列出，可导出台账查看全部。")
        return "\n".join(lines)

    return _fitted(list(visits), render)


async def _unit_coverage(ctx: Ctx, q: Query, f: Filters) -> str:
    """「各学院走访完成情况」「哪个学院走访最少」: per unit, the period's visits and how many of its
    cadres went (the weekly digest's 下基层 share), weakest unit first (best first when asked for the
    most or a ranking) — with the names of those
    who have not gone when the question asks who; a unit head (or a leader naming a unit) gets
    the unit's cadres one by one, fewest visits first. A question naming no period is about this
    month (duties are monthly)."""
    period = "this_month" if q.period == "all" else q.period
    start, end = period_range(period, ctx.today)
    assert start is not None and end is not None  # every period but "all" has bounds
    coverage = await visit_coverage(ctx.session, start, end)
    units = {u.id: u.name for u in await all_units(ctx.session)}
    own = (f.unit.id if f.unit is not None else None) if ctx.is_leader else ctx.cadre.unit_id  # heads: their unit
    if own is not None:
        p = coverage.get(own, UnitPeriod())
        head = [_coverage_head(period, units[own], p)]
        people = await visits_by_cadre(ctx.session, own, start, end)
        return _fitted(
            people,
            lambda shown: "\n".join(head + [f"  {name}：{n} 次" for name, n in shown] + _left_out(people, shown)),
        )
    shown_units = [(uid, coverage[uid]) for uid in units if uid in coverage and coverage[uid].cadres]
    total = UnitPeriod()
    for _uid, p in shown_units:
        total.add(p)
    head = [_coverage_head(period, "各单位", total)]
    missing = await not_visited(ctx.session, start, end) if _WHO.search(ctx.msg.text) else {}
    ordered = sorted(shown_units, key=lambda up: (up[1].visitors / up[1].cadres, units[up[0]]))
    if _MOST_FIRST.search(ctx.msg.text):
        ordered = sorted(shown_units, key=lambda up: (-up[1].visitors / up[1].cadres, units[up[0]]))

    def render(rows: list[tuple[int, UnitPeriod]]) -> str:
        lines = list(head)
        for uid, p in rows:
            lines.append(f"  {units[uid]}：{p.visits} 次，" + replies.coverage(p.visitors, p.cadres))
            if missing.get(uid):
                lines.append("    " + replies.not_yet_visited(missing[uid], NAMES_PER_UNIT))
        return "\n".join(lines + _left_out(ordered, rows, "个单位", "详见月报或后台。"))

    return _fitted(ordered, render)


def _left_out(every: list[Any], shown: list[Any], what: str = "人", where: str = "可导出台账查看全部。") -> list[str]:
    """The closing line of a list cut to fit one message: how many were left out, and where to see them."""
    return [f"……另有 {len(every) - len(shown)} {what}未列出，{where}"] if len(shown) < len(every) else []


def _coverage_head(period: str, scope: str, p: UnitPeriod) -> str:
    """「本月 · 各单位走访 · 共 4 次，2/7 名干部下基层（28.6%）」."""
    return f"{PERIOD_NAMES[period]} · {scope}走访 · 共 {p.visits} 次，" + replies.coverage(p.visitors, p.cadres)
