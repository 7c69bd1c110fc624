"""Place type and place name of a visit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACE_TYPES = ("宿舍", "食堂", "课堂", "家庭", "农户", "学校", "企业", "点位", "社区", "窗口", "其他")

# (suffix, place type), longest suffixes first when they share an ending.
_SUFFIXES: list[tuple[str, str]] = [
    ("养老服务中心", "社区"),
    ("日间照料中心", "社区"),
    ("养老服务站", "社区"),
    ("养老院", "社区"),
    ("敬老院", "社区"),
    ("居委会", "社区"),
    ("社区", "社区"),
    ("小区", "社区"),
    ("新村", "社区"),
    ("城中村", "社区"),
    ("养老驿站", "社区"),
    ("物业服务中心", "社区"),
    ("党群服务中心", "社区"),
    ("社区卫生服务中心", "其他"),
    ("卫生服务中心", "其他"),
    ("政务服务中心", "窗口"),
    ("便民服务中心", "窗口"),
    ("服务大厅", "窗口"),
    ("办事大厅", "窗口"),
    ("政务大厅", "窗口"),
    ("服务中心", "窗口"),
    ("窗口", "窗口"),
    ("宿舍楼", "宿舍"),
    ("宿舍区", "宿舍"),
    ("公寓", "宿舍"),
    ("宿舍", "宿舍"),
    ("寝室", "宿舍"),
    ("食堂", "食堂"),
    ("餐厅", "食堂"),
    ("饭堂", "食堂"),
    ("教学楼", "课堂"),
    ("实验楼", "课堂"),
    ("实训楼", "课堂"),
    ("实验室", "课堂"),
    ("实训室", "课堂"),
    ("实训中心", "课堂"),
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
    ("职业学校", "学校"),
    ("技工学校", "学校"),
    ("学校", "学校"),
    ("中学", "学校"),
    ("小学", "学校"),
    ("附小", "学校"),
    ("附中", "学校"),
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
    ("工地", "企业"),
    ("厂区", "企业"),
    ("农场", "企业"),
    ("养殖场", "企业"),
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
    ("人力资源市场", "其他"),
    ("值班室", "点位"),
    ("路口", "点位"),
    ("堤段", "点位"),
    ("村委会", "农户"),
    ("村", "农户"),
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
_SUFFIX_RX = re.compile("|".join(re.escape(s) for s, _ in sorted(_SUFFIXES, key=lambda x: -len(x[0]))))
_SUFFIX_TYPE = dict(_SUFFIXES)
# Single-character suffixes are names only with a real prefix ("张湾村", "锦华服装厂").
_INDEFINITE = re.compile(r"(?:一|几|某|这|那|多|两|各)(?:家|个|所|座|处)")
_NOT_AFTER_VILLAGE = set("民里干委医级头口子集")
_NEEDS_PREFIX = {"村", "厂", "店", "中职", "苑"}
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
}

_STOP = set("的在到去和与跟了是有个从对给向往赴进访把被让做看聊同带随陪坐于为及或说讲听吃里就都也还很又再先趟离着想请")
_LEAD = re.compile(
    r"^(?:(?:上上|上|本|这)?(?:周|星期|礼拜)[一二三四五六日天末]|今天|昨天|前天|今早|今晚|昨晚|今日|昨日|"
    r"早上|上午|中午|下午|晚上|傍晚|早晨|凌晨|午饭|午餐|晚饭|晚餐|早餐|共餐|地点|走访|查寝|看望|值守|值班|听课|"
    r"检查|巡查|深入|来到|前往|参观|调研|座谈|一起|课间|课后|今天|当天|刚才|刚刚|开展|[0-9]+[月日号]|月|日|号)+"
)
_GENERIC = re.compile(
    r"^(?:学生|女生|男生|研究生|本科生|新生|留学生|学校|校|校内|校外|本校|我校|迎新|值守|防汛|巡查|执勤|"
    r"志愿|志愿服务|服务|宣传|考务|综合|资助|一楼|二楼|三楼|楼下|楼上|该|这|那|附近|当地|本地|新|老|大|小|各|某|"
    r"实习|合作|校企|一个|一家|几家|这家|那家|多家|软件|物流|电商|科技|化工|服装|食品|机械|电子)*$"
)
# a firm named by its brand and its trade, right after a going or at the start: "到华鑫精密回访",
# "去绿源生物，", "天禾纺织 座谈" (the trade word is what the place is: an enterprise)
_TRADE = re.compile(
    r"(?:^|(?<=[到去在赴访\s，,])|(?<=[到去]了)|(?<=企业))(?P<brand>(?:(?![了的在到去和跟与同])[\u4e00-\u9fff]){2,4}?)"
    r"(?:纺织|生物|汽配|精密|光电|电子|机械|科技|食品|制药|医药|新材|材料|化工|包装|能源|电器|电气|实业|物流园|物流|"
    r"服饰|塑业|建材|重工|模具|纸业|陶瓷|光伏|制衣|鞋业|家具|农业|股份)"
    r"(?=$|[^\u4e00-\u9fff]|回访|走访|看|开展|调研|座谈|检查|慰问|参加|蹲点|了解)"
)
_DORM = re.compile(r"(?:[\u4e00-\u9fff](?:园|苑|斋|区|舍))?[0-9一二三四五六七八九十]{1,3}(?:栋|幢|号楼|号公寓|舍)")
_DORM_LIST = re.compile(rf"{_DORM.pattern}(?:\s*[、和及与]\s*{_DORM.pattern})+")
_BUILDING = re.compile(
    r"[\u4e00-\u9fff]{1,3}楼(?:[A-Za-z][0-9]{2,4}|[A-Za-z]座|[A-Za-z]区|[0-9]{3,4}|[东西南北][区侧]|[一二三四五六七八九]区)?"
)
_BUILDING_VERBS = set("巡查扫爬跳进出")
_GATE = re.compile(r"(?<![\u4e00-\u9fff])?[东南西北正大校][门](?!口的?[^岗])")
_REGION = re.compile(r"(?<=[去到在赴访])[\u4e00-\u9fff]{2,6}?(?:开发区|高新区|园区|新区|镇|街道|乡|县)")
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


def _extend_left(text: str, start: int, limit: int = 10, words: Mapping[str, int] | None = None) -> int:
    """Where the name ending at `start` begins: back over Han characters and digits, up to a
    function character (去, 在, 和 …). A function character that makes a word with the next one
    (`words`: the segmenter's dictionary) begins the name when a boundary stands before it:
    「去向阳社区」「城关镇向阳社区」 → 向阳社区, 「在和平村」 → 和平村."""
    i = start
    while i > 0 and start - i < limit:
        ch = text[i - 1]
        if not ("\u4e00" <= ch <= "\u9fff" or ch.isalnum()):
            break
        if ch in _STOP:
            before = text[i - 2] if i >= 2 else ""
            bounded = not before or before in _STOP or before in _NAME_BEFORE or not "\u4e00" <= before <= "\u9fff"
            if words and i < start and words.get(text[i - 1 : i + 1]) and bounded:
                i -= 1
            break
        i -= 1
    return i


def _trim(name: str) -> str:
    return _LEAD.sub("", name)


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
    return bool(prefix) and not _GENERIC.match(prefix)


def find_places(
    text: str, known: dict[str, str] | None = None, words: Mapping[str, int] | None = None
) -> list[PlaceMatch]:
    """All place mentions in text, in text order (longest first at the same start); `words`
    (word → frequency, the segmenter's dictionary) lets a name begin with a function character."""
    out: list[PlaceMatch] = []
    # each pattern below needs a character the text may lack (栋/号/舍, 楼, 门, 区/镇/…): checked first
    dorms = "栋" in text or "幢" in text or "号" in text or "舍" in text
    for m in _DORM_LIST.finditer(text) if dorms else ():
        out.append(PlaceMatch(m.start(), m.end(), m.group(0), "宿舍", True, precise=True))
    for m in _DORM.finditer(text) if dorms else ():
        out.append(PlaceMatch(m.start(), m.end(), m.group(0), "宿舍", True, precise=True))
    for m in _SUFFIX_RX.finditer(text):
        suffix = m.group(0)
        if suffix == "村" and text[m.end() : m.end() + 1] in _NOT_AFTER_VILLAGE:
            continue  # 村民, 村里, 村干部 are not place names
        begin = _extend_left(text, m.start(), words=words)
        raw = text[begin : m.end()]
        name = _trim(raw)
        if not name:
            continue
        if name == suffix and suffix in _NEEDS_PREFIX:
            continue
        start = m.end() - len(name)
        # a floor or a room number after a building stays in the name ("图书馆三楼自习区")
        out.append(PlaceMatch(start, m.end(), name, _SUFFIX_TYPE[suffix], _named(name, suffix)))
    for m in _TRADE.finditer(text):
        brand = m.group("brand")
        if not _GENERIC.match(brand) and not any(ch in _STOP for ch in brand):
            out.append(PlaceMatch(m.start(), m.end(), m.group(0), "企业", True))
    for m in _BUILDING.finditer(text) if "楼" in text else ():
        name = _trim(m.group(0).lstrip("".join(_STOP)))
        body = name.split("楼")[0]
        if not body or body[-1] in "0123456789一二三四五六七八九十几" or body in ("宿舍", "教学", "实验"):
            continue
        if body[-1] in _STOP or body in ("大", "高", "上", "下", "整", "顶", "主", "本", "这", "那", "各"):
            continue
        if body[-1] in _BUILDING_VERBS:
            continue  # an activity at a building (巡楼, 查楼, 扫楼), not the building's name
        start = m.end() - len(name)
        ptype = "其他" if body.endswith(("行政", "办公", "学院", "图书馆")) else "课堂"
        out.append(PlaceMatch(start, m.end(), name, ptype, True))
    for m in _GATE.finditer(text) if "门" in text else ():
        out.append(PlaceMatch(m.start(), m.end(), m.group(0), "点位", m.group(0)[0] in "东南西北正"))
    for m in _REGION.finditer(text) if any(ch in text for ch in "区镇街乡县") else ():
        out.append(PlaceMatch(m.start(), m.end(), m.group(0), None, True, region=True))
    for name, ptype in (known or {}).items():
        for m in re.finditer(re.escape(name), text):
            out.append(PlaceMatch(m.start(), m.end(), name, ptype, True))
    out.sort(key=lambda p: (p.start, -(p.end - p.start)))
    return out


_ACTIVITY: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"坐窗口|窗口体验|走流程|坐班窗口"), "窗口"),
    (re.compile(r"巡考"), "点位"),  # patrolling the exam rooms is a post (invigilating one is 课堂)
    (re.compile(r"家访"), "家庭"),
    (re.compile(r"听课|进课堂|随堂|听了.{0,12}课"), "课堂"),
]
_FALLBACK: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"值守|值班|执勤|巡逻|站岗|点位|岗位值|志愿服务"), "点位"),
    (re.compile(r"查寝|进宿舍|寝室|宿舍"), "宿舍"),
    (re.compile(r"共餐|吃饭|午饭|午餐|晚饭|晚餐|早餐|食堂"), "食堂"),
    (re.compile(r"课堂|听课|教室"), "课堂"),
    (re.compile(r"入户|农户|村民|脱贫户|养殖户|种植户|村里|村子|村上|田间|地头"), "农户"),
    (re.compile(r"企业|公司|厂|园区"), "企业"),
    (re.compile(r"社区|小区|居民"), "社区"),
    (re.compile(r"窗口"), "窗口"),
]


# in a town or city, a …苑 or …园 is a housing estate, not a student dorm block
_ESTATE = re.compile(r"[苑园](?:小区)?$")


def detect_place(
    text: str, known: dict[str, str] | None = None, matches: list[PlaceMatch] | None = None, profile: str = "campus"
) -> tuple[str, str | None]:
    """(place_type, place name or None) of the visit described in text under a profile
    ("campus" or "community"); `matches` may be given from find_places(text, known)."""
    cut = _CONTENT_START.search(text)
    if matches is None:
        matches = find_places(text, known)
    own = [p for p in matches if not cut or p.start < cut.start()] or matches
    sites = [p for p in own if not p.region]
    sites = [p for p in sites if not _COMPANION.search(text, 0, p.start)] or sites
    regions = [p for p in own if p.region]
    chosen = sites[0] if sites else (regions[0] if regions else None)
    if chosen is not None and not chosen.region:
        chosen = _head(text, chosen, sites)
    ptype = chosen.place_type if chosen else None
    for rx, activity_type in _ACTIVITY:
        if rx.search(text):
            ptype = activity_type
            break
    else:
        if _STUDENT_HOME.search(text[: cut.start()] if cut else text) and not (
            chosen and chosen.place_type in ("宿舍", "食堂", "课堂")
        ):
            ptype = "家庭"
    if ptype is None:
        own_text = text[: cut.start()] if cut else text
        for rx, fallback_type in _FALLBACK:
            if rx.search(own_text):
                ptype = fallback_type
                break
        else:
            ptype = "其他"
    name = _pick_name(ptype, chosen, sites, regions)
    if profile == "community" and ptype == "宿舍" and name and _ESTATE.search(name):
        ptype = "社区"
    return ptype, name


# who the writer went with is not where they went: "跟着燃气公司入户安检，走了铁路新村20户"
_COMPANION = re.compile(r"(?:跟着|跟随|随同|陪同|会同|跟|随|陪)$")

# what may stand between a place and the place inside it: "桂花村防火卡口", "快递公司的员工宿舍"
_INSIDE = re.compile(r"[^\s，。；;,、：:！？!?在到去和跟与同对给从]{0,8}")


def _head(text: str, chosen: PlaceMatch, sites: list[PlaceMatch]) -> PlaceMatch:
    """The innermost place of a place phrase: a village or compound names where, the facility
    written after it inside the same phrase names what was visited ("桂花村防火卡口" is a post)."""
    for later in sites:
        if later.start >= chosen.end and later.place_type and _INSIDE.fullmatch(text, chosen.end, later.start):
            chosen = later
    return chosen


def _pick_name(ptype: str, chosen: PlaceMatch | None, sites: list[PlaceMatch], regions: list[PlaceMatch]) -> str | None:
    if ptype == "家庭":
        village = next((p for p in sites if p.place_type in ("农户", "社区") and p.named), None)
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
    if chosen is not None and chosen.named and ptype not in ("窗口", "课堂", "家庭"):
        return chosen.name
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
