"""Fields of a question about records: subject, status, period, category, mine."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

_ITEM_WORDS = re.compile(r"问题|诉求|事项|待办|办结|解决|逾期|超期|工单|清单|台账|处理")
_VISIT_WORDS = re.compile(r"走访|家访|下基层|去哪|去了哪|跑了|谁还?没(?:有)?下去")
# 「走访台账」「走访记录」: the ledger of visits, not of items
_VISIT_LEDGER = re.compile(
    r"(?:走访|家访)(?:的)?(?:台账|记录|清单|情况|次数|总数)"
    # counting trips: 去了几次, 下去过几回, 下了几次村, 跑了多少趟
    r"|(?:去|下去?|跑|到)(?:了|过)?(?:几|多少)(?:次|回|趟)|下去过|下村|下乡"
)
_OVERDUE = re.compile(r"[逾愈]期|超期|超时|过期|延期|超过期限|拖了很久")
_OPEN = re.compile(
    r"[未为没]办结|没有?办(?!法)|未解决|没关|未关|还开着|没结|未结|没解决|没有解决|未处理|没处理|待办|在办|办理中|处理中|跟进中|未完成|没完成|没办完|"
    r"没处理完|还没|尚未|还剩|剩下|剩余|还有哪些|还有多少|还有几|未销号|没销号|挂着|积压"
)
_RESOLVED = re.compile(
    r"[已以]经?(?:解决|办结|完成|处理|销号)|销了?[几多少个0-9]*号|解决了|办结了|已完成|完成了|处理好|处理完了|已处理|销号了|已销号|办好了|搞定"
)
_PERIODS = [
    ("last_week", re.compile(r"上周|上一?个?星期|上一?个?礼拜")),
    ("this_week", re.compile(r"本周|这周|这一?个?星期|这一?个?礼拜|本星期|本礼拜")),
    ("last_month", re.compile(r"上个?月|上月")),
    ("this_month", re.compile(r"本月|这个?月|当月|这月")),
]
_MONTH = re.compile(r"(?P<m>[0-9]{1,2}|[一二三四五六七八九十]{1,2})月份?")
_NOT_MINE = re.compile(r"帮我|给我|跟我|让我|告诉我|替我|发我|为我|我们|我校|我院")
_MINE = re.compile(r"我")


def _period(text: str, today: date) -> str:
    for name, rx in _PERIODS:
        if rx.search(text):
            return name
    m = _MONTH.search(text)
    if m:
        from .numerals import cn_to_int

        month = cn_to_int(m.group("m"))
        if month == today.month:
            return "this_month"
        if month == (today.month - 2) % 12 + 1:
            return "last_month"
    return "all"


# a category word that names the people who raised the problems: 实习生反映的, 住宿生们提的
_REPORTERS = re.compile(r"(?:生|人员|员|者)们?(?:反映|提出?|说|报)")


def _category(text: str, categories: Sequence[str], aliases: Mapping[str, str]) -> str | None:
    if "其他" in categories and re.search(r"其他类|其它类|其他方面", text):
        return "其他"
    best: tuple[int, str] | None = None
    for word, cat in [(c, c) for c in categories if c != "其他"] + list(aliases.items()):
        pos = text.find(word)
        if pos < 0 or _REPORTERS.match(text, pos + len(word)):
            continue  # 「实习生反映的事」: who raised them, not what they are about
        if cat in categories and (best is None or pos < best[0]):
            best = (pos, cat)
    return best[1] if best else None


# the topic a question is about, when named by its problem rather than a category:
# 「拖欠工钱的问题有没有逾期的」「路灯道路这些问题还有多少没办」「关于欠薪的问题」
_TOPIC = re.compile(
    r"^(?:(?:关于|有关|查一下|查下|查询|帮我看看|看看|看下|所有|全部|本月|上月|上个月|这个月|本周|上周|这周|今年)\s*)*"
    r"(?P<t>[^，。？?！!\s的]{2,10}?)(?:的|这些|这类|那些|这方面的?|方面的?|类的?)*(?:问题|诉求|事情?)"
)
# a topic names a thing, not what happened to it or a question: 「解决了哪些问题」 has none
_NOT_TOPIC = re.compile(
    r"了|哪|几|多少|吗|么|什么|未|没|已|逾期|超期|待办|新增|名下|负责|我|本月|上月|上个月|这个月|本周|上周|这周|今年|学期|全部|所有"
)


def question_topic(text: str) -> str | None:
    """The words a record question opens with to name what it is about (「拖欠工钱」「东风机械厂」),
    or None (「本月未办结的问题」「上周解决了哪些问题」 name none)."""
    m = _TOPIC.match(text)
    return m.group("t") if m and not _NOT_TOPIC.search(m.group("t")) and not _REPORTERS.search(m.group("t")) else None


def parse_query(text: str, today: date, categories: Sequence[str], aliases: Mapping[str, str]) -> dict[str, Any]:
    """Query fields of a record question (see the labelling guide for the vocabulary)."""
    visits = _VISIT_LEDGER.search(text) or (_VISIT_WORDS.search(text) and not _ITEM_WORDS.search(text))
    subject = "visits" if visits else "items"
    if subject == "visits":
        status, category = "any", None
    else:
        if _OVERDUE.search(text):
            status = "overdue"
        elif _OPEN.search(text):
            status = "open"
        elif _RESOLVED.search(text):
            status = "resolved"
        else:
            status = "any"
        category = _category(text, categories, aliases)
    mine = bool(_MINE.search(_NOT_MINE.sub("", text)))
    return {"subject": subject, "status": status, "period": _period(text, today), "category": category, "mine": mine}


TITLES = ("老师", "书记", "院长", "处长", "主任", "师傅", "同志", "部长", "科长", "校长", "委员", "辅导员")
_TITLED = re.compile(rf"(?P<s>[\u4e00-\u9fa5])(?:{'|'.join(TITLES)}|某某|某)")


def titled_surnames(text: str) -> list[str]:
    """Surnames said with a title or 某某 (张老师, 李某某 → 张, 李), in order: the only names
    `find_person` needs besides those written out in full."""
    return [m["s"] for m in _TITLED.finditer(text)]


def find_person(text: str, names: Sequence[str]) -> str | None:
    """The roster name a question is about: the full name (张伟, 张老师), the full name with a
    title (张伟老师), or a surname with a title or 某某 (张老师, 张某某) when only one person has that
    surname. None when no one, or several people, fit."""
    hits = [n for n in names if n and n in text]
    if len(set(hits)) == 1:
        return hits[0]
    if len(set(hits)) > 1:
        return max(hits, key=len) if len({len(h) for h in hits}) > 1 else None
    for surname in titled_surnames(text):
        same = [n for n in names if n.startswith(surname)]
        if len(same) == 1:
            return same[0]
    return None


def find_unit_name(text: str, units: Mapping[str, Sequence[str]]) -> str | None:
    """The unit a question is about, given {unit name: other names}; the longest name found wins."""
    best: tuple[int, str] | None = None
    for unit, others in units.items():
        for n in (unit, *others):
            if len(n) >= 2 and n in text and (best is None or len(n) > best[0]):
                best = (len(n), unit)
    return best[1] if best else None


# --- is it a question about records? -------------------------------------------------------
# For intent detection (handlers/nlu/intent.py): questions the keyword rule misses, in the
# words people use — counts asked (还剩几个, 下了几次村, 销了几个号), states asked (啥状态, 有回音没,
# 处理到哪一步了, 处理得么样了), lists asked (查下…, 走访记录 全部) — never a report (a complaint with
# 好几次 or 几个社团, something someone 反映/说), a plan, a usage question or a policy question.
_ASK = re.compile(
    r"(?:了|还有|还剩|剩|有|共|过|下了|跑了|去了|销了|新增)几(?:个|条|件|次|回|项|趟)"
    r"|几(?:个|条|件|次|回|项|趟)(?:[了呢吗没]|$|[？?])"
    r"|(?:了|有|共|办结了|解决了)多少|多少(?:条|个|件|项|次)?(?:[了呢吗没]|$|[？?])"
    r"|哪些|有没有|还有没|有无|吗|没有?[？?]?$|咋样|么样|啥状态|啥情况|什么情况|什么状态|哪一步|有回音"
    r"|情况(?:怎么样|如何)?$|查下|查一下|调出|导出|列出|总数|一共|(?:记录|清单|台账)\s*全部|[？?]$"
)
_RECORDS = re.compile(
    r"问题|问提|诉求|事|件|条|待办|走访|记录|办|销号|结|跑了|下去|下了|去了|点|类|这块|那块|一块|名下|手上"
    r"|报的|提的|销了?[几多少个0-9]*号"
)
_NOT_ASKING = re.compile(
    r"能不能|能否|可以|怎么(?!样)|如何|补录|能\S{0,2}多少|发这里|要不要|照常"
    r"|今天|昨天|前天|昨晚|今早|今晚|刚才|[0-9一二三四五六七八九十]+[号日](?!前)|明天|下周|下次|准备|计划|打算"
)
_REPORTED = re.compile(r"反映|说")
_ASKED_ABOUT_REPORTED = re.compile(r"反映的.{0,6}(?:问题|事|诉求)")


def asks_about_records(text: str) -> bool:
    """Whether a short message asks about the bot's records (a count, a state or a list)."""
    if len(text) > 40 or _NOT_ASKING.search(text):
        return False
    if _REPORTED.search(text) and not _ASKED_ABOUT_REPORTED.search(text):
        return False
    return bool(_ASK.search(text) and _RECORDS.search(text))
