"""Every Chinese sentence the conversation shows a user, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from storage.models import Item, Visit
from storage.records import NewItem, NewVisit

STATUS_NAMES = {
    "new": "待签收", "in_progress": "办理中", "resolved": "已办结", "reopened": "重办中",
    "closed": "已销号", "revoked": "已撤销",
}
WEEKDAYS = "一二三四五六日"

HELP = """民情通使用说明
【记录】走访后直接发一句话，例如：
  今天去梅园3栋走访，5名同学反映热水不稳、晚上网络卡
【办理】签收 #12 ｜ 进展 #12 已联系后勤 ｜ 办结 #12 已更换热水器
  转办 #12 后勤处 [张三] ｜ 包保 #12（领导）｜ 回访 #12 满意|基本满意|不满意 [说明]
【更正】改 #12 分类 宿舍 ｜ 改 #12 期限 12月5日 ｜ 改 #12 内容 … ｜ 撤销（撤销上一条记录）
【查询】我的待办 ｜ 本月未办结 ｜ 逾期 ｜ 食堂问题 ｜ 本周走访 ｜ 本月走访
【其他】请假 到12月5日 ｜ 销假 ｜ 绑定 计算机学院（群内，单位负责人）
【领导、单位负责人】导出台账 ｜ 导出上月台账 ｜ 后台（网页，私聊）"""

CORRECT_HINT = "如有不对：回复「改 #{n} 分类 宿舍」「改 #{n} 期限 12月5日」或「撤销」"
NOTHING_RECORDED = "没有识别到走访或问题，未做记录。发送「帮助」查看用法。"
EMPTY = "消息是空的。发送「帮助」查看用法。"
NOT_TEXT = "暂时只能识别文字消息，请发送文字。"
BINARY = "消息里有无法识别的字符，请重新发送文字。"
FAILED = "抱歉，处理这条消息时出错，原消息已保存，管理员会尽快处理。请稍后重试。"
UNAVAILABLE = "系统暂时无法保存记录（数据库不可用），请稍后重发这条消息。"
OTHER_THANKS = "不客气！走访后直接发一句话即可记录，发送「帮助」查看用法。"
OTHER_GREETING = "您好！走访后直接发一句话即可记录问题，发送「帮助」查看用法。"
OTHER_MISTAKE = "好的，未做记录。如需撤销上一条记录，请回复「撤销」。"
OTHER_DEFAULT = "收到，这条消息没有需要记录的走访或问题。发送「帮助」查看用法。"


def too_long(n: int, limit: int) -> str:
    return f"消息过长（{n}字），请分几条发送，每条不超过{limit}字。原消息已保存。"


def not_registered(contact: str) -> str:
    return f"您好，您还不在民情通的干部名单中，暂时无法记录。请联系{contact}把您加入名单。"


def fmt_date(d: date, today: date | None = None) -> str:
    if today is not None and d.year != today.year:
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.month}月{d.day}日"


def item_line(item: Item | NewItem, today: date, *, with_owner: bool = True) -> str:
    flag = "【逾期】" if item.is_overdue(today) else ""
    owner = f"，责任人 {item.owner.name}" if with_owner else ""
    return f"#{item.id} {flag}{item.category}｜{short(item.text)}{owner}，期限 {fmt_date(item.deadline, today)}"


def short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def visit_line(visit: Visit | NewVisit, today: date) -> str:
    place = f"·{visit.place}" if visit.place else ""
    people = f"，见到{visit.people}人" if visit.people else ""
    return f"{fmt_date(visit.date, today)}（周{WEEKDAYS[visit.date.weekday()]}）{visit.place_type}{place}{people}"


def recorded(visit: NewVisit | None, items: list[NewItem], today: date) -> str:
    if visit is None and not items:
        return NOTHING_RECORDED
    lines = []
    if visit is not None:
        lines.append(f"已记录走访：{visit_line(visit, today)}")
    if items:
        lines.append(f"{'发现' if visit else '已记录'}问题 {len(items)} 项：")
        lines.extend(item_line(i, today) for i in items)
        lines.append(CORRECT_HINT.format(n=items[0].id))
    elif visit is not None:
        lines.append("未发现需要跟进的问题。如有遗漏，可直接补发问题，或回复「撤销」重新记录。")
    return "\n".join(lines)


def undone(visit: Visit | None, items: list[Item], today: date) -> str:
    parts = []
    if visit is not None:
        parts.append(f"走访（{visit_line(visit, today)}）")
    if items:
        parts.append("问题 " + "、".join(f"#{i.id}" for i in items))
    return "已撤销上一条记录：" + "，".join(parts)


NOTHING_TO_UNDO = "没有可以撤销的记录。"
UNDO_BLOCKED = "上一条记录中的问题已有他人办理，不能整条撤销。请用「改 #N …」更正，或联系单位负责人。"


def no_item(n: int) -> str:
    return f"没有找到问题 #{n}，请核对编号（发送「我的待办」查看）。"


def forbidden(n: int) -> str:
    return f"您没有办理问题 #{n} 的权限：只有责任人、提出人、本单位负责人和领导可以操作。"


def wrong_state(item: Item, action: str) -> str:
    return f"问题 #{item.id} 当前{STATUS_NAMES[item.status]}，不能{action}。"


def accepted(item: Item, today: date) -> str:
    return f"已签收 #{item.id}，期限 {fmt_date(item.deadline, today)}。办好后回复「办结 #{item.id} 结果」。"


def progressed(item: Item) -> str:
    return f"已记录 #{item.id} 的进展。办好后回复「办结 #{item.id} 结果」。"


def transferred(item: Item, unit_name: str, owner_name: str, today: date) -> str:
    return (f"已将 #{item.id} 转办给 {unit_name} {owner_name}，期限 {fmt_date(item.deadline, today)}。"
            "已通知对方签收。")


def transfer_notice(item: Item, from_name: str, today: date) -> str:
    return (f"{from_name} 转办给您一个问题：\n{item_line(item, today, with_owner=False)}\n"
            f"请回复「签收 #{item.id}」，办好后回复「办结 #{item.id} 结果」。")


def resolved(item: Item) -> str:
    return f"#{item.id} 已办结。请回访群众后回复「回访 #{item.id} 满意|基本满意|不满意」。"


def taken(item: Item, today: date) -> str:
    return f"您已包保 #{item.id}，目标期限 {fmt_date(item.deadline, today)}。"


def followed_up(item: Item, rating: str) -> str:
    if item.status == "closed":
        return f"已记录 #{item.id} 回访：{rating}。问题已销号。"
    return f"已记录 #{item.id} 回访：{rating}。问题转为重办，已通知责任人 {item.owner.name}。"


def reopen_notice(item: Item, note: str | None, today: date) -> str:
    why = f"（{note}）" if note else ""
    return (f"问题 #{item.id} 回访不满意{why}，需要重办：\n{item_line(item, today, with_owner=False)}\n"
            f"办好后回复「办结 #{item.id} 结果」。")


def edited(item: Item, field: str, today: date) -> str:
    return f"已更正 #{item.id} 的{field}：\n{item_line(item, today)}"


def bad_category(name: str, allowed: Iterable[str]) -> str:
    return f"没有「{name}」这个分类。可选：{'、'.join(allowed)}"


BAD_DATE = "没看懂这个日期，请写成「12月5日」「12.5」或「2026-12-05」。"
PAST_DEADLINE = "期限不能早于今天。"
LEADER_ONLY = "只有领导可以包保问题。"
RATING_NEEDED = "请写明回访结果：满意、基本满意或不满意，例如「回访 #12 满意」。"
RESULT_NEEDED = "请写明办理结果，例如「办结 #12 已更换热水器」。"
PROGRESS_NEEDED = "请写明进展，例如「进展 #12 已联系后勤处，周五上门」。"


def unknown_unit(name: str) -> str:
    return f"没有找到单位「{name}」，请写全称（如「计算机学院」）。"


def unknown_person(name: str, unit: str) -> str:
    return f"{unit}没有名为「{name}」的干部，请核对姓名。"


def no_head(unit: str) -> str:
    return f"{unit}还没有登记单位负责人，请写明接收人：「转办 #N {unit} 姓名」。"


def on_leave(until: date, today: date) -> str:
    return f"已登记请假到 {fmt_date(until, today)}，期间不会给您发提醒。回来后回复「销假」。"


BACK_FROM_LEAVE = "已销假，欢迎回来！提醒将恢复。"
LEAVE_DATE_NEEDED = "请写明请假到哪天，例如「请假 到12月5日」。"


def bound(unit_name: str | None) -> str:
    if unit_name is None:
        return "本群已设为领导组，每周一会收到全校（全区）简报。"
    return f"本群已绑定 {unit_name}，每周一会收到本单位简报。"


BIND_GROUP_ONLY = "请在要接收简报的群里发送「绑定 单位名」。"
BIND_FORBIDDEN = "只有单位负责人或领导可以绑定群。"
