"""Place type and place name of a visit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLACE_TYPES = ("宿舍", "食堂", "课堂", "家庭", "农户", "学校", "企业", "点位", "社区", "窗口", "其他")

# (suffix, place type), longest suffixes first when they share an ending.
_SUFFIXES: list[tuple[str, str]] = [
    ("养老服务中心", "社区"),
    ("日间照料中心", "社区"),
    ("养老服务站", "社区"),
    # a care home, a rehabilitation or service centre, an office is an institution (其他)
    ("养老院", "其他"),
    ("敬老院", "其他"),
    ("福利院", "其他"),
    ("护理院", "其他"),
    ("居委会", "社区"),
    ("社区", "社区"),
    ("小区", "社区"),
    ("新村", "社区"),
    ("城中村", "社区"),
    ("养老驿站", "社区"),
    ("物业服务中心", "社区"),
    ("党群服务中心", "其他"),  # a 社区's own centre is the 社区 (see _OWNED_BY_COMMUNITY)
    ("片区", "社区"),
    ("巷", "社区"),  # 桂花巷: a city lane
    # housing estates are named …花园, …家园, …华庭 as often as …小区
    ("花园", "社区"),
    ("家园", "社区"),
    ("嘉园", "社区"),
    ("华庭", "社区"),
    ("公馆", "社区"),
    ("学生社区", "宿舍"),  # a campus "一站式学生社区" lives in the dorm blocks
    ("社区卫生服务中心", "其他"),
    ("卫生服务中心", "其他"),
    ("政务服务中心", "窗口"),
    ("便民服务中心", "窗口"),
    ("服务大厅", "窗口"),
    ("事务大厅", "窗口"),
    ("事务中心", "窗口"),
    ("报销大厅", "窗口"),
    ("办税大厅", "窗口"),
    ("营业厅", "窗口"),
    ("办事大厅", "窗口"),
    ("政务大厅", "窗口"),
    ("服务中心", "窗口"),
    ("服务站", "窗口"),  # a service station has a counter (养老, 卫生, 志愿 ones are named above)
    ("窗口", "窗口"),
    # staff housing is where staff families live: a visit there is a home visit
    ("教工宿舍区", "家庭"),
    ("教工宿舍", "家庭"),
    ("教职工宿舍", "家庭"),
    ("教师宿舍", "家庭"),
    ("教师公寓", "家庭"),
    ("人才公寓", "家庭"),
    ("周转公寓", "家庭"),
    ("周转房", "家庭"),
    ("家属院", "家庭"),
    ("家属区", "家庭"),
    ("家属楼", "家庭"),
    ("宿舍楼", "宿舍"),
    ("宿舍区", "宿舍"),
    ("公寓", "宿舍"),
    ("宿舍", "宿舍"),
    ("寝室", "宿舍"),
    ("食堂", "食堂"),
    ("餐厅", "食堂"),
    ("饭堂", "食堂"),
    ("教学楼", "课堂"),
    ("教学点", "课堂"),  # an open university's or a college's teaching site
    ("实验楼", "课堂"),
    ("实训楼", "课堂"),
    ("实验室", "课堂"),
    ("实训室", "课堂"),
    ("实训车间", "课堂"),  # a college's training workshop (the guide: training rooms are 课堂)
    ("实训中心", "课堂"),
    ("实验中心", "课堂"),
    ("实训基地", "课堂"),  # on campus; 校外实训基地 is a host firm (see _OFF_CAMPUS)
    ("工作室", "课堂"),
    ("集训室", "课堂"),
    ("创客空间", "课堂"),
    ("演播厅", "课堂"),
    ("机房", "课堂"),
    ("练功房", "课堂"),
    ("琴房", "课堂"),
    ("画室", "课堂"),
    ("排练厅", "课堂"),
    ("实操室", "课堂"),
    ("训练室", "课堂"),
    ("语音室", "课堂"),
    ("录播室", "课堂"),
    ("教室", "课堂"),
    ("课堂", "课堂"),
    ("阶梯教室", "课堂"),
    ("职业技术学校", "学校"),
    ("职业教育中心", "学校"),
    ("职教中心", "学校"),
    ("职业学校", "学校"),
    ("技工学校", "学校"),
    ("学校", "学校"),
    ("中学", "学校"),
    ("小学", "学校"),
    ("附小", "学校"),
    ("附中", "学校"),
    *((f"{n}中", "学校") for n in "一二三四五六七八九十"),  # 郧西县一中, 城关二中
    *((f"{n}小", "学校") for n in "一二三四五六七八九十"),  # 实验二小
    ("幼儿园", "学校"),
    ("中职", "学校"),
    ("职校", "学校"),
    ("技校", "学校"),
    ("职高", "学校"),
    ("有限责任公司", "企业"),
    ("有限公司", "企业"),
    ("公司", "企业"),
    ("集团", "企业"),
    ("工厂", "企业"),
    ("厂", "企业"),
    ("合作社", "企业"),
    ("实习基地", "企业"),
    ("生产基地", "企业"),
    ("车间", "企业"),
    ("产业园", "企业"),
    ("工业园", "企业"),
    ("科技园", "企业"),
    ("创业园", "企业"),
    ("工地", "其他"),  # a building site is a project, not an employer (corpus convention)
    ("地块", "其他"),
    ("厂区", "企业"),
    ("农场", "企业"),
    ("养殖场", "企业"),
    ("养猪场", "企业"),
    ("养鸡场", "企业"),
    ("猪场", "企业"),
    ("鸡场", "企业"),
    ("牧场", "企业"),
    ("渔场", "企业"),
    ("种植基地", "企业"),
    ("养殖基地", "企业"),
    ("孵化基地", "企业"),
    ("教育基地", "其他"),  # a memorial or study base is a visit venue, not an employer
    ("实践基地", "其他"),
    ("研学基地", "其他"),
    ("基地", "企业"),  # 蔬菜基地, 茶叶基地: a farm business
    ("配送站", "企业"),
    ("粮站", "企业"),
    ("加油站", "企业"),
    ("面馆", "企业"),
    ("餐馆", "企业"),
    ("饭馆", "企业"),
    ("茶馆", "企业"),
    ("网吧", "企业"),
    ("商铺", "企业"),
    ("美食街", "企业"),
    ("商场", "企业"),
    ("商城", "企业"),
    ("购物中心", "企业"),
    ("商业街", "企业"),
    ("步行街", "企业"),
    ("店", "企业"),
    ("点位", "点位"),
    ("考点", "点位"),
    ("考场", "点位"),
    ("招聘会", "点位"),
    ("双选会", "点位"),
    ("服务点", "点位"),
    ("迎新点", "点位"),
    ("宣传点", "点位"),
    ("充电点", "点位"),
    ("值守点", "点位"),
    ("执勤点", "点位"),
    ("巡查点", "点位"),
    ("卡点", "点位"),
    ("检查站", "点位"),
    ("门岗", "点位"),
    ("岗亭", "点位"),
    ("报到处", "点位"),
    ("志愿服务站", "点位"),
    ("展位", "点位"),
    ("接站点", "点位"),
    ("咨询点", "点位"),
    ("引导点", "点位"),
    ("劝导点", "点位"),
    ("监测点", "点位"),
    ("防疫点", "点位"),
    ("核酸点", "点位"),
    ("安检口", "点位"),
    ("执勤岗", "点位"),
    ("志愿岗", "点位"),
    ("护学岗", "点位"),
    ("护校岗", "点位"),
    ("巡逻岗", "点位"),
    ("巡逻点", "点位"),
    ("疏导点", "点位"),
    ("消毒点", "点位"),
    ("值班点", "点位"),
    ("救助点", "点位"),
    ("哨点", "点位"),
    ("值守岗", "点位"),
    ("值勤岗", "点位"),
    ("交通岗", "点位"),
    ("劝导岗", "点位"),
    ("引导岗", "点位"),
    ("服务岗", "点位"),
    ("防汛点", "点位"),
    ("集中点", "点位"),
    ("卡口", "点位"),
    ("督导点", "点位"),
    ("检查点", "点位"),
    ("接种点", "点位"),
    ("直播点", "点位"),
    ("降温点", "点位"),
    ("签到点", "点位"),
    ("爱心服务站", "点位"),
    ("幸福院", "其他"),
    ("村部", "其他"),
    ("电商服务站", "其他"),
    ("接待室", "其他"),
    ("现场", "其他"),  # bare: the scene of a reported problem (招聘会现场 is named by its head)
    ("咨询室", "其他"),
    ("工作站", "其他"),
    ("中心", "其他"),  # any other centre is an office or institution (就业指导中心, 康复中心)
    ("后山", "其他"),  # a village's land is no household
    ("公园", "其他"),
    ("水库", "其他"),
    ("水塘", "其他"),
    ("垃圾点", "其他"),
    ("垃圾站", "其他"),
    ("人力资源市场", "其他"),
    ("值班室", "点位"),
    ("路口", "点位"),
    ("堤段", "点位"),
    ("村委会", "农户"),
    ("定居点", "农户"),  # herders' settlements
    ("村", "农户"),
    ("庄", "农户"),  # 李家庄, 王庄: a village named for a family
    ("校医院", "其他"),
    ("医院", "其他"),
    ("卫生院", "其他"),
    ("卫生室", "其他"),
    ("医务室", "其他"),
    ("卫生服务站", "其他"),
    ("图书馆", "其他"),
    ("体育馆", "其他"),
    ("体育场", "其他"),
    ("操场", "其他"),
    ("球场", "其他"),
    ("办公室", "其他"),
    ("会议室", "其他"),
    ("心理中心", "其他"),
    ("咨询中心", "其他"),
    ("快递站", "其他"),
    ("驿站", "其他"),
    ("湖边", "其他"),
    ("河边", "其他"),
    ("广场", "其他"),
    ("市场", "其他"),
    ("超市", "其他"),
    ("篮球场", "其他"),
    ("足球场", "其他"),
    ("运动场", "其他"),
    ("游泳馆", "其他"),
    ("阅览室", "其他"),
    ("苑", "宿舍"),
    ("行政楼", "其他"),
    ("办公楼", "其他"),
    ("学院楼", "其他"),
    ("活动中心", "其他"),
    ("自习区", "其他"),
    ("自习室", "其他"),
    ("报告厅", "其他"),
    ("礼堂", "其他"),
    ("派出所", "其他"),
    ("活动室", "其他"),
]
# what may not follow a suffix for it to be a place: 村民, 村干部, 岗位, 一中午, 中心小学 (the
# longer name is matched by its own suffix)
_NOT_AFTER: dict[str, set[str]] = {
    "村": set("民里干委医级头口子集"),
    "庄": set("稼重严园老"),  # 庄稼, 庄重, 庄园, 庄老师
    "中心": set("任工思内组小校幼医卫学"),
    "店": set("员主长家"),  # 店员, 店长: people
    "花园": set("村路街"),
    "家园": set("村路街"),
    "厂": set("长里房"),  # 厂长, 厂里, 厂房
    **{f"{n}中": set("午间心国文学旬") for n in "一二三四五六七八九十"},
    **{f"{n}小": set("时学组区部孩伙姑块些点段会撮") for n in "一二三四五六七八九十"},
}


def _literal_trie(words: list[str], not_after: Mapping[str, set[str]]) -> re.Pattern[str]:
    """One pattern matching any of `words`, longest first at a position, shaped as a trie (as
    fast as a short alternation however many words); a word in `not_after` does not match
    before one of its characters."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = word

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        word: str | None = node.get("")
        tail = f"(?![{''.join(sorted(not_after[word]))}])" if word is not None and word in not_after else ""
        if not alts:
            return tail
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if word is None:
            return body
        return f"(?:{body}|{tail})" if tail else f"(?:{body})?"

    return re.compile(build(trie))


_SUFFIX_RX = _literal_trie([s for s, _ in _SUFFIXES], _NOT_AFTER)
_SUFFIX_TYPE = dict(_SUFFIXES)
# Single-character suffixes are names only with a real prefix ("张湾村", "锦华服装厂").
_INDEFINITE = re.compile(r"(?:一|几|这|那|多|两|各|[0-9三四五六七八九十]+)(?:家|个|所|座|处)|某")
_NEEDS_PREFIX = {
    "巷",
    "花园",
    "家园",
    "嘉园",
    "华庭",
    "公馆",
    "村",
    "庄",
    "厂",
    "店",
    "中职",
    "苑",
    "中心",
    "基地",
    *(f"{n}{k}" for n in "一二三四五六七八九十" for k in "中小"),
}
# Suffixes that name a unique site on their own ("在体育馆", "到校医院").
# a service hall names a site even with generic words before it ("学生服务大厅")
_HALLS = {"政务服务中心", "便民服务中心", "服务大厅", "办事大厅", "政务大厅", "服务中心"}
_SELF_NAMED = {
    "校医院",
    "图书馆",
    "体育馆",
    "体育场",
    "操场",
    "心理中心",
    "快递站",
    "行政楼",
    "报告厅",
    "礼堂",
    "校医务室",
    "医务室",
    "人才公寓",
    "周转公寓",
    "周转房",
    "教工宿舍",
    "教工宿舍区",
    "家属院",
    "家属区",
}

_STOP = set("的在到去和与跟了是有个从对给向往赴进访把被让做看聊同带随陪坐于为及或说讲听吃里就都也还很又再先趟离着想请")
_LEAD = re.compile(
    r"^(?:(?:上上|上|本|这)?(?:周|星期|礼拜)[一二三四五六日天末]|今天|昨天|前天|今早|今晚|昨晚|今日|昨日|"
    r"早上|上午|中午|下午|晚上|傍晚|早晨|凌晨|午饭|午餐|晚饭|晚餐|早餐|共餐|地点|走访|查寝|看望|值守|值班|听课|"
    r"检查|巡查|深入|来到|前往|参观|调研|座谈|一起|课间|课后|今天|当天|刚才|刚刚|开展|[0-9]+[月日号]|月|日|号|"
    r"建议|希望|要求|担心|主要|住回|搬回|回到|一上午|一下午|一晚上|半天|一天|整天)+"
)
_GENERIC = re.compile(
    r"^(?:学生|女生|男生|研究生|本科生|新生|留学生|学校|校|校内|校外|本校|我校|迎新|值守|防汛|巡查|执勤|"
    r"志愿|志愿服务|服务|宣传|考务|综合|资助|一楼|二楼|三楼|楼下|楼上|该|这|那|附近|当地|本地|新|老|大|小|各|某|"
    r"实习|合作|校企|在建|一个|一家|几家|这家|那家|多家|软件|物流|电商|科技|化工|服装|食品|机械|电子)*$"
)
# a firm named by its brand and its trade, right after a going or at the start: "到华鑫精密回访",
# "去绿源生物，", "天禾纺织 座谈" (the trade word is what the place is: an enterprise)
_TRADE = re.compile(
    rf"(?:^|(?<=[到去在赴访趟\s，,])|(?<=[到去]了)|(?<=企业))(?P<brand>(?:(?![{''.join(sorted(_STOP))}])[\u4e00-\u9fff]){{2,4}}?)"
    r"(?:纺织|生物|汽配|精密|光电|电子|机械|科技|食品|制药|医药|新材|材料|化工|包装|能源|电器|电气|实业|物流园|物流|"
    r"服饰|塑业|建材|重工|模具|纸业|陶瓷|光伏|制衣|鞋业|家具|农业|股份)"
    r"(?=$|[^\u4e00-\u9fff]|回访|走访|看|开展|调研|座谈|检查|慰问|参加|蹲点|了解)"
)
_DORM = re.compile(r"(?:[\u4e00-\u9fff](?:园|苑|斋|区|舍))?[0-9一二三四五六七八九十]{1,3}(?:栋|幢|号楼|号公寓|舍)")
# a campus dorm quarter named for a plant: 梅园, 竹园, 紫荆园 (a …园村 or …园小区 is a village or an estate)
_GARDEN = re.compile(r"(?:紫荆|丁香|海棠|芙蓉|杜鹃|玉兰|[梅兰竹菊松柏桃李杏荷桂枫樱榕槐柳椿橘榴])园(?![村路街区小社])")
_DORM_LIST = re.compile(rf"{_DORM.pattern}(?:\s*[、和及与]\s*{_DORM.pattern})+")
_BUILDING = re.compile(
    r"[\u4e00-\u9fff]{1,3}楼(?:[A-Za-z][0-9]{2,4}|[A-Za-z]座|[A-Za-z]区|[0-9]{3,4}|[东西南北][区侧]|[一二三四五六七八九]区)?"
)
_BUILDING_VERBS = set("巡查扫爬跳进出")
_BUILDING_PARTS = set("栋道梯层")
_TEACHING = re.compile(r"教[一二三四五六七八九十0-9]+")
# campus shorthand after a going or at a pause: 「去了3教」 = 第三教学楼, 「在二食」 = 二食堂 (not 三教室, 一教就会,
# 二食品厂)
_SHORT_BUILDING = re.compile(
    r"(?:(?<=[去到在进访])|(?<=[了\s，,：:])|^)(?:[东西南北]区)?[一二三四五六七八九十0-9]{1,2}(?:教|食)"
    r"(?![室师学育材练授职工堂品物用])(?!的?(?:那段|这段|一段|之间|路段|的路))"  # 「到三教那段路」 is a route
)
_SHORT_TYPE = {"教": "课堂", "食": "食堂"}
_LIVED_IN = re.compile(r"住(?:在|的|着)|寝室|宿舍楼|床位|查寝")
_GATE = re.compile(r"[东南西北正大校]门(?!口的?[^岗])")
_REGION = re.compile(
    rf"(?<=[去到在赴访])(?:(?![{''.join(sorted(_STOP))}])[\u4e00-\u9fff]){{2,6}}?(?:开发区|高新区|园区|新区|镇|街道|乡|县)"
)
_STUDENT_HOME = re.compile(
    r"(?:学生|同学|新生|毕业生|孩子|儿童|职工|员工|教师|老师)[^，。；,;\s]{0,6}?家(?:里|中)|(?:学生|同学|新生|毕业生)小[\u4e00-\u9fff]家"
    r"|(?:到|去|走访)小[\u4e00-\u9fff]家"
    r"|(?:学生|同学|孩子|职工|员工|教师|老师)家(?=$|[\s，。；,;])"
)
_CONTENT_START = re.compile(
    r"反映|说|提到|提出|表示|了解到|觉得|认为|谈到|聊到|担心|希望|诉求|问题集中|问题：|问题:|主要问题"
)


@dataclass(frozen=True)
class PlaceMatch:
    """One place mention: its span, name, type and whether the name identifies a site."""

    start: int
    end: int
    name: str
    place_type: str | None
    named: bool
    region: bool = False
    precise: bool = False


_NAME_BEFORE = set("镇乡县市区村")  # a region that may stand before a place's own name: 城关镇|向阳社区


_COMMUNITY_FACILITY = {"党群服务中心", "活动中心", "活动室", "中心", "工作站", "服务站"}
_WEAK_STOP = set("就里有个看听说讲吃坐做是都也还很又再先离想请")  # no going word, no preposition
_VISIT_VERB_HEAD = set("走回拜家来探寻出到互造")


def _BOUNDED_WITHIN(text: str, i: int, reach: int = 4) -> bool:
    """Whether a function character or a non-Han character stands within `reach` before `i`."""
    for j in range(i - 1, max(i - 1 - reach, -1), -1):
        ch = text[j]
        if ch in _STOP or not ("\u4e00" <= ch <= "\u9fff" or ch.isalnum()):
            return True
    return i - reach <= 0


def _extend_left(text: str, start: int, limit: int = 10, words: Mapping[str, int] | None = None) -> int:
    """Where the name ending at `start` begins: back over Han characters and digits, up to a
    function character (去, 在, 和 …). A function character that makes a word with the next one
    (`words`: the segmenter's dictionary) begins the name when a boundary stands before it:
    「去向阳社区」「城关镇向阳社区」 → 向阳社区, 「在和平村」 → 和平村."""
    i = start
    while i > 0 and start - i < limit + 4:
        if start - i >= limit and not _BOUNDED_WITHIN(text, i):
            break  # a long name only when a boundary is near (凤凰山高新区科创园二期工地)
        ch = text[i - 1]
        if not ("\u4e00" <= ch <= "\u9fff" or ch.isalnum()):
            break
        if ch == "访" and i >= 2 and text[i - 2] not in _VISIT_VERB_HEAD:
            i -= 1  # 信访, 接访: part of the name, not the going word 走访
            continue
        if ch in _STOP:
            before = text[i - 2] if i >= 2 else ""
            inner = "\u4e00" <= before <= "\u9fff" and before not in _STOP
            if inner and ch == "里" and i == start:
                i -= 1  # 幸福里小区: …里 names a city block
                continue
            if inner and ch in _WEAK_STOP and words and i < start and words.get(text[i - 1 : i + 1]):
                i -= 1  # 就业指导中心: a word, not the adverb 就
                continue
            bounded = not before or before in _STOP or before in _NAME_BEFORE or not "\u4e00" <= before <= "\u9fff"
            if words and i < start and words.get(text[i - 1 : i + 1]) and bounded:
                i -= 1
            break
        i -= 1
    return i


# words of doing that no place name holds: a name begins after the last of them
_INNER_VERB = re.compile(r"一起|检查|巡查|看望|走访|慰问|座谈|调研|担心|建议|希望|反映|值班|值守|召集|组织|开展|参加")


def _trim(name: str, suffix: str = "") -> str:
    """The name without leading time and activity words; never shorter than its suffix
    ("值班室" stays 值班室)."""
    if len(name) - len(suffix) >= 4:  # room for a verb and a name before the suffix
        last = max((m.end() for m in _INNER_VERB.finditer(name, 0, len(name) - len(suffix))), default=0)
        name = name[last:]  # "主任一起检查机电系实训室" → 机电系实训室
    trimmed = _LEAD.sub("", name)
    return trimmed if len(trimmed) >= len(suffix) else name[len(name) - len(suffix) :]


# a count or a pointer right before a name: "3个在建工地", "这家面馆" name no particular site
_COUNTERS = set("个家所座处某")
_PERSON_COUNTED = re.compile(r"[0-9一二两三四五六七八九十几]+\s*[名位]$")
_PERSON_COUNT_HEAD = re.compile(r"[0-9一二两三四五六七八九十几]+\s*[名位]")
_COUNTED = re.compile(r"(?:[0-9一二两三四五六七八九十几多]+|某|这|那|各)(?:个|家|所|座|处)$")
_FACILITY_TYPES = {"其他", "课堂", "食堂", "宿舍", "窗口"}
# facility kinds (two characters or more) and those that name a site even bare (篮球场, not 办公室)
_FACILITY = {s for s, ptype in _SUFFIXES if len(s) >= 2 and ptype in _FACILITY_TYPES}
_FACILITY_BARE = {s for s in _FACILITY if len(s) >= 3 and not s.endswith("室")}


def _named(name: str, suffix: str) -> bool:
    prefix = name[: len(name) - len(suffix)] if name.endswith(suffix) else name
    if suffix in _SELF_NAMED:
        return True
    if _INDEFINITE.search(prefix):
        return False  # "一家软件公司" names no particular site
    if suffix in _NEEDS_PREFIX:
        return len(prefix) >= 2 and not _GENERIC.match(prefix)
    if suffix in _HALLS:
        return bool(prefix)
    if suffix in _FACILITY and (prefix or suffix in _FACILITY_BARE):
        return True  # a kind of facility names the one there is ("学生食堂", "篮球场", "实训中心")
    return bool(prefix) and not _GENERIC.match(prefix)


def find_places(
    text: str, known: dict[str, str] | None = None, words: Mapping[str, int] | None = None
) -> list[PlaceMatch]:
    """All place mentions in text, in text order (longest first at the same start); `words`
    (word → frequency, the segmenter's dictionary) lets a name begin with a function character."""
    out: list[PlaceMatch] = []
    # each pattern below needs a character the text may lack (栋/号/舍, 楼, 门, 区/镇/…): checked first
    dorms = "栋" in text or "幢" in text or "号" in text or "舍" in text
    for rx in (_DORM_LIST, _DORM) if dorms else ():
        for m in rx.finditer(text):
            start = m.start()
            if words and start > 0 and m.group(0)[1:2] in ("园", "苑", "斋") and text[start - 1] not in _STOP:
                start -= bool(words.get(text[start - 1 : start + 1]))  # 杏林苑6栋, 博学苑15栋: a two-character name
            out.append(PlaceMatch(start, m.end(), text[start : m.end()], "宿舍", True, precise=True))
    for m in _GARDEN.finditer(text) if "园" in text else ():
        if m.start() == 0 or not "\u4e00" <= text[m.start() - 1] <= "\u9fff" or text[m.start() - 1] in _STOP:
            out.append(PlaceMatch(m.start(), m.end(), m.group(0), "宿舍", True))
    for m in _SUFFIX_RX.finditer(text):
        suffix = m.group(0)
        begin = _extend_left(text, m.start(), words=words)
        end = m.end() + (suffix.endswith("点") and text[m.end() : m.end() + 1] == "位")  # 降温点位
        raw = text[begin:end]
        name = _trim(raw, suffix)
        if not name:
            continue
        if suffix == "现场" and (name != suffix or not _reached(text, end - len(name))):
            continue  # "招聘会现场": the place before it says what the scene is; "现场协调" is no going
        if name == suffix and (suffix in _NEEDS_PREFIX or suffix == "学校"):
            continue  # a bare 学校 is the writer's own school, not a school visited
        start = end - len(name)
        if _PERSON_COUNTED.search(text, max(start - 4, 0), start) or _PERSON_COUNT_HEAD.match(name):
            continue  # 「2名车间主任」: people counted by what they do, not a place
        ptype = _SUFFIX_TYPE[suffix]
        if suffix in _COMMUNITY_FACILITY and "社区" in name[: -len(suffix)]:
            # a 社区's own centre or station is the 社区; a campus 学生社区 lives in the dorm blocks
            ptype = "宿舍" if "学生社区" in name else "社区"
        elif ptype == "课堂" and "校外" in name:
            ptype = "企业"  # an off-campus training base is a host firm
        counted = text[start - 1 : start] in _COUNTERS and _COUNTED.search(text, max(start - 6, 0), start)
        named = _named(name[: len(name) - (end - m.end())], suffix) and not counted
        out.append(PlaceMatch(start, end, name, ptype, named))
    for m in _TRADE.finditer(text):
        brand = m.group("brand")
        if not _GENERIC.match(brand) and not any(ch in _STOP for ch in brand):
            out.append(PlaceMatch(m.start(), m.end(), m.group(0), "企业", True))
    for m in _BUILDING.finditer(text) if "楼" in text else ():
        name = _trim(m.group(0).lstrip("".join(_STOP)))
        body = name.split("楼")[0]
        if text[m.end() : m.end() + 1] in _BUILDING_PARTS or body.endswith(("栋", "幢", "单元", "层")):
            continue  # 楼道, 楼栋长, 2栋楼上, 二单元楼: a part of a block, no building's name
        teaching = _TEACHING.fullmatch(body) is not None  # 教三楼
        if not body or (body[-1] in "0123456789一二三四五六七八九十几" and not teaching):
            continue
        if body in ("宿舍", "教学", "实验"):
            continue
        if body[-1] in _STOP or body in ("大", "高", "上", "下", "整", "顶", "主", "本", "这", "那", "各"):
            continue
        if body[-1] in _BUILDING_VERBS:
            continue  # an activity at a building (巡楼, 查楼, 扫楼), not the building's name
        start = m.end() - len(name)
        ptype = "其他" if body.endswith(("行政", "办公", "学院", "图书馆")) else "课堂"
        if ptype == "课堂" and not teaching and _LIVED_IN.search(text):
            ptype = "宿舍"  # a named building students live in ("住在这栋的…") is a dorm block
        out.append(PlaceMatch(start, m.end(), name, ptype, True))
    for m in _GATE.finditer(text) if "门" in text else ():
        out.append(PlaceMatch(m.start(), m.end(), m.group(0), "点位", m.group(0)[0] in "东南西北正"))
    for m in _SHORT_BUILDING.finditer(text) if "教" in text or "食" in text else ():
        out.append(PlaceMatch(m.start(), m.end(), m.group(0), _SHORT_TYPE[m.group(0)[-1]], True))
    for m in _REGION.finditer(text) if any(ch in text for ch in "区镇街乡县") else ():
        out.append(PlaceMatch(m.start(), m.end(), m.group(0), None, True, region=True))
    for name, ptype in (known or {}).items():
        for m in re.finditer(re.escape(name), text):
            out.append(PlaceMatch(m.start(), m.end(), name, ptype, True))
    if "《" in text:  # a title names no place: 「《中学数学教学设计》课」
        titles = [(m.start(), m.end()) for m in _TITLE.finditer(text)]
        out = [p for p in out if not any(a <= p.start < b for a, b in titles)]
    out.sort(key=lambda p: (p.start, -(p.end - p.start)))
    return out


_TITLE = re.compile(r"《[^》]{0,40}》")


_ACTIVITY: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"坐窗口|窗口体验|走流程|坐班窗口|坐了[^，。；]{0,4}窗口|体验.{0,6}流程"), "窗口"),
    (re.compile(r"巡考"), "点位"),  # patrolling the exam rooms is a post (invigilating one is 课堂)
    (re.compile(r"家访"), "家庭"),
    (re.compile(r"听课|进课堂|随堂|听了.{0,12}课|班会"), "课堂"),
]
_FALLBACK: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"值守|值班|执勤|巡逻|站岗|点位|岗位值|志愿服务|劝导|疏导|护学|防汛|巡堤|巡河"), "点位"),
    (re.compile(r"查寝|进宿舍|寝室|宿舍"), "宿舍"),
    (re.compile(r"共餐|吃饭|午饭|午餐|晚饭|晚餐|早餐|食堂"), "食堂"),
    (re.compile(r"课堂|听课|教室"), "课堂"),
    (re.compile(r"农户|村民|农民|渔民|牧民|渔户|牧户|脱贫户|养殖户|种植户|村里|村子|村上|田间|地头"), "农户"),
    (re.compile(r"企业|公司|厂|园区|商户|店铺|门店"), "企业"),
    (re.compile(r"社区|小区|居民|网格|楼栋|居委"), "社区"),
    # households gone through: 入户, 挨家挨户, 走访了6户, 走了4户
    (re.compile(r"入户|挨家挨户|(?:走访|走|访|看)了?[0-9一二两三四五六七八九十几]+户"), "农户"),
    (re.compile(r"窗口"), "窗口"),
]


# in a town or city, a …苑 or …园 is a housing estate, not a student dorm block
_ESTATE = re.compile(r"[苑园](?:小区)?$")
# what says a residential block is a dorm (in a town a bare "7栋" is a housing block)
_DORM_WORDS = re.compile(r"公寓|宿舍|寝室")
# a going word right before a place: the writer was there ("去花园村卫生室", "在北门值守")
_REACHED = re.compile(r"(?:去|到|在|赴|前往|来到|走访|回访|看望|慰问|巡查|检查|查|进|去了|到了|进了|访了|趟)\s*$")


def _reached(text: str, at: int) -> bool:
    """Whether a going word ends right before offset `at` (a short window: the pattern is anchored)."""
    return _REACHED.search(text, max(at - 4, 0), at) is not None


# a place right before the people it houses names who they are, not where they were met:
# "召集了兰苑2栋3个寝室长在南苑食堂吃饭"
_AFFILIATION = re.compile(
    r"[0-9一二两三四五六七八九十几]*[个名位]?的?(?:寝室长|室长|同学|学生|舍友|住户|居民|村民|职工|员工|老师|工人)"
)
# staff met at their housing: a visit to their homes ("到人才公寓看望了2位外籍教师", "看望了3户老教师")
_STAFF_MET = re.compile(
    r"(?:看望|慰问|走访|入户)[^，。；;\s]{0,12}?(?:教师|老师|博士|教授|教工|教职工)"
    r"|[0-9一二两三四五六七八九十几]户[^，。；;\s]{0,3}(?:教师|老师|教授|教工)"
)
# retired staff and veteran members visited where they live: "看望了老党员、退休教师刘老师"
_HOME_VISIT = re.compile(
    r"(?:看望|慰问|探望)[^，。；;]{0,10}?(?:退休|离休|离退休|老)(?:教师|教职工|干部|党员|教授|职工|同志|工人)"
)
# a post inside an area: the duty says what the visit was ("在河口村防汛值守")
_DUTY_AFTER = re.compile(r"[^，。；;,\s]{0,6}?(?:值守|值勤|执勤|站岗|巡逻|设点|摆摊)")
# who the people met are: farmers met in a town's neighbourhood make a household visit
_FARMERS = re.compile(r"[0-9一二两三四五六七八九十几]户(?:菜农|果农|茶农|农户|种植户|养殖户|村民|农民)")


def _pick_site(text: str, sites: list[PlaceMatch]) -> PlaceMatch | None:
    """The site the writer went to: the first reached by a going word ("去", "到", "在" …),
    else the first; a place naming where the people met live is passed over when another
    site follows."""
    if not sites:
        return None
    firsts = [
        p
        for p in sites
        if not (_AFFILIATION.match(text, p.end) and any(q.start >= p.end and _reached(text, q.start) for q in sites))
    ]
    firsts = firsts or sites
    reached = next((p for p in firsts if _reached(text, p.start)), None)
    return reached or firsts[0]


# the writer's own going, even after what others said: "村民打电话说…，我周六顺路去花园村卫生室看了一下"
# (not sending or taking someone: "我让他去心理中心看看", "我陪她去派出所")
_I_WENT = re.compile(r"我[^，。；;！？!?让叫请要帮给劝建议陪带他她们]{0,8}?(?:去了|去|到了|到|来到|前往)\s*$")


_CUES: list[tuple[str, re.Pattern[str]]] = [
    *((f"act:{ptype}", rx) for rx, ptype in _ACTIVITY),
    ("home", _STUDENT_HOME),
    ("staff", _STAFF_MET),
    ("retired", _HOME_VISIT),
    ("farmers", _FARMERS),
]
_WHO = re.compile(
    r"学生|同学|老师|教师|辅导员|家长|孩子|村民|农户|居民|业主|老人|工人|员工|职工|骑手|商户|老板|店主|患者|群众|网格员|村干部"
)


def place_cues(text: str) -> set[str]:
    """Names of the clue families found in the writer's own words of `text` (before what others
    said): "act:窗口" … (what was done there), "home" (a student's or staff home), "staff" (staff
    met at their housing), "retired" (retired staff visited), "farmers", and "who:…" (the people
    met: 学生, 村民, 居民, 工人 …). Features of the place-type model."""
    cut = _CONTENT_START.search(text)
    own = text[: cut.start()] if cut else text
    found = {name for name, rx in _CUES if rx.search(own)}
    found.update(f"who:{m.group(0)}" for m in _WHO.finditer(own))
    return found


def detect_place(
    text: str, known: dict[str, str] | None = None, matches: list[PlaceMatch] | None = None, profile: str = "campus"
) -> tuple[str, str | None]:
    """(place_type, place name or None) of the visit described in text under a profile
    ("campus" or "community"); `matches` may be given from find_places(text, known).

    The type is the head noun of the place visited (the innermost place of a place phrase:
    "镇中心小学门口的护学岗" is a post), turned by what was done there (坐窗口, 班会, 家访, a
    duty in a village) and by whom the writer met (staff at their housing: 家庭; farmers in a
    neighbourhood: 农户). Places only in what others said count only when the writer went there."""
    cut = _CONTENT_START.search(text)
    if matches is None:
        matches = find_places(text, known)
    own_text = text[: cut.start()] if cut else text
    own = [p for p in matches if not cut or p.end <= cut.start()]
    reported = not own  # places only in what others said: where the writer went only when reached
    if reported:
        # an unreached place in what others said (「渔民反映：…岛上卫生室…」) is the visit's place
        # only when the writer's own words say nothing of where they went
        own = [p for p in matches if _reached(text, p.start)] or (
            [] if any(rx.search(own_text) for rx, _ in _FALLBACK) else matches
        )
    sites = [p for p in own if not p.region]
    sites = [p for p in sites if not _COMPANION.search(text, max(p.start - 2, 0), p.start)] or sites
    regions = [p for p in own if p.region]
    mine = None
    if "我" in text:
        mine = next((p for p in matches if not p.region and _I_WENT.search(text, max(p.start - 12, 0), p.start)), None)
    chosen = mine or _pick_site(text, sites) or (regions[0] if regions else None)
    if mine is not None and mine not in sites:
        sites = [mine, *sites]
    if chosen is not None and not chosen.region:
        chosen = _head(text, chosen, sites)
    ptype = chosen.place_type if chosen else None
    if chosen is not None and ptype in ("农户", "社区"):
        if _DUTY_AFTER.match(text, chosen.end) or any(
            p.place_type == "点位" and 0 <= p.start - chosen.end <= 15 for p in sites
        ):
            ptype = "点位"  # a post in a village or a neighbourhood
        elif ptype == "社区" and _FARMERS.search(own_text):
            ptype = "农户"
    for rx, activity_type in _ACTIVITY:
        if rx.search(own_text):
            if not (activity_type == "课堂" and ptype == "学校"):  # a class at a partner school: 学校
                ptype = activity_type
            break
    else:
        if _STUDENT_HOME.search(own_text) and (
            reported or not (chosen and chosen.place_type in ("宿舍", "食堂", "课堂"))
        ):
            ptype = "家庭"
        elif ptype == "宿舍" and _STAFF_MET.search(own_text):
            ptype = "家庭"
        elif (chosen is None or reported) and _HOME_VISIT.search(own_text):
            ptype = "家庭"
    if ptype is None:
        for rx, fallback_type in _FALLBACK:
            if rx.search(own_text):
                ptype = fallback_type
                break
        else:
            ptype = "其他"
    if reported and ptype == "家庭":
        chosen = None  # the home is the place; what the family said names no place
    name = _pick_name(text, ptype, chosen, sites, regions)
    if profile == "community" and ptype == "宿舍":
        if (name and _ESTATE.search(name)) or (chosen and chosen.precise and not _DORM_WORDS.search(own_text)):
            ptype = "社区"
    return ptype, name


# who the writer went with is not where they went: "跟着燃气公司入户安检，走了铁路新村20户"
_COMPANION = re.compile(r"(?:跟着|跟随|随同|陪同|会同|跟|随|陪)$")

# what may stand between a place and the place inside it: "桂花村防火卡口", "快递公司的员工宿舍",
# "杨家垸村 养猪场" (no verb, no 了: "在接待室接待了黄土坡村的村民" names two places)
_INSIDE = re.compile(rf"[^\s，。；;,、：:！？!?过{''.join(sorted(_STOP - {'的', '里'}))}]{{0,8}}|\s")


def _head(text: str, chosen: PlaceMatch, sites: list[PlaceMatch]) -> PlaceMatch:
    """The innermost place of a place phrase: a village or compound names where, the facility
    written after it inside the same phrase names what was visited ("桂花村防火卡口" is a post,
    "科创园三期工地防暑降温点位" too). The name keeps the whole phrase when its first place is
    named ("镇中心小学门口的护学岗")."""
    for later in sites:
        if later.start < chosen.start or later.end <= chosen.end or not later.place_type:
            continue
        if later.start >= chosen.end and not _INSIDE.fullmatch(text, chosen.end, later.start):
            continue
        if chosen.named and later.start > chosen.start:
            later = PlaceMatch(chosen.start, later.end, text[chosen.start : later.end], later.place_type, True)
        chosen = later
    return chosen


def _pick_name(
    text: str, ptype: str, chosen: PlaceMatch | None, sites: list[PlaceMatch], regions: list[PlaceMatch]
) -> str | None:
    if ptype == "家庭":
        if chosen is not None and chosen.named and chosen.place_type in ("家庭", "宿舍"):
            return chosen.name  # staff housing: 人才公寓
        village = next((p for p in sites if p.place_type in ("农户", "社区") and p.named), None)
        home = _STUDENT_HOME.search(text)
        town = next((p for p in regions if home and p.end <= home.start()), None)
        if village is None and town is not None:
            return town.name  # the student's home town: "到竹溪县中峰镇学生小罗家家访"
        return village.name if village else None
    precise = next((p for p in sites if p.precise and p.place_type == ptype), None)
    if precise:
        return precise.name
    if chosen is not None and chosen.named and (chosen.region or chosen.place_type == ptype):
        return chosen.name
    same = next((p for p in sites if p.named and p.place_type == ptype), None)
    if same:
        return same.name
    if not sites and regions:
        return regions[0].name
    if chosen is not None and chosen.named and ptype not in ("课堂", "家庭"):
        return chosen.name  # the hall of a window, the site of a post
    return None


_CN_NUMBER_BEFORE_UNIT = re.compile(r"[零〇一二两三四五六七八九十百]+(?=栋|幢|号楼|号|楼|舍|单元|层|区|室|组|队)")
_WIDE = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})


def canonical_place(name: str) -> str:
    """A place name in one spelling for matching: 梅园三栋 = 梅园3栋 = 梅园 3 栋 = 梅园３栋
    (Chinese numerals before a building or room unit become digits; full-width folded; spaces and
    a trailing 的 dropped)."""
    from .numerals import cn_to_int

    text = "".join(name.translate(_WIDE).split()).removesuffix("的")
    return _CN_NUMBER_BEFORE_UNIT.sub(lambda m: str(cn_to_int(m.group(0)) or m.group(0)), text)


def names_place(visit_place: str, point: str) -> bool:
    """Whether a visit's place names a cadre's 包联点 ("东区梅园三栋" names 梅园3栋; "13号楼" does not
    name 3号楼)."""
    point = canonical_place(point)
    found = re.search(rf"(?<![0-9]){re.escape(point)}(?![0-9])", canonical_place(visit_place))
    return bool(point) and found is not None
