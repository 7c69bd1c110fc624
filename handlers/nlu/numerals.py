"""Chinese and Arabic numerals, and counting the people met on a visit."""

from __future__ import annotations

import re
from collections.abc import Iterator

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM = "零〇一二两俩三四五六七八九十百千万"
# a classifier after a number makes it a count, not an item's number: 「诉求218件」「问题3个」
# (「3个问题」 keeps 个: there the number counts the problems it names)
COUNTED = r"(?:个(?!问题)|件|条|项|起|次|人|户|宗|笔|余|多|万|千|百|名|家|批|份|类|方面)"
NUM = rf"[0-9]+|[{CN_NUM}]+"

_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def cn_to_int(text: str) -> int | None:
    """Convert "28", "二十八", "两", "一百零五", "十一" to an int; None if not a numeral."""
    text = text.strip().translate(_FULLWIDTH)
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in DIGITS:
            if digit is not None and section == 0 and total == 0:
                # plain digit strings such as "二〇二六" or "一二"
                digit = digit * 10 + DIGITS[ch]
            else:
                digit = DIGITS[ch]
        elif ch in UNITS:
            section += (digit if digit is not None else 1) * UNITS[ch]
            digit = None
        elif ch == "万":
            section += digit or 0
            total += (section or 1) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


# --- people counting ------------------------------------------------------------------------

PERSON_NOUNS = (
    "学生代表 居民代表 村民代表 家长代表 职工代表 宿舍长 班干部 学生干部 辅导员 班主任 任课老师 "
    "本科生 研究生 留学生 新生 毕业生 实习生 考生 学生 同学 男生 女生 孩子 儿童 "
    "老师 教师 教职工 工作人员 职工 员工 工人 师傅 宿管 阿姨 保安 厨师 医生 护士 家长 父母 老人 大爷 大妈 "
    "村民 居民 群众 农户 养殖户 种植户 "
    "社员 志愿者 代表 党员 干部 领导 负责人 家人 亲属 老乡 人员 青年 妇女 高管 骨干 大户 人"
).split()
# any other word for people, by how Chinese forms them: 参赛选手, 寝室长, 贫困生, 菜农, 店老板, 楼栋长
_PERSON_WORD = (
    r"[\u4e00-\u9fff]{0,4}?(?:生|员|长|手|工|民|农|者|师|士|娃|伢|老板|代表|干部|家属|业主|老人|"
    r"子女|青年|妈妈|宝妈|大姐|大哥|大叔|阿姨|主任|书记|经理|主管|会计|老总)"
    r"(?![\u4e00-\u9fff]{0,1}(?:户|间|室|栋|楼|天|日|次|台|个))"
    # nor a word that only begins like one: 工地, 工资, 员会, 手机, 长期 are no people
    r"(?!地|资|作|程|厂|会|机|期|费|钱|时|位|具)"
)
_NOUN = "|".join(sorted(PERSON_NOUNS, key=len, reverse=True)) + "|" + _PERSON_WORD
_CLS = "名|位|个|人"
APPROX_BEFORE = re.compile(r"(?:约|大约|大概|近|将近|差不多|约莫|上)$")
_RANGE = re.compile(r"[一二两三四五六七八九][一二两三四五六七八九]|[几多余来]")
# "6名同学", "十二位老师", "3位独居老人" (a short modifier without 的 between classifier and noun)
_NUM_FIRST = re.compile(
    rf"(?P<num>{NUM})(?P<approx>[多余来几]?)(?:(?P<cls>名|位|个)|(?<=俩))"
    rf"(?P<mod>[^\s，。；、的,.;:：0-9]{{0,4}}?|[^\s，。；、,.;:：0-9]{{1,9}}的)"
    rf"(?P<noun>{_NOUN})(?P<times>次)?"
)
# a modifier with 的 that names a unit, not people: "3个宿舍的同学", "两个班的学生"
_UNIT_MOD = re.compile(r"宿舍|寝室|房间|班|户|家|村|组|学院|专业|单位|企业|公司|年级|社团|部门|楼")
# "学生14人", "群众12人", "实习生5人", "14个人", "共计21人", "11人次"
_NOUN_FIRST = re.compile(
    rf"(?P<noun>{_NOUN})?(?P<num>{NUM})(?P<approx>[多余来几]?)(?:个)?(?P<cls>人|名|位)(?P<times>次)?(?!间)"
)  # not "四人间" (a room for four)
# "同学7个", "村民5个" (the noun first, the count with 个 closing the clause)
_NOUN_GE = re.compile(
    rf"(?P<noun>{_NOUN})(?P<num>{NUM})(?P<approx>[多余来几]?)(?P<cls>个)(?P<times>)(?=[\s，。；,;！!、]|$)"
)
# "跟4个大三的聊", "和两个研一的一起吃饭", "见了6个在工地干活的，" (the people named by what they
# are, with 的, no noun; only after a meeting word, see _spans)
_NUM_DE = re.compile(
    rf"(?P<num>{NUM})(?P<approx>[多余来几]?)(?P<cls>个|名|位)(?P<mod>[^\s，。；、,.;:：0-9的]{{1,10}}的)(?P<noun>)(?P<times>)"
    rf"(?=\s*(?:一起|聊|交流|座谈|吃|谈)|[\s，。；,;])"
)
# a family or a pair named as a whole: "一家三口都在", "见到了小何父子俩", "老两口"
_KIN = re.compile(
    r"(?:(?:一家|全家)(?=[三四五六七八九]口)|父子|母女|母子|父女|夫妻|兄弟|姐妹|姐弟|兄妹|祖孙|婆孙|爷孙|婆媳|[老小](?=两口))"
    r"(?P<num>[三四五六七八九](?=口)|俩|两(?=口))口?人?(?P<approx>)(?P<cls>)(?P<mod>)(?P<noun>)(?P<times>)"
)
# a bare count then "all met": "4个都见到了", "三个人全在"
_ALL_MET = re.compile(
    rf"(?P<num>{NUM})(?P<approx>[多余来几]?)(?P<cls>个|名|位)(?P<mod>)(?P<noun>)(?P<times>)(?=[都全](?:见到|见了|在))"
)
# the people actually present after a roll: "应到32人实到29人", "全班41人到了39人", "一共30个 来了22个"
_PRESENT = re.compile(rf"[^。！？!?\n]{{0,6}}?(?:实到|到了|来了|到场|出席了?)(?P<num>{NUM})(?:个|名|位|人)")
MEET_BEFORE = re.compile(
    r"(?:和|与|跟|同|陪|带|见到|见了|碰见|碰到|遇到|遇见|接待|接待了|看望|看望了|访谈|座谈|慰问|慰问了|走访|走访了|"
    r"家访|家访了|拜访|拜访了|探望|探望了|看了|见到了|"
    r"约了|找了|召集|组织|共|一共|总共|共计|合计|计|大概|大约|约|(?:参加|到场|参会|出席|在场|来)的(?:有|是))\s*$"
)
# a meeting verb right before a bare count ("见到3位"); unlike 共/约 it cannot total something else
_MET_BARE = re.compile(r"(?:见到|见了|接待|看望|慰问|走访|探望|拜访)了?\s*$")
MEET_AFTER = re.compile(
    r"^\s*(?:交流|座谈|共餐|一起|聊|吃|参加|参与|在场|[都全](?:在|见到|见了)|见面|谈心|开会|面对面|围坐)"
)
# a clause opened by the people met who then speak: "，6名同学反映…" (they were met on the visit)
SPEAK_AFTER = re.compile(r"^\s*(?:都|也|纷纷|普遍|集中)?(?:反映|反馈|提到|提出|表示|说|谈到|聊到)")
# people who went with the writer, not people met: "和两名网格员去了…", "跟3位老师一起到…"
COMPANION_AFTER = re.compile(
    r"\s*(?:一起|一道|一同|分[^\s，。；]{1,3}次)?(?:去了?|到了?|前往|来到|赶到|下到|入户|上门|走访|家访|巡查)"
)
REPORTED_BEFORE = re.compile(
    r"(?:其中|有|还有|另有|另外|剩下|剩余|只有|其余|说|反映|提到|表示|了解到|想招|招|缺|需要)\s*$"
)


REPORTED_HEAD = re.compile(
    r"说|反映|提到|表示|了解到|听说|其中|另有|有|缺|招|要|就|只|住了?|上次|之前|以前|每|找|一共[^，。]*只"
)
_ALONE = re.compile(r"一个人$")
# a bare total after the people were named: "看了寒假留校的学生 一共11个", "九个人"
_TOTAL = re.compile(
    rf"(?:一共|总共|共计|合计|共有|共)\s*(?P<num>{NUM})\s*(?P<cls>个|名|位)(?P<approx>)(?=[\s，。；,;！!]|$)"
)
_MORE_NOUNS = re.compile(rf"^(?:{_NOUN})+")


# What a match of _NOUN_FIRST / _NOUN_GE must contain: the numeral and its classifier, at most
# _NOUN_REACH characters (the longest person noun) after the match starts. Those patterns try
# every person noun at every position; searching only next to a counted numeral finds the very
# same matches (see _near).
_COUNTED = re.compile(rf"(?:{NUM})[多余来几]?个?[人名位]")
_COUNTED_GE = re.compile(rf"(?:{NUM})[多余来几]?个")
_NOUN_REACH = 6  # 4 characters of _PERSON_WORD's lead and a two-character ending; PERSON_NOUNS has 4 at most
_NEEDS = {_NOUN_FIRST: _COUNTED, _NOUN_GE: _COUNTED_GE}


def _near(rx: re.Pattern[str], need: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """The matches of rx.finditer(text), for a pattern rx whose every match contains a match of
    `need` starting at most _NOUN_REACH characters after its own start and matches no empty
    string: the leftmost match at or after `pos` cannot start before the next match of `need`
    minus the reach, so the search starts there."""
    pos = 0
    while True:
        found = need.search(text, pos)
        if found is None:
            return
        m = rx.search(text, max(pos, found.start() - _NOUN_REACH))
        if m is None:
            return
        yield m
        pos = m.end()


# the patterns of _spans in order, each with the numeral its matches need (_NEEDS), paired once
# here: a compiled pattern hashes its whole program each time it is looked up in a dict
_SEARCHED = tuple((rx, _NEEDS.get(rx)) for rx in (_KIN, _NUM_FIRST, _NOUN_FIRST, _NOUN_GE, _NUM_DE, _ALL_MET, _TOTAL))


def _spans(text: str) -> Iterator[re.Match[str]]:
    seen: list[tuple[int, int]] = []
    for rx, need in _SEARCHED:
        if (rx is _NUM_DE and "的" not in text) or (rx is _TOTAL and "共" not in text and "合计" not in text):
            continue  # what the pattern needs is not written: "…的" after the count, a 共/合计 total
        for m in rx.finditer(text) if need is None else _near(rx, need, text):
            if any(m.start() < e and s < m.end() for s, e in seen):
                continue  # one count read twice ("代表12名学生": 代表12名 and 12名学生)
            num = m.group("num")
            if not num:
                continue
            if (
                rx is _NOUN_FIRST
                and not m.group("noun")
                and m.group("cls") != "人"
                and not _MET_BARE.search(text[max(0, m.start() - 8) : m.start()])
            ):
                continue  # "5名" alone is not a count of people, unless met: "见到3位"
            if (
                (rx is _NUM_FIRST or rx is _NUM_DE)
                and (m.group("mod") or "").endswith("的")
                and _UNIT_MOD.search(m.group("mod"))
            ):
                continue
            if rx is _NUM_DE and not MEET_BEFORE.search(text[max(0, m.start() - 8) : m.start()]):
                continue
            seen.append((m.start(), m.end()))
            yield m
    return


# the small patterns of count_people, compiled once
_CLAUSE_BREAK = re.compile(r"[，。；,;：:！？!?\s、]")
_ACCOMPANIED = re.compile(r"陪\S{0,4}$")
_TOTAL_HEAD = re.compile(r"(?:共|一共|总共|共计|合计|就|只)?")
_SAID_HEAD = re.compile(r"(?:说|反映|提到|表示|了解到)")
_LISTED_GAP = re.compile(r"\s*(?:、|和|与|及|以及|，|,)\s*[^\s，。；、,的]{0,5}")
_SUBGROUP_GAP = re.compile(r"其中|有|说|反映")


def count_people(text: str) -> int | None:
    """Number of people met on a visit, when the text states it exactly; else None.

    Counts only mentions in a meeting context ("和6名学生", "学生14人", "见到村民9人"), adds groups
    listed together ("4名学生、2名窗口师傅"), ignores subgroups ("其中2人"), people reported on,
    households, rooms and approximate numbers ("十几个", "一百来人" -> None).
    """
    mentions = sorted(_spans(text), key=lambda m: m.start())
    chosen = None
    for m in mentions:
        before = text[max(0, m.start() - 8) : m.start()]
        clause_start = max(text.rfind(p, 0, m.start()) for p in "，。；,;：:！？!? \n、") + 1
        head = text[clause_start : m.start()]
        after = text[m.end() : m.end() + 6]
        rest = _MORE_NOUNS.sub("", _CLAUSE_BREAK.split(text[m.end() :], maxsplit=1)[0])
        if REPORTED_BEFORE.search(before) and not MEET_BEFORE.search(before):
            continue
        if COMPANION_AFTER.match(text, m.end()) and not _ACCOMPANIED.search(before):
            continue  # went along with the writer ("和两名网格员去了…"); those the writer accompanied were met
        if m.group("num") in ("一", "1") and m.group("cls") == "个" and not MEET_BEFORE.search(before):
            continue  # "一个医生在坐诊", "一个同学跑了三趟": someone, not a count of people met
        header = (not head.strip() or _TOTAL_HEAD.fullmatch(head)) and (
            not rest or MEET_AFTER.match(rest) or SPEAK_AFTER.match(rest)
        )
        meet = MEET_BEFORE.search(before) or MEET_AFTER.search(after) or header
        if _SAID_HEAD.search(head) and not MEET_BEFORE.search(before):
            continue
        if not meet and (REPORTED_HEAD.search(head) or _ALONE.match(m.group(0)) or text.startswith("家", m.end())):
            continue  # people the writer heard about, "一个人住" (alone), "一名留守儿童家里" (a household)
        chosen = m
        break
    if chosen is None:
        return None
    groups = [chosen]
    last = chosen
    for m in mentions:
        if m.start() <= last.start():
            continue
        gap = text[last.end() : m.start()]
        if (not gap or _LISTED_GAP.fullmatch(gap)) and not _SUBGROUP_GAP.search(gap):
            groups.append(m)
            last = m
        else:
            break
    present = _PRESENT.match(text, groups[-1].end())
    if present is not None and len(groups) == 1:
        groups = [present]  # a roll call: those who came, not those expected
    total = 0
    for m in groups:
        num = m.group("num")
        before = text[max(0, m.start() - 2) : m.start()]
        if (m.groupdict().get("approx") or "") or _RANGE.search(num) or APPROX_BEFORE.search(before):
            return None
        value = cn_to_int(num)
        if value is None:
            return None
        total += value
    return total
