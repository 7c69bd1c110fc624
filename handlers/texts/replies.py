"""Every Chinese sentence the conversation shows a user, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from handlers.commands import form, help_text
from handlers.policy import TRACK_LEADER, Policy
from handlers.texts.formatting import example_date, fmt_date, pct
from storage.items import ItemRecord, ItemRow
from storage.models import Item, ItemEvent, Visit
from storage.records import NewItem, NewVisit

STATUS_NAMES = {
    "new": "待签收",
    "in_progress": "办理中",
    "resolved": "已办结",
    "reopened": "重办中",
    "closed": "已销号",
    "revoked": "已撤销",
}
WEEKDAYS = "一二三四五六日"
OPEN = ("new", "in_progress", "reopened")

CORRECT_HINT = "如有不对：回复「改 #{n} 分类 {c}」「改 #{n} 期限 {d}」或「撤销」"
NOTHING_RECORDED = "没有识别到走访或问题，未做记录。发送「帮助」查看用法。"
EMPTY = "消息是空的。发送「帮助」查看用法。"
BINARY = "消息里有无法识别的字符，请重新发送文字。"
FAILED = "抱歉，处理这条消息时出错，原消息已保存，管理员会尽快处理。请稍后重试。"
UNAVAILABLE = "系统暂时无法保存记录（数据库不可用），请稍后重发这条消息。"
OTHER_THANKS = "不客气！走访后直接发一句话即可记录，发送「帮助」查看用法。"
OTHER_GREETING = "您好！走访后直接发一句话即可记录问题，发送「帮助」查看用法。"
OTHER_MISTAKE = "好的，未做记录。如需撤销上一条记录，请回复「撤销」。"
OTHER_DEFAULT = "收到，这条消息没有需要记录的走访或问题。发送「帮助」查看用法。"
# answers to questions about using the bot ("走访记录可以补录吗"), by what they ask about; the first
# whose pattern matches wins, else USAGE_DEFAULT
USAGE_ANSWERS: tuple[tuple[str, str], ...] = (
    (
        r"补录|补报|补发|补交",
        "可以补录：直接发走访内容并写上日期，例如「上周三去了梅园3栋，……」或「11月20日去了……」，走访按您写的日期计入当月。",
    ),
    (
        r"删除|删掉|撤回",
        "刚发的记录回复「撤销」即可撤回；已记录的问题回复「作废 #编号 原因」删除（记错或重复的不再计入清单）。",
    ),
    (
        r"修改|更改",
        "可以改：「改 #编号 分类 食堂」「改 #编号 期限 12月20日」「改 #编号 内容 …」，或回复「撤销」后重新发送。",
    ),
    (
        r"照片|拍照",
        "照片不是必须的；需要留痕时，记录后直接把照片、文件或位置发给我，会附到您刚记的走访或问题上，"
        "「照片移到 #编号」可改附到某个问题。",
    ),
    (r"导出|下载", "私聊发送「导出台账」或「导出上月台账」即可导出（领导、单位负责人、管理员）。"),
    (
        r"还(?:要|需要|得|用)",
        "走访按月统计，不用每周上报：走访后随时发一句话即可。发送「这个月我走访了几次」查看本月完成情况。",
    ),
)
USAGE_DEFAULT = "走访后直接发一句话即可记录；各项用法请发送「帮助」查看。"


def too_long(n: int, limit: int) -> str:
    """Refusal of an over-long message, `n` and `limit` in characters:
    「消息过长（4210字），请分几条发送，每条不超过4000字。原消息已保存。」"""
    return f"消息过长（{n}字），请分几条发送，每条不超过{limit}字。原消息已保存。"


def not_registered(contact: str) -> str:
    """Reply to a sender not on the roster, naming whom to ask:
    「您好，您还不在民情通的干部名单中，……请联系{contact}把您加入名单。」"""
    return f"您好，您还不在民情通的干部名单中，暂时无法记录。请联系{contact}把您加入名单。"


def help_reply(today: date) -> str:
    """The 帮助 text (see handlers.commands.help_text); its example dates lie ahead of `today`."""
    return help_text(today)


def item_line(item: Item | ItemRecord | NewItem | ItemRow, today: date, *, with_owner: bool = True) -> str:
    """One item on one line:
    「#12 【逾期】宿舍｜热水不稳，责任人 张三，期限 12月5日」 (flag only when overdue or not open)."""
    flag = "【逾期】" if item.is_overdue(today) else ("" if item.status in OPEN else f"【{STATUS_NAMES[item.status]}】")
    owner = f"，责任人 {item.owner.name}" if with_owner else ""
    return f"#{item.id} {flag}{item.category}｜{short(item.text)}{owner}，期限 {fmt_date(item.deadline, today)}"


def short(text: str, limit: int = 40) -> str:
    """`text` with whitespace collapsed, cut to `limit` characters ending in 「…」 when longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def visit_line(visit: Visit | NewVisit, today: date) -> str:
    """A visit on one line: 「12月5日（周五）宿舍·梅园3栋，见到5人」."""
    place = f"·{visit.place}" if visit.place else ""
    people = f"，见到{visit.people}人" if visit.people else ""
    return f"{fmt_date(visit.date, today)}（周{WEEKDAYS[visit.date.weekday()]}）{visit.place_type}{place}{people}"


def recorded(visit: NewVisit | None, items: list[NewItem], today: date) -> str:
    """Confirmation of a visit and/or items, one line each, then how to correct: 「已记录走访：…」「发现问题 2 项：」….

    NOTHING_RECORDED when there is neither; the hint's example never repeats the item's own category.
    """
    if visit is None and not items:
        return NOTHING_RECORDED
    lines = []
    if visit is not None:
        lines.append(f"已记录走访：{visit_line(visit, today)}")
    if items:
        lines.append(f"{'发现' if visit else '已记录'}问题 {len(items)} 项：")
        lines.extend(item_line(i, today) + unsure(i) for i in items)
        first = items[0]
        example = first.alternative or ("其他" if first.category != "其他" else "…")  # never its own category
        lines.append(CORRECT_HINT.format(n=first.id, c=example, d=example_date(today)))
    elif visit is not None:
        lines.append("未发现需要跟进的问题。如有遗漏，可直接补发问题，或回复「撤销」重新记录。")
    return "\n".join(lines)


def coverage(went: int, cadres: int) -> str:
    """How many of a unit's cadres went on a visit: 「3/12 名干部下基层（25.0%）」."""
    return f"{went}/{cadres} 名干部下基层（{pct(went / cadres if cadres else None)}）"


def not_yet_visited(names: list[str], limit: int) -> str:
    """The unit's cadres with no visit in the period, at most `limit` names: 「还没有走访：赵老师、…」."""
    shown = "、".join(names[:limit]) + (f" 等 {len(names)} 人" if len(names) > limit else "")
    return f"还没有走访：{shown}"


def unsure(item: NewItem) -> str:
    """The second choice of an item whose category the model was unsure of, with how to switch."""
    if not item.alternative:
        return ""
    return f"（也可能是 {item.alternative}，回复「改 #{item.id} 分类 {item.alternative}」）"


def undone(visit: Visit | None, items: list[ItemRecord], today: date, kept: bool = False) -> str:
    """Confirmation of 撤销 of a whole message: 「已撤销上一条记录：走访（12月5日（周五）宿舍），问题 #12、#13」;
    with `kept` (「撤销 #12」 naming one item of it) 「已撤销问题 #12；同一条记录里的其他内容保留。」"""
    if kept:
        return "已撤销问题 " + "、".join(f"#{i.id}" for i in items) + "；同一条记录里的其他内容保留。"
    parts = []
    if visit is not None:
        parts.append(f"走访（{visit_line(visit, today)}）")
    if items:
        parts.append("问题 " + "、".join(f"#{i.id}" for i in items))
    return "已撤销上一条记录：" + "，".join(parts)


NOTHING_TO_UNDO = "没有可以撤销的记录。"
UNDO_BLOCKED = "上一条记录中的问题已有他人办理，不能整条撤销。请用「改 #N …」更正，或联系单位负责人。"


def no_item(n: int) -> str:
    """Unknown item number: 「没有找到问题 #12，请核对编号（发送「我的待办」查看）。」"""
    return f"没有找到问题 #{n}，请核对编号（发送「我的待办」查看）。"


def forbidden(n: int) -> str:
    """Refusal to act on someone else's item:
    「您没有办理问题 #12 的权限：只有责任人、提出人、本单位负责人和领导可以操作。」"""
    return f"您没有办理问题 #{n} 的权限：只有责任人、提出人、本单位负责人和领导可以操作。"


def wrong_state(item: ItemRecord, action: str) -> str:
    """Refusal of an action (`action` a verb such as 「签收」) in the item's status:
    「问题 #12 当前已办结，不能签收。」"""
    return f"问题 #{item.id} 当前{STATUS_NAMES[item.status]}，不能{action}。"


def accepted(item: ItemRecord, today: date) -> str:
    """签收 confirmation: 「已签收 #12，期限 12月5日。办好后回复「办结 #12 结果」。」"""
    return f"已签收 #{item.id}，期限 {fmt_date(item.deadline, today)}。办好后回复「{form('resolve', id=item.id)}」。"


def progressed(item: ItemRecord) -> str:
    """进展 confirmation: 「已记录 #12 的进展。办好后回复「办结 #12 结果」。」"""
    return f"已记录 #{item.id} 的进展。办好后回复「{form('resolve', id=item.id)}」。"


def transferred(item: ItemRecord, unit_name: str, owner_name: str, today: date) -> str:
    """转办 confirmation to the sender: 「已将 #12 转办给 后勤处 李四，期限 12月9日。已通知对方签收。」"""
    return f"已将 #{item.id} 转办给 {unit_name} {owner_name}，期限 {fmt_date(item.deadline, today)}。已通知对方签收。"


def transfer_notice(item: ItemRecord, from_name: str, policy: Policy, today: date) -> str:
    """Message to the new owner of a transferred item:
    「张三 转办给您一个问题：」, the item line, the new deadline rule and how to 签收/办结/退回."""
    days = policy.leader_days if item.track == TRACK_LEADER else policy.quick_days
    return (
        f"{from_name} 转办给您一个问题：\n{item_line(item, today, with_owner=False)}\n"
        f"期限按{item.track}规则从今天起重新计算（{days}天）。"
        f"请回复「{form('accept', id=item.id)}」，办好后回复「{form('resolve', id=item.id)}」；"
        f"不属于本单位职责可回复「退回 #{item.id} 原因」。"
    )


def resolved(item: ItemRecord) -> str:
    """办结 confirmation asking for the follow-up visit:
    「#12 已办结。请回访群众后回复「回访 #12 满意|基本满意|不满意」。」"""
    return f"#{item.id} 已办结。请回访群众后回复「{form('followup', id=item.id)}」。"


def taken(item: ItemRecord, today: date) -> str:
    """包保 confirmation to the leader: 「您已包保 #12，目标期限 12月19日。已通知原责任人。」"""
    return f"您已包保 #{item.id}，目标期限 {fmt_date(item.deadline, today)}。已通知原责任人。"


def already_taken(item: ItemRecord, today: date) -> str:
    """包保 of an item the leader already holds (nothing changed): 「#12 已由您包保，目标期限 12月19日，未做改动。」"""
    return f"#{item.id} 已由您包保，目标期限 {fmt_date(item.deadline, today)}，未做改动。"


def taken_notice(item: ItemRecord, leader: str) -> str:
    """Message to the former owner when a leader takes the item:
    「王书记 已包保您负责的问题 #12（热水不稳），此后由王书记负责，…」"""
    return f"{leader} 已包保您负责的问题 #{item.id}（{short(item.text)}），此后由{leader}负责，您无需再办理。"


def followed_up(item: ItemRecord, rating: str, today: date) -> str:
    """回访 confirmation:
    「已记录 #12 回访：满意。问题已销号。」, or for 不满意 the reopened deadline and the notified owner."""
    if item.status == "closed":
        return f"已记录 #{item.id} 回访：{rating}。问题已销号。"
    return (
        f"已记录 #{item.id} 回访：{rating}。问题转为重办，新期限 {fmt_date(item.deadline, today)}，"
        f"已通知责任人 {item.owner.name}。"
    )


PUBLIC_UNSATISFIED = "提出问题的群众通过回访链接评价「不满意」。"


def reopen_notice(item: ItemRecord, note: str | None, today: date) -> str:
    """Message to the owner of an item reopened after 不满意 (`note` shown in brackets when given):
    「问题 #12 回访不满意，需要重办：…」"""
    why = f"（{note}）" if note else ""
    return (
        f"问题 #{item.id} 回访不满意{why}，需要重办：\n{item_line(item, today, with_owner=False)}\n"
        f"期限按{item.track}规则从今天起重新计算。办好后回复「{form('resolve', id=item.id)}」。"
    )


def one_at_a_time(refs: list[int]) -> str:
    """Refusal of one 办结 naming several items (`refs`, duplicates shown once):
    「一次办结一个问题，结果分别写：请分别回复「办结 #12 结果」…」"""
    asks = "".join(f"「{form('resolve', id=n)}」" for n in dict.fromkeys(refs))
    return f"一次办结一个问题，结果分别写：请分别回复{asks}。"


def category_unchanged(item_id: int, category: str) -> str:
    """Reply to a 改分类 that names the current category: 「#12 的分类已经是 宿舍，没有改动。」"""
    return f"#{item_id} 的分类已经是 {category}，没有改动。"


def edited(item: ItemRecord, field: str, today: date) -> str:
    """Confirmation of a 改 (`field` 「分类」「期限」…) followed by the item's new line: 「已更正 #12 的期限：」…."""
    return f"已更正 #{item.id} 的{field}：\n{item_line(item, today)}"


def bad_category(name: str, allowed: Iterable[str]) -> str:
    """Unknown category with the allowed ones: 「没有「食堂」这个分类。可选：宿舍、教学、…」"""
    return f"没有「{name}」这个分类。可选：{'、'.join(allowed)}"


def bad_date(today: date) -> str:
    """Unreadable date with examples that lie ahead of `today`:
    「没看懂这个日期，可以写「12月12日」「下周五」「月底」或「三天后」。」"""
    return f"没看懂这个日期，可以写「{example_date(today)}」「下周五」「月底」或「三天后」。"


def impossible_date(why: str) -> str:
    """A date that cannot exist, `why` being the Chinese reason: 「2月30日不存在，请核对日期。」"""
    return f"{why}，请核对日期。"


def past_deadline(d: date, today: date) -> str:
    """Refusal of a deadline before `today`: 「12月1日已经过了（今天是12月5日），期限不能早于今天。」"""
    return f"{fmt_date(d, today)}已经过了（今天是{fmt_date(today)}），期限不能早于今天。"


RATING_NEEDED = "请写明回访结果：满意、基本满意或不满意，例如「回访 #12 满意」。"


def result_needed(ref: int | None) -> str:
    """Asked when a 办结 names no result (「#4已解决」): what was done is part of 办结."""
    n = ref if ref is not None else 12
    return f"请写明办理结果，例如「办结 #{n} 已更换热水器」（只说“已解决”不能办结：台账要写明怎么解决的）。"


PROGRESS_NEEDED = "请写明进展，例如「进展 #12 已联系后勤处，周五上门」。"


def unit_choices(name: str, choices: Iterable[str], ambiguous: bool) -> str:
    """Unit name not found or `ambiguous`, listing `choices`:
    「「后勤」可能是 「后勤处」、「后勤集团」，请写全称再发一次。」"""
    names = "、".join(f"「{c}」" for c in choices)
    if ambiguous:
        return f"「{name}」可能是 {names}，请写全称再发一次。"
    return f"没有找到单位「{name}」。最接近的单位：{names}。请写全称再发一次。"


def no_such_unit(name: str) -> str:
    """A question about a unit nothing on the roster resembles:
    「单位名单里没有「马院」，无法按单位查询。请写名单上的单位全称，或直接问「本月未办结」「逾期」。」"""
    return f"单位名单里没有「{name}」，无法按单位查询。请写名单上的单位全称，或直接问「本月未办结」「逾期」。"


def unknown_person(name: str, unit: str) -> str:
    """Unknown cadre in a unit: 「后勤处没有名为「李四」的干部，请核对姓名。」"""
    return f"{unit}没有名为「{name}」的干部，请核对姓名。"


def no_head(unit: str) -> str:
    """转办 to a unit with no head on the roster:
    「后勤处还没有登记单位负责人，请写明接收人：「转办 #N 后勤处 姓名」。」"""
    return f"{unit}还没有登记单位负责人，请写明接收人：「转办 #N {unit} 姓名」。"


def on_leave(start: date, until: date, today: date) -> str:
    """请假 confirmation (`start` shown only when after `today`):
    「已登记请假从 12月8日 到 12月12日，期间不会给您发提醒。…」"""
    since = "" if start <= today else f"从 {fmt_date(start, today)} "
    return f"已登记请假{since}到 {fmt_date(until, today)}，期间不会给您发提醒。回来后回复「销假」。"


BACK_FROM_LEAVE = "已销假，欢迎回来！提醒将恢复。"


def leave_date_needed(today: date) -> str:
    """请假 without an end date: 「请写明请假到哪天，例如「请假 到12月12日」。」"""
    return f"请写明请假到哪天，例如「请假 到{example_date(today)}」。"


def bound(unit_name: str | None) -> str:
    """绑定 confirmation; `unit_name` None means the leaders' group: 「本群已绑定 后勤处，每周一会收到本单位简报。」"""
    if unit_name is None:
        return "本群已设为领导组，每周一会收到全校（全区）简报。"
    return f"本群已绑定 {unit_name}，每周一会收到本单位简报。"


BIND_FORBIDDEN = "只有单位负责人或领导可以绑定群。"


def scope_limited(unit_head: bool) -> str:
    """A question about a colleague or another unit: 「（只统计您能查看的记录：本人经手的。…）」"""
    if unit_head:
        return "（只统计您能查看的记录：本单位的。其他单位的情况请问领导。）"
    return "（只统计您能查看的记录：本人提出或负责的。全部情况请问单位负责人或领导。）"


def item_revoked(n: int) -> str:
    """An item that was voided (作废) or whose record was taken back (撤销)."""
    return f"问题 #{n} 已作废或已撤销，不在清单中（发送「我的待办」查看现有的问题）。"


def voided_notice(item: ItemRecord, by: str, reason: str) -> str:
    """To the reporter when someone else voids their item: 「您提出的问题 #12 已由 刘处长 作废（重复了）。」"""
    why = f"（{reason}）" if reason else ""
    return f"您提出的问题 #{item.id} 已由 {by} 作废{why}，不再计入清单。如有异议请直接联系{by}。"


def voided(item: ItemRecord, reason: str) -> str:
    """作废 confirmation: 「已作废 #12（记错了）：它不再计入问题清单和统计。发「撤销」可恢复。」"""
    why = f"（{reason}）" if reason else ""
    return f"已作废 #{item.id}{why}：它不再计入问题清单和统计。发「撤销」可恢复。"


def void_who(item: ItemRecord) -> str:
    """作废 refused: only the reporter (while nobody else worked on it), the responsible unit's head
    or a leader."""
    return (
        f"#{item.id} 由 {item.reporter.name} 提出，只有提出人（尚无他人办理时）、{item.unit.name}负责人或领导可以作废。"
    )


def void_worked_on(item: ItemRecord) -> str:
    """作废 refused to the reporter: someone else already worked on the item."""
    return (
        f"#{item.id} 已有他人办理，不能由提出人作废。请联系{item.unit.name}负责人或领导作废，"
        f"或用「改 #{item.id} …」更正。"
    )


# --- item view -------------------------------------------------------------------------------

EVENT_NAMES = {
    "created": "提出",
    "accepted": "签收",
    "transferred": "转办",
    "returned": "退回",
    "progress": "进展",
    "resolved": "办结",
    "followup": "回访",
    "reopened": "重办",
    "closed": "销号",
    "edited": "更正",
    "revoked": "撤销记录",
    "voided": "作废",
    "ext_request": "申请延期",
    "ext_approved": "同意延期",
    "ext_refused": "不同意延期",
    "undone": "撤销",
}
FIELD_NAMES = {"category": "分类", "deadline": "期限", "text": "内容"}


def _when(at: datetime, today: date) -> str:
    return f"{fmt_date(at.date(), today)} {at:%H:%M}"


def _event_text(e: ItemEvent, actor: str | None, names: dict[int, str], today: date) -> str:
    d = e.data or {}
    what = EVENT_NAMES.get(e.kind, e.kind)
    if e.kind == "transferred":
        what = "包保" if d.get("track") == TRACK_LEADER else f"转办给 {names.get(d.get('to_owner', 0), '')}"
    elif e.kind == "returned":
        what = f"退回给 {names.get(d.get('to_owner', 0), '')}"
    elif e.kind == "edited":
        old, new = d.get("old"), d.get("new")
        if d.get("field") == "deadline":
            old, new = fmt_date(date.fromisoformat(d["old"]), today), fmt_date(date.fromisoformat(d["new"]), today)
        what = f"更正{FIELD_NAMES.get(d.get('field', ''), '')}：{short(str(old), 12)} → {short(str(new), 12)}"
    elif e.kind == "ext_request":
        what = f"申请延期到 {fmt_date(date.fromisoformat(d['to']), today)}"
    elif e.kind == "ext_approved":
        old, new = date.fromisoformat(d["old"]), date.fromisoformat(d["new"])
        what = f"同意延期：{fmt_date(old, today)} → {fmt_date(new, today)}"
    elif e.kind == "followup":
        what = f"回访 {d.get('rating', '')}"
    elif e.kind == "reopened" and d.get("deadline"):
        what = f"重办，新期限 {fmt_date(date.fromisoformat(d['deadline']), today)}"
    note = f"：{short(e.note, 30)}" if e.note else ""
    return f"  {_when(e.at, today)} {actor or ''} {what}{note}"


def item_view(item: ItemRecord, history: list[tuple[ItemEvent, str | None]], today: date) -> str:
    """One item: what, who, deadline (and 逾期 days), status, and its history with times."""
    status = STATUS_NAMES[item.status]
    if item.is_overdue(today):
        status += f"【逾期{(today - item.deadline).days}天】"
    names = {e.actor_id: n for e, n in history if e.actor_id is not None and n}
    names.update({item.owner_id: item.owner.name, item.reporter_id: item.reporter.name})
    undone = {(e.data or {}).get("event") for e, _ in history if e.kind == "undone"}
    lines = [
        f"#{item.id} {item.category}｜{item.text}",
        f"状态：{status}",
        f"提出：{item.reporter.name}，{_when(item.created_at, today)}",
        f"责任：{item.unit.name} {item.owner.name}（{item.track}），期限 {fmt_date(item.deadline, today)}",
    ]
    if item.first_due and item.first_due != item.deadline:
        lines.append(f"按期办结按 {fmt_date(item.first_due, today)} 计算（之后的延期另计）")
    if item.result:
        lines.append(f"办理结果：{item.result}")
    lines.append("经过：")
    lines.extend(
        _event_text(e, n, names, today) + ("（已撤销）" if e.id in undone else "")
        for e, n in history
        if e.kind != "undone"
    )
    return "\n".join(lines)


def unsure_item(n: int) -> str:
    """An unknown number in a message that may be a new problem (nothing done): 「没有找到问题 #12，所以没有办理。…」"""
    return (
        f"没有找到问题 #{n}，所以没有办理。您是要办理别的编号（发送「我的待办」查看），"
        f"还是要记录一个新问题？新问题请直接描述，不带编号。"
    )


def unsure_forbidden(item: ItemRecord) -> str:
    """Someone else's item in a message that may be a new problem (nothing done):
    「问题 #12 由 李四 负责，您不能办理，…」"""
    return (
        f"问题 #{item.id} 由 {item.owner.name} 负责，您不能办理，所以没有改动。是要提醒责任人，"
        f"还是要记录一个新问题？新问题请直接描述，不带编号。"
    )


def already_owner(item: ItemRecord, name: str) -> str:
    """转办 to the current owner: 「#12 已经由 李四 负责，不需要转办。」"""
    return f"#{item.id} 已经由 {name} 负责，不需要转办。"


def moved_away(item: ItemRecord, by: str, to: str) -> str:
    """Message to the former owner after someone else transferred the item:
    「张三 已将您负责的问题 #12（…）转办给 后勤处 李四，…」"""
    return f"{by} 已将您负责的问题 #{item.id}（{short(item.text)}）转办给 {to}，您无需再办理。"


REFUSE_REASON_NEEDED = "请写明退回原因，例如「退回 #12 不属于我处职责」。"
REFUSE_WHO = "只有接收转办的责任人或其单位负责人可以退回。"


def not_transferred(item: ItemRecord) -> str:
    """退回 of an item that was not transferred to the sender: 「#12 不是转办给您的问题，不能退回。…」"""
    return f"#{item.id} 不是转办给您的问题，不能退回。如需交给别的单位，请回复「转办 #{item.id} 单位」。"


def refused(item: ItemRecord, back_to: str, reason: str) -> str:
    """退回 confirmation: 「已将 #12 退回给 张三（理由：不属于我处职责），已通知对方。」"""
    return f"已将 #{item.id} 退回给 {back_to}（理由：{short(reason)}），已通知对方。"


def refused_notice(item: ItemRecord, by: str, reason: str) -> str:
    """Message to the one who transferred a returned item:
    「李四 退回了您转办的问题 #12（…），理由：…。问题已回到您名下，…」"""
    return (
        f"{by} 退回了您转办的问题 #{item.id}（{short(item.text)}），理由：{short(reason)}。"
        f"问题已回到您名下，可改转其他单位：「转办 #{item.id} 单位」。"
    )


def extension_is_a_request(item: ItemRecord, d: date, today: date) -> str:
    """A 改期限 to a later date, which needs approval: 「推迟期限需要批准：请回复「延期 #12 到12月9日 原因…」，…」"""
    return (
        f"推迟期限需要批准：请回复「延期 #{item.id} 到{fmt_date(d, today)} 原因…」，"
        f"批准前期限仍为 {fmt_date(item.deadline, today)}。"
    )


def extend_usage(item: ItemRecord, today: date) -> str:
    """延期 without date or reason: 「请写明延期到哪天和原因，例如「延期 #12 到12月12日 原因：等配件」。」"""
    return f"请写明延期到哪天和原因，例如「延期 #{item.id} 到{example_date(max(today, item.deadline))} 原因：等配件」。"


def not_later(item: ItemRecord, today: date) -> str:
    """延期 to a date not after the current deadline: 「#12 的期限是 12月5日，延期的日期要晚于它。」"""
    return f"#{item.id} 的期限是 {fmt_date(item.deadline, today)}，延期的日期要晚于它。"


NO_APPROVER = "没有找到可以批准延期的单位负责人或领导，请联系管理员。"


def extension_requested(item: ItemRecord, d: date, approver: str, today: date) -> str:
    """延期 request confirmation to the owner:
    「已提交 #12 延期申请：到 12月9日。待 王书记 批准；批准前期限仍为 12月5日。」"""
    return (
        f"已提交 #{item.id} 延期申请：到 {fmt_date(d, today)}。待 {approver} 批准；"
        f"批准前期限仍为 {fmt_date(item.deadline, today)}。"
    )


def extension_asked(item: ItemRecord, by: str, d: date, reason: str, today: date) -> str:
    """Message to the approver of a 延期 request:
    「张三 申请把问题 #12（…）的期限从 12月5日 延到 12月9日，原因：…」 and how to answer."""
    return (
        f"{by} 申请把问题 #{item.id}（{short(item.text)}）的期限从 {fmt_date(item.deadline, today)} "
        f"延到 {fmt_date(d, today)}，原因：{short(reason)}。\n"
        f"回复「同意延期 #{item.id}」或「不同意延期 #{item.id} 理由」。"
    )


def no_extension(item: ItemRecord) -> str:
    """同意/不同意延期 with no pending request: 「#12 没有待批准的延期申请。」"""
    return f"#{item.id} 没有待批准的延期申请。"


def not_approver(item: ItemRecord) -> str:
    """同意/不同意延期 by someone who may not approve: 「#12 的延期由本单位负责人批准（包保问题…由领导批准）。」"""
    return f"#{item.id} 的延期由本单位负责人批准（包保问题和单位负责人自己的问题由领导批准）。"


def extension_approved(item: ItemRecord, old: date, today: date) -> str:
    """同意延期 confirmation, `old` the previous deadline:
    「已同意 #12 延期：12月5日 → 12月9日；按期办结仍按 12月5日 计算。已通知申请人。」"""
    due = f"；按期办结仍按 {fmt_date(item.first_due, today)} 计算" if item.first_due else ""
    return f"已同意 #{item.id} 延期：{fmt_date(old, today)} → {fmt_date(item.deadline, today)}{due}。已通知申请人。"


def extension_approved_notice(item: ItemRecord, by: str, old: date, today: date) -> str:
    """Message to the requester: 「王书记 同意了 #12 的延期：期限 12月5日 → 12月9日。」"""
    return f"{by} 同意了 #{item.id} 的延期：期限 {fmt_date(old, today)} → {fmt_date(item.deadline, today)}。"


def extension_refused(item: ItemRecord, today: date) -> str:
    """不同意延期 confirmation: 「已驳回 #12 的延期申请，期限仍为 12月5日。已通知申请人。」"""
    return f"已驳回 #{item.id} 的延期申请，期限仍为 {fmt_date(item.deadline, today)}。已通知申请人。"


def extension_refused_notice(item: ItemRecord, by: str, reason: str, today: date) -> str:
    """Message to the requester (`reason` in brackets when given):
    「王书记 没有同意 #12 的延期（…），期限仍为 12月5日。」"""
    why = f"（{short(reason)}）" if reason else ""
    return f"{by} 没有同意 #{item.id} 的延期{why}，期限仍为 {fmt_date(item.deadline, today)}。"


# --- undo ------------------------------------------------------------------------------------

UNDO_ACTIONS = {
    "accepted": "签收",
    "progress": "进展",
    "transferred": "转办",
    "returned": "退回",
    "resolved": "办结",
    "edited": "更正",
    "voided": "作废",
}


def undone_action(e: ItemEvent, today: date) -> str:
    """撤销 confirmation of one action `e` (kind one of UNDO_ACTIONS, else KeyError):
    「已撤销您对 #12 的签收。再发「撤销」可撤销再上一步。」"""
    d = e.data or {}
    what = UNDO_ACTIONS[e.kind]
    if e.kind == "edited":
        old = d.get("old")
        if d.get("field") == "deadline":
            old = fmt_date(date.fromisoformat(d["old"]), today)
        what = f"更正{FIELD_NAMES.get(d.get('field', ''), '')}（已恢复为「{short(str(old), 20)}」）"
    elif e.kind == "transferred" and d.get("track") == TRACK_LEADER:
        what = "包保"
    elif e.note:
        what += f"「{short(e.note, 20)}」"
    return f"已撤销您对 #{e.item_id} 的{what}。再发「撤销」可撤销再上一步。"


def undo_blocked_item(n: int) -> str:
    """撤销 refused because someone acted on the item since: 「#12 在您之后已有他人办理，不能撤销。…」"""
    return f"#{n} 在您之后已有他人办理，不能撤销。请用「改 #{n} …」更正，或联系单位负责人。"


def undo_not_after_other(item_id: int | None) -> str:
    """A bare 「撤销」 after another message that changed nothing: nothing is undone.
    「您上一条消息没有改动任何记录，所以这次没有撤销。最近一次改动是 #12 的；如确要撤回，请发送「撤销 #12」。」"""
    what, how = ("一条走访记录", "撤销走访") if item_id is None else (f" #{item_id} 的", f"撤销 #{item_id}")
    return f"您上一条消息没有改动任何记录，所以这次没有撤销。最近一次改动是{what}；如确要撤回，请发送「{how}」。"


def undo_not_last_visit() -> str:
    """「撤销走访」 when the newest step is no visit record: nothing is undone."""
    return "您最近一次改动不是走访记录，所以这次没有撤销。发送「撤销」撤回最近一步。"


def undo_not_last(n: int) -> str:
    """「撤销 #22」 when the sender's newest step is not about #22: nothing is undone.
    「撤销只撤回您自己最近的一步，而最近一步不是 #22 的，所以没有撤销。…」"""
    return (
        f"撤销只撤回您自己最近的一步，而最近一步不是 #{n} 的，所以没有撤销。"
        f"要更正 #{n}，请用「改 #{n} 分类/期限/内容 …」；发送「撤销」撤回最近一步。"
    )


def nothing_to_undo(minutes: int) -> str:
    """撤销 with nothing left in the window of `minutes`: 「没有可以撤销的操作（只能撤销自己最近60分钟内的…）。」"""
    return f"没有可以撤销的操作（只能撤销自己最近{minutes}分钟内的记录、更正、转办、退回、进展、签收、办结和作废）。"


def transfer_withdrawn(item: ItemRecord, by: str) -> str:
    """Message to the receiver of a transfer that was undone:
    「张三 撤回了问题 #12 的转办（热水不稳），您无需再办理。」"""
    return f"{by} 撤回了问题 #{item.id} 的转办（{short(item.text)}），您无需再办理。"
