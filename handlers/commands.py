"""Commands on items and on oneself, recognised before natural-language understanding.

One table, `SPECS`: each command has its short form (「签收 #12」) and the natural wordings
people type (「收到 #11」「把13号转给后勤处吧」「那个17号的灯已经修好了」); the help text is
generated from the same table, and so are the reply hints in replies and reminders: `form(name)`
is a command's short form as a template (「办结 #{id} 结果」), so a renamed command word changes
everywhere at once. Feature modules register the function that carries a command out with
`@handles(name)`; the dispatcher finds it with `action(name)`. `parse_command(text)` returns a
Command, a QueryCommand or None.

Adding a command: one `Spec` here, one `@handles("name")` function in its feature module, one
conversation test. Who may use it and where (roles, private or group chat) is the Spec's `allow`:
the dispatcher checks it before the function runs, and 帮助 names it.

A natural wording is only recognised when it names an item the bot numbered — #12, 12号(问题),
第12个问题, 编号12 — and says something aimed at it; room and building numbers (302, 3栋, 8号楼),
article numbers (第29条), years and counts (12个) never make a command. Such commands carry
`natural=True`: when the item does not exist or is not the sender's, the reply asks instead
of refusing (it may have been a report, not a command).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from handlers.nlu.dates import parse_range
from handlers.nlu.numerals import COUNTED
from handlers.policy import ADMIN_ROLES, ROLE_LEADER, ROLE_NAMES, ROLE_UNIT_HEAD
from handlers.texts import refusals
from handlers.texts.formatting import example_date

if TYPE_CHECKING:
    from handlers.context import Ctx

# A reference after a command word: 「签收 12」「签收 #12」「签收 第12号」.
REF = (
    r"[#＃]?\s*(?:第\s*)?(?P<ref>\d{1,9})(?![0-9])(?!\s*(?:个|人|名|次|条|栋|楼|层|间|套|元|天|月|年|%|％|岁|周))"
    r"\s*号?(?:问题)?"
)
# A reference inside a sentence: only the bot's own numbering.
_NOT_ITEM = (
    r"(?![0-9]|\s*(?:楼|床|门|线|窗|房|宿|院|馆|机|柜|车|位|栋|台|道|件|单|条|元|口|厅|室|地|层|组|班|届|级"
    r"|年|月|日|天|点|个(?!问题)|人|名|次|号|早上|上午|中午|下午|晚上|夜里|凌晨|当天))"
)
# what may follow a bare 「17号」 that names an item: a pause, 的 (「17号的灯」), or what was done
# to it — never another noun (「9号楼」「20号宿舍」) or a time (「15号那天」「14号上午」)
_ITEM_NEXT = (
    r"(?=\s*(?:[，,。:：;；!！?？]|的|那个|这个|已|还|都|也|问题|事项|工单|诉求|$"
    r"|修|换|解决|办结|办好|处理|完成|弄好|搞定|好了|签收|转|进展))"
)
SREF = (
    r"(?:[#＃]\s*(?P<ref>\d{1,9})|第\s*(?P<ref2>\d{1,9})\s*(?:个|号)\s*问题|编号\s*(?P<ref3>\d{1,9})"
    rf"|问题\s*(?P<ref4>\d{{1,9}})(?![0-9]|\s*{COUNTED})\s*号?"  # not 问题3个
    r"|(?P<ref5>\d{1,9})\s*号\s*问题|(?P<ref6>\d{1,9})\s*号" + _NOT_ITEM + _ITEM_NEXT + r")\s*"
)
SP = r"[\s:：,，]*"
DONE = (
    r"(?:(?:已经?|都|终于)?(?:解决|修好|修复|修完|办好|办完|办结|处理好|处理完毕|办理完毕|处理完|完毕|搞定|完成|弄好|弄完|做完|"
    r"换好|换了?新的?|装好|落实|整改好|整改完成)"
    r"|已经?处理(?!中))(?:了|啦)?"
)
DOING = r"(?:正在|已经?|在|刚|今天|下午|上午)(?:联系|协调|处理|报修|沟通|安排|跟进|对接|维修|调查|核实)"
RATING = r"(?P<arg>满意|基本满意|不满意)"


@dataclass(frozen=True)
class Command:
    name: str  # see SPECS, plus help, undo, back, bind, export
    ref: int | None = None
    arg: str = ""
    extra: str = ""
    natural: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class QueryCommand:
    subject: str
    status: str
    period: str
    category: str | None = None
    mine: bool = False


@dataclass(frozen=True)
class Allow:
    """Who may use a command and in which chat; the dispatcher checks it before the command's
    function runs (item-level rights — 首接首办, 属地 — stay with the item, `load_item`).

    roles: any one of them suffices (empty: every cadre on the roster); denied: the reply when
    the sender has none. chat: "any" | "private" | "group"; wrong_chat: the reply elsewhere
    (may use {id}, the command's item number)."""

    roles: tuple[str, ...] = ()
    denied: str = ""
    chat: str = "any"
    wrong_chat: str = ""

    def refusal(self, roles: Iterable[str], is_group: bool, ref: int | None) -> str | None:
        """The reply refusing a sender with `roles` in a group (`is_group`) or private chat, or
        None when allowed. Roles are checked first, then the kind of chat."""
        if self.roles and not set(self.roles) & set(roles):
            return self.denied
        if (self.chat == "private" and is_group) or (self.chat == "group" and not is_group):
            return self.wrong_chat.format(id=ref if ref is not None else "N")
        return None

    def note(self) -> str:
        """How 帮助 names the limits: 「领导、单位负责人、管理员，私聊」 ('' for everyone, anywhere)."""
        who = "、".join(dict.fromkeys(ROLE_NAMES.get(r, r) for r in self.roles))
        parts = ("群内", who) if self.chat == "group" else (who, "私聊" if self.chat == "private" else "")
        return "，".join(p for p in parts if p)


EVERYONE = Allow()
HEADS = (ROLE_UNIT_HEAD, ROLE_LEADER)
CONSOLE_USERS = (ROLE_LEADER, ROLE_UNIT_HEAD, *ADMIN_ROLES)


@dataclass(frozen=True)
class Spec:
    """One command: its short forms (command words, then `tail`), its natural wordings (whole-text
    patterns with SREF), how it appears in 帮助 (`usage`, where {d} is an example date ahead,
    then `note` and who may use it from `allow`) and its canonical short form for hints (`form`,
    a str.format template with {id} for the item number; empty for commands no hint names)."""

    name: str
    section: str
    usage: str
    words: tuple[str, ...] = ()
    tail: str = ""
    natural: tuple[str, ...] = ()
    ref: bool = True
    form: str = ""
    allow: Allow = EVERYONE
    note: str = ""

    def help_line(self, d: str) -> str:
        """The usage in 帮助 with its notes: 「包保 #12（领导）」."""
        notes = "，".join(p for p in (self.allow.note(), self.note) if p)
        return self.usage.format(d=d) + (f"（{notes}）" if notes else "")


SPECS: tuple[Spec, ...] = (
    Spec(
        "view",
        "查看",
        "#12 ｜ 查看 #12 ｜ #12 进展如何",
        form="#{id}",
        words=("查看", "查询", "看看", "看一下", "查一下"),
        tail="",
        natural=(
            rf"^{SREF}$",
            rf"^{SREF}(?:问题)?(?:现在|目前|办得|处理得)?(?:是)?(?:什么|啥)?(?:情况|进展如何|进展怎么样|怎么样了?"
            rf"|到哪了|到哪一步了|办到哪了|进度如何|进度|历史|记录)[了呢吗]?[?？]*$",
            # 「#18 已经处理了吗」「12号问题解决了没」: asking whether it is done, not saying so
            rf"^{SREF}(?:问题)?{DONE}(?:(?:吗|没有?|呢)[?？]*|[?？]+)$",
        ),
    ),
    Spec(
        "accept",
        "办理",
        "签收 #12 ｜ 收到 #12",
        form="签收 #{id}",
        words=("签收", "接收", "认领", "收到"),
        tail="",
        natural=(
            rf"^{SREF}{SP}(?:已|我)?(?:签收|接收|收到|认领)了?$",
            rf"^(?:好的?|收到)?{SP}{SREF}我来(?:办|处理|负责|跟进)吧?$",
        ),
    ),
    Spec(
        "resolve",
        "办理",
        "办结 #12 结果 ｜ 12号问题已解决，换了热水器",
        form="办结 #{id} 结果",
        words=("办结", "已办结", "完成", "已完成", "已解决"),
        tail=r"(?P<arg>.*)",
        natural=(
            rf"^(?:那个|这个)?{SREF}(?:问题)?(?:的|里的|反映的)?(?P<what>[^，,。；;\s]{{0,12}}?){DONE}"
            r"[，,。；;\s]*(?P<arg>.*)$",
        ),
    ),
    Spec(
        "progress",
        "办理",
        "进展 #12 已联系后勤处",
        form="进展 #{id} 内容",
        words=("进展", "进度", "跟进"),
        tail=r"(?P<arg>.*)",
        natural=(rf"^{SREF}{SP}(?:的)?(?:进展|进度){SP}(?P<arg>.+)$", rf"^{SREF}{SP}(?P<arg>{DOING}.*)$"),
    ),
    Spec(
        "transfer",
        "办理",
        "转办 #12 后勤处 [张三] ｜ 把12号转给后勤处",
        form="转办 #{id} 单位 姓名",
        words=("转办", "交办", "转给", "转交"),
        tail=r"(?:给|到)?\s*(?P<arg>\S+?)(?:\s+(?P<extra>\S+))?",
        natural=(
            rf"^(?:请|麻烦)?(?:把|将){SREF}(?:问题)?(?:转给|转到|转交给?|交给|转办给|转办到|派给)"
            r"(?P<arg>[^\s，,。]+?)(?:\s+(?P<extra>\S+?))?(?:吧|处理|办理|去办)*[。！!]?$",
            rf"^{SREF}(?:问题)?(?:转给|转到|转交给?|交给|转办给|转办到)(?P<arg>[^\s，,。]+?)"
            r"(?:\s+(?P<extra>\S+?))?(?:吧|处理|办理)*$",
        ),
    ),
    Spec(
        "refuse",
        "办理",
        "退回 #12 原因（转办来的不属于本单位职责）",
        words=("退回", "退办", "拒收"),
        tail=r"(?P<arg>.*)",
        natural=(rf"^{SREF}{SP}(?P<arg>不(?:属于|归|是)我.*)$", rf"^{SREF}{SP}(?:请|申请)?退回{SP}(?P<arg>.*)$"),
    ),
    Spec(
        "extend",
        "期限",
        "延期 #12 到{d} 原因…（单位负责人或领导批准）",
        form="延期 #{id} 到{d} 原因…",
        words=("延期", "申请延期", "延长"),
        tail=r"(?:到|至)?\s*(?P<arg>.*)",
        natural=(rf"^{SREF}{SP}(?:申请)?(?:延期|延长)(?:到|至)\s*(?P<arg>.+)$",),
    ),
    Spec(
        "approve",
        "期限",
        "同意延期 #12 ｜ 不同意延期 #12 原因（单位负责人、领导）",
        words=("同意延期", "批准延期", "同意"),
        tail="",
    ),
    Spec("deny", "期限", "", words=("不同意延期", "驳回延期", "不同意", "驳回"), tail=r"(?P<arg>.*)"),
    Spec(
        "take",
        "办理",
        "包保 #12",
        allow=Allow((ROLE_LEADER,), refusals.LEADERS_TAKE),
        words=("包保", "我来包保"),
        tail="",
        natural=(rf"^{SREF}{SP}我来包保$", rf"^我(?:来)?包保{SREF}$"),
    ),
    Spec(
        "rating_link",
        "办理",
        "回访链接 #12",
        note="办结后，生成请群众自己评价的链接和二维码",
        allow=Allow(chat="private", wrong_chat=refusals.PRIVATE_RATING_LINK),
        form="回访链接 #{id}",
        words=("回访链接", "评价链接", "回访二维码"),
        tail="",
        natural=(rf"^{SREF}{SP}(?:的)?(?:回访链接|评价链接|回访二维码)$",),
    ),
    Spec(
        "unpublish",
        "其他",
        "不公示 #12 原因",
        note="该问题不在公示页面显示",
        allow=Allow(HEADS, refusals.HEADS_UNPUBLISH),
        words=("不公示",),
        tail=r"(?P<arg>.*)",
    ),
    Spec(
        "followup",
        "办理",
        "回访 #12 满意|基本满意|不满意 [说明]",
        form="回访 #{id} 满意|基本满意|不满意",
        words=("回访",),
        tail=rf"(?:{RATING})?{SP}(?P<extra>.*)",
        natural=(rf"^{SREF}{SP}回访{SP}{RATING}{SP}(?P<extra>.*)$",),
    ),
    Spec(
        "edit",
        "更正",
        "改 #12 分类 宿舍 ｜ 改 #12 期限 {d} ｜ 改 #12 内容 …",
        words=("改", "修改", "更正"),
        tail=r"(?P<arg>分类|类别|期限|截止日期|内容)\s*[:：]?\s*(?P<extra>.+)",
    ),
    Spec(
        "void",
        "更正",
        "作废 #12 原因",
        note="记错或重复的问题不再计入清单和统计",
        words=("作废", "删除", "删掉"),
        tail=r"(?P<arg>.*)",
        natural=(
            rf"^{SREF}{SP}(?:是|为)?(?P<arg>(?:误记|记错|录错|写错|重复|重复记录)[^，,。！!]{{0,20}}?)(?:的|了)?"
            r"(?:[，,。]?\s*(?:请|麻烦)?(?:删除|删掉|作废)(?:一下|掉)?吧?)?[。.!！]*$",
        ),
    ),
    Spec(
        "move_attachment",
        "更正",
        "照片移到 #12（刚发的照片、文件改附到问题）",
        words=("照片移到", "照片附到", "照片改到", "图片移到", "附件移到", "文件移到"),
        tail="",
        natural=(rf"^{SREF}(?:的|里的)?(?:照片|图片|附件|现场照片|结果照片)$",),
    ),
    Spec(
        "undo",
        "更正",
        "撤销（撤销自己上一步：记录、签收、进展、办结、转办、退回、更正；再发一次撤销再上一步）",
        words=(),
        ref=False,
        natural=(
            r"^(?:撤销|撤回|撤消)(?:上一条|刚才的?|上条|上一步)?(?:记录|操作)?$",
            rf"^(?:撤销|撤回|撤消)\s*(?:对)?{SREF}(?:的)?(?:记录|操作|问题|签收|进展|办结|转办|退回|更正)?$",
            r"^(?:撤销|撤回|撤消)\s*(?:上一?次的?|刚才的?|那次的?)?(?P<arg>走访)(?:记录)?$",  # a visit without items
        ),
    ),
    Spec(
        "leave",
        "其他",
        "请假 到{d} ｜ 12月1日到12月5日请假 ｜ 销假",
        words=("请假", "休假"),
        ref=False,
        tail=r"(?P<arg>.*)",
        natural=(r"^我?(?P<arg>.+?)(?:请假|休假)(?:了|一下)?$",),
    ),
    Spec("back", "其他", "", ref=False, natural=(r"^(?:销假|我回来了)$",)),
    Spec(
        "bind",
        "其他",
        "绑定 计算机学院",
        words=("绑定",),
        ref=False,
        tail=r"(?P<arg>.+)",
        allow=Allow(HEADS, refusals.HEADS_BIND, "group", refusals.GROUP_BIND),
    ),
    Spec(
        "export",
        "其他",
        "导出台账 ｜ 导出上月台账",
        ref=False,
        allow=Allow(CONSOLE_USERS, refusals.EXPORT_ROLES, "private", refusals.PRIVATE_EXPORT),
        natural=(r"^导出(?P<arg>.{0,12}?)台账(?P<extra>.{0,20})$", r"^(?:导出|台账)$"),
    ),
    Spec(
        "console",
        "其他",
        "后台",
        note="网页后台的登录链接",
        ref=False,
        natural=(r"^(?:后台|管理后台|进入后台)$",),
        allow=Allow(CONSOLE_USERS, refusals.CONSOLE_ROLES, "private", refusals.PRIVATE_CONSOLE),
    ),
    Spec("help", "其他", "", ref=False, natural=(r"^(?:帮助|help|\?|？|怎么用|使用说明)$",)),
)
SECTIONS = ("查看", "办理", "期限", "更正", "其他")
_BY_NAME = {spec.name: spec for spec in SPECS}

Action = Callable[["Ctx", Command], Awaitable[str]]
A = TypeVar("A", bound=Action)
_ACTIONS: dict[str, Action] = {}


def handles(name: str) -> Callable[[A], A]:
    """Decorator for the feature-module function that carries out command `name` (a SPECS name):
    `@handles("accept") async def accept(ctx, cmd) -> str`. ValueError for an unknown name or a
    second registration of one."""
    if name not in _BY_NAME:
        raise ValueError(f"no command {name!r} in SPECS")

    def register(fn: A) -> A:
        if name in _ACTIONS and _ACTIONS[name] is not fn:
            raise ValueError(f"command {name!r} registered twice")
        _ACTIONS[name] = fn
        return fn

    return register


def action(name: str) -> Action:
    """The registered function for command `name`; KeyError when no feature module registered it."""
    return _ACTIONS[name]


def refusal(name: str, roles: Iterable[str], is_group: bool, ref: int | None = None) -> str | None:
    """Why command `name` is refused to a sender with `roles` in this kind of chat (its Spec's
    `allow`), or None when allowed. KeyError for an unknown name."""
    return _BY_NAME[name].allow.refusal(roles, is_group, ref)


def unhandled() -> list[str]:
    """SPECS names with no registered function (empty once every feature module is imported)."""
    return [name for name in _BY_NAME if name not in _ACTIONS]


def form(name: str, **values: object) -> str:
    """Command `name`'s short form for hints: 「办结 #{id} 结果」 as a template, or filled with
    `values` (form("resolve", id=12) → 「办结 #12 结果」; a missing value keeps its placeholder).
    KeyError for a command without a form."""
    template = _BY_NAME[name].form
    if not template:
        raise KeyError(name)
    return template.format_map(_Keep(values)) if values else template


class _Keep(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


QUERIES: dict[str, QueryCommand] = {
    "我的待办": QueryCommand("items", "open", "all", mine=True),
    "待办": QueryCommand("items", "open", "all", mine=True),
    "本月未办结": QueryCommand("items", "open", "this_month"),
    "逾期": QueryCommand("items", "overdue", "all"),
    "本周走访": QueryCommand("visits", "any", "this_week"),
    "本月走访": QueryCommand("visits", "any", "this_month"),
    "上周走访": QueryCommand("visits", "any", "last_week"),
    "上月走访": QueryCommand("visits", "any", "last_month"),
}


def _compile() -> list[tuple[Spec, re.Pattern[str], bool]]:
    out = []
    for spec in SPECS:  # short forms first: a command word at the start is unambiguous
        if spec.words:
            words = "|".join(sorted(map(re.escape, spec.words), key=len, reverse=True))
            ref = f"{SP}{REF}" if spec.ref else ""
            out.append((spec, re.compile(rf"^(?:{words}){ref}{SP}{spec.tail}$", re.S), False))
    for spec in SPECS:
        out.extend((spec, re.compile(p, re.S), True) for p in spec.natural)
    return out


_GRAMMAR = _compile()


def normalise(text: str) -> str:
    """Full-width to half-width digits/letters, collapse spaces, strip end punctuation."""
    text = text.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)})
    text = re.sub(r"\s+", " ", text).strip()
    return text.rstrip("。.!！")


def parse_command(
    text: str, categories: tuple[str, ...] = (), today: date | None = None
) -> Command | QueryCommand | None:
    """The command `text` states (after `handlers.inbound_text.command_form`): a fixed query
    (QUERIES), a Command from the SPECS table, or None when it is not a command (the NLU reads it
    then). `categories` are the profile's category names (for 「食堂问题」); `today` anchors dates."""
    t = normalise(text)
    if t in QUERIES:
        return QUERIES[t]
    m = re.fullmatch(r"(\S{2,4}?)(?:类)?问题", t)
    if m and m.group(1) in categories:
        return QueryCommand("items", "open", "all", category=m.group(1))
    for spec, rx, natural in _GRAMMAR:
        m = rx.match(t)
        if m:
            cmd = _command(spec, m, natural, today)
            if cmd is not None:
                return cmd
    return None


def _command(spec: Spec, m: re.Match[str], natural: bool, today: date | None) -> Command | None:
    g = {k: (v or "").strip() for k, v in m.groupdict().items()}
    ref = next((int(g[k]) for k in ("ref", "ref2", "ref3", "ref4", "ref5", "ref6") if g.get(k)), None)
    if spec.ref and ref is None:
        return None
    arg, extra = g.get("arg", ""), g.get("extra", "")
    if spec.name == "resolve" and natural and (not arg or g.get("what")):
        # 「那个17号的灯已经修好了」: the result is what was said about the item
        arg = re.sub(rf"^(?:那个|这个)?{SREF}(?:问题)?(?:的|里的|反映的)?", "", m.group(0)).strip("，,。 ")
    if spec.name == "resolve" and is_bare_done(arg):
        arg = ""  # 「#4已解决」「办结 #4 已办结」: done-words say nothing of what was done; ask for it
    if spec.name == "leave" and not (not natural and (not arg or arg[0] in "到至从")):
        try:
            if parse_range(arg, today or date.today()) is None:
                return None  # 「请假流程太复杂」「…想请假」: no dates, not a leave command
        except ValueError:
            pass  # an impossible date: the leave handler says why
    if spec.name == "followup" and not arg and extra:
        return Command("followup", ref, "", extra, natural)
    return Command(spec.name, ref, arg, extra, natural)


# completion words that name no action (修好, 换了新的, 整改好 do name one and are kept)
_BARE_DONE = re.compile(
    r"(?:(?:已经?|都|终于)?(?:解决|办好|办完|办结|处理好|处理完毕|办理完毕|处理完|完毕|已处理|搞定|完成|弄好|弄完|做完|落实|"
    r"闭环|销号)"
    r"(?:了|啦)?|可以销号了?|好了|OK|ok)[!！。.，,~～\s]*"
)


def is_bare_done(result: str) -> bool:
    """Whether a result is only done-words (「已解决」「修好了」「闭环了」): it says nothing of what
    was done, so the bot asks for the result instead of storing it."""
    return _BARE_DONE.fullmatch(result.strip()) is not None


def resolve_result(text: str, ref: int) -> str:
    """The result in a resolve message, without the item reference and the done-words:
    「No.110 闭环了，换了新灯管」 → 「换了新灯管」; only done-words → "" (the bot asks for the result)."""
    t = normalise(text)
    m = re.search(
        r"(?:[#＃]|No\.?|NO\.?|(?:问题|事项|工单|诉求)?编号\s*[:：是为]?|问题|第)?\s*"
        rf"(?<![0-9]){ref}(?![0-9])\s*(?:号|个)?\s*(?:问题|诉求|事项|工单)?(?:的)?",
        t,
    )
    if m:  # a short lead-in before the reference (「报告：」「那个」) goes with it
        before = t[: m.start()].strip(" ，,。:：")
        t = t[m.end() :] if len(before) <= 6 else before + "，" + t[m.end() :]
    t = t.strip(" ，,。:：")
    rest = re.sub(rf"^(?:{DONE}|闭环了?|可以销号了?|销号)[，,。；;\s]*", "", t).strip()
    result = rest or t or text
    return "" if is_bare_done(result) else result


def help_text(today: date) -> str:
    """帮助, generated from SPECS; example dates lie ahead of `today`."""
    d = example_date(today)
    lines = [
        "民情通使用说明",
        "【记录】走访后直接发一句话，例如：",
        "  今天去梅园3栋走访，5名同学反映热水不稳、晚上网络卡",
    ]
    for section in SECTIONS:
        usages = [s.help_line(d) for s in SPECS if s.section == section and s.usage]
        if usages:
            lines.append(f"【{section}】" + " ｜ ".join(usages))
    lines.append(
        "【查询】我的待办 ｜ 本月未办结 ｜ 逾期 ｜ 食堂问题 ｜ 本周走访 ｜ 张老师本月走访了几次 ｜ 计算机学院逾期问题"
    )
    return "\n".join(lines)
