"""Intent of a message: visit, issue, query, resolve or other."""

from __future__ import annotations

import re

from .numerals import CN_NUM, COUNTED, cn_to_int
from .places import PlaceMatch, find_places

_NUM = rf"[0-9]+|[{CN_NUM}]+"
CORRECTION = re.compile(
    r"发错|不用记|不要记|别记|撤回|作废|删掉|删除|取消(?:刚才|那条|上一条|记录)|"
    r"不算数|弄错了|搞错了"
)
RESOLVED = re.compile(
    r"已(?:经)?(?:解决|办结|处理|完成|修好|修复|整改|落实|更换|换好|关闭|销号)|解决了|办结了|处理好|处理完|修好了|"
    r"完成(?:了)?维修|完成了|可以关闭|可以销号|关闭吧|销号|搞定|弄好了|换好了|好了(?:[，,。]|$)|"
    r"闭环|办妥|接好了|修通了|已恢复|恢复了|已落实|已追回|已兑现|已到位|已整改到位|换了?新的?了|已换新?|到位了|[，,。\s]办结[。!！]?$"
)
_REFS = [
    re.compile(r"[#＃]\s*(?P<n>[0-9]+)"),
    re.compile(r"(?<![0-9A-Za-z])(?P<n>[0-9]{1,6})\s*[#＃]"),  # "42#"
    re.compile(r"(?i)\bNo\.?\s*(?P<n>[0-9]{1,6})"),  # "No.110"
    re.compile(r"(?:问题|诉求|工单)?单号\s*[:：]?\s*(?P<n>[0-9]{1,9})"),  # "问题单号0076"
    # 第12号 / 第12个问题; "第29条" alone is an article of a law, not one of our items
    re.compile(rf"第\s*(?P<n>{_NUM})\s*(?:号|个|项|条(?=问题|事项|诉求|工单))"),
    re.compile(rf"(?:问题|事项|工单|诉求)?编号\s*[:：是为]?\s*(?P<n>{_NUM})"),
    re.compile(rf"(?P<n>{_NUM})\s*号\s*(?:问题|事项|工单|诉求)"),
    # 「问题12」, never a count: 「已解决群众诉求218件」「问题3个」
    re.compile(rf"(?:问题|事项|工单|诉求)\s*(?P<n>{_NUM})(?![0-9{CN_NUM}]|\s*{COUNTED})\s*号?"),
    # a bare number opening the message and the bot's own closing word: 「64 已办结」「12 办结，换了新的」
    # (not 解决 or 修好: 「302 已解决」 is as likely a room)
    re.compile(r"^(?!(?:19|20)[0-9]{2}(?![0-9]))(?P<n>[0-9]{1,5})\s*[，,：:]?\s*(?=已?(?:办结|销号))"),  # not a year
    # a bare 「17号…」 opening the message: only when a pause, 的 or done-wording follows (never
    # 「9号楼」「20号宿舍」「15号那天」「14号上午」)
    re.compile(
        rf"^(?:报告[：:，,]?\s*)?(?:那个)?(?P<n>{_NUM})\s*号(?=\s*(?:[，,。:：;；!！]|的|那个|这个|已|还|都|$|修|换|解决|办结|办好|处理|完成|弄好|搞定|好了))"
    ),
]
ASKING = re.compile(r"怎么样了|进展|进度|吗[？?]?$|[？?]$|有没有|哪些|多少|几个|几件|几项|几次")
QUERY_ASK = re.compile(
    r"哪些|多少|几个|几件|几项|几次|几条|有没有|有无|吗|查一下|查询|查查|查看|看看|看一下|看下|列一下|列个|列出|统计|"
    r"汇总|怎么样了|进展|进度|清单|台账|[？?]$|(?:走访|问题|诉求)(?:记录|情况|清单|台账|统计|汇总)(?:一下)?[。.！!]?$"
)
_REPORT_DATE = re.compile(
    r"今天|昨天|前天|昨晚|今早|今晚|[0-9一二三四五六七八九十]+月[0-9一二三四五六七八九十]+[日号]|(?<![上这本])周[一二三四五六日天]|"
    r"[0-9]{1,2}[./][0-9]{1,2}"
)
# a result told, not asked: 「302宿舍的热水器已解决了」 (a question says 已解决的 / 解决了多少 / 解决了吗)
_DONE_STATEMENT = re.compile(
    r"[^\s，。]{2,}(?:已经?|都)(?:解决|办结|处理|修好|修复)了?[。!！]?$|(?:解决|办结|修好)了[。!！]?$"
)
_PERIOD_WORDS = re.compile(r"^(?:本月|本周|上周|上月|这个月|这周|今年|本学期|全部|我的|我)+")
# questions asked as a noun phrase: 「张老师负责的宿舍问题」「计算机学院本月走访」
QUERY_PHRASE = re.compile(
    r"(?:负责|名下|经手|提交|上报|报)的[^，。；!?！？]{0,8}(?:问题|事项|诉求|工单|待办)$"
    # visits of a period and/or of every unit: 「本月走访」「上月各单位走访」「各学院走访完成率」
    r"|(?:(?:本月|本周|上周|上个?月|这个月|这周|今年|本学期)(?:(?:各个?|每个)[\u4e00-\u9fff]{1,4}?)?"
    r"|^(?:请问|查一下|看一下|看看)?(?:各个?|每个)[\u4e00-\u9fff]{1,4}?)的?"
    r"(?:走访|下基层)(?:情况|记录|次数|完成情况|完成率|覆盖率|率|统计|率?排名)?$"
    r"|^(?:走访|下基层)(?:完成情况|完成率|覆盖率|排名|率)[？?。]?$"
    # who went least, who has not gone: 「哪个学院走访最少」「谁还没走访」「各单位本周走访谁没去」
    r"|^[^，。？?！!]{0,8}?(?:谁|哪个|哪些|哪位)[^，。？?！!]{0,6}?(?:走访|下基层|下去)[^，。？?！!]{0,4}$"
    r"|^[^，。？?！!]{0,8}?(?:走访|下基层)[^，。？?！!]{0,2}?(?:谁|哪些人|哪位)[^，。？?！!]{0,4}$"
    # a bare topic and 问题 is a search, not a report: 「工资问题」「东风机械厂的问题」; a demand to solve
    # it is a subject line (「要求解决孩子就近入学问题」)
    r"|^(?!要求|请求|恳请|希望|建议|申请|请|解决|反映)[^，。？?！!\s]{1,10}?(?:的|方面的?|这块的?|类的?)?问题[？?。]?$"
)
QUERY_RECORD = re.compile(r"问题|走访|事项|诉求|待办|记录|工单|逾期|超期|办结|解决|清单|台账|下基层|家访")
_STATUS = re.compile(r"逾期|超期|未办结|没办结|待办|已办结|已解决|未解决|没解决|办结率|解决率")
# how to use the bot: "怎么提交", "什么格式", and whether or how one may change what was sent or
# send it late ("走访记录可以补录吗", "怎么删除记录", "暑假还要每周报吗")
HELP = re.compile(
    r"怎么(?:提交|用|使用|发|写|填|录入|操作|上报|记录|弄)|如何(?:提交|使用|填写|上报|操作)|需要写|要写|写哪些|"
    r"能不能发|可以发|发这里|发到哪|发哪|什么格式|格式|"
    r"(?:怎么|怎样|如何|能不能|能否|可不可以|可以|能)(?:再|重新)?(?:删除|删掉|修改|更改|补录|补报|补发|补交|撤回|导出|上传)"
    r"|还(?:要|需要|得|用)[^，。？?！!]{0,6}(?:报|交|发|填|录)[^，。？?！!]{0,4}吗"
    r"|(?:要不要|用不用|需不需要|要|需要|得|必须)(?:拍照|拍照片|发照片|传照片|上传照片|附照片)"
)
FUTURE = re.compile(
    r"明天|后天|下周|下个?星期|下个?月|下次|改天|过两天|过几天|待会|等会|回头|"
    r"(?:准备|计划|打算|拟|将)[^，。；]{0,4}(?:去|走访|回访|到|开展|组织|召开|前往|再去)"
)
PAST = re.compile(
    r"今天|昨天|前天|昨晚|上周|本周[一二三四五六日天]|(?<![下])周[一二三四五六日天]|刚才|刚刚|已经|"
    r"[0-9一二三四五六七八九十]+[月号日]|了(?!解)"
)
NOTICE = re.compile(r"^(?:【[^】]{0,10}】)?(?:会议通知|通知|提醒|温馨提示|重要提醒)[:：]")
MEETING = re.compile(r"开会|会议|别忘了|请准时|参会|通知[:：]")
# after 去/到, what makes it no arrival: 到期/到时/到账/到位/到手, 去哪 (a question), and a time of day
# ("从下午四点到凌晨两点")
NOT_ARRIVAL = r"(?![期时点账位手哪]|凌晨|早上|晚上|中午|下午|半夜|深夜|[0-9一二两三四五六七八九十]+点)"
# before 到, a verb whose result it tells: 收到, 想到, 摔到, 涨到, 轮到, 迟到 — nobody arrives
RESULT_TO = r"(?<![看听收接遇想做说提感得找等受碰见摔跌掉撞涨降拿买轮排迟直])"
VISIT_VERB = re.compile(
    r"走访|家访|入户|查寝|共餐|座谈|听课|听了|值守|值班|执勤|看望|慰问|调研|巡查|巡堤|坐窗口|进课堂|进宿舍|进食堂|"
    r"回访|探访|蹲点|吃饭|吃午饭|吃晚饭|吃了个饭|午餐|午饭|晚饭|晚餐|早餐|检查|体验|转了转|转了一[圈下哈趟]|走了一圈|看了看|"
    r"看了下|看了一下|(?<![您你])看看|聊了聊|[跟和与同].{1,14}(?:聊|谈|开会|座谈|交流)|交流|参加|碰见|碰到|见到|接待|"
    r"站岗|坐班|送教|上门|巡了|巡考|监考|走寝|踏勘|走了一[遍趟圈]|查了|值了|看了哈|去看了|看了一[遍趟下圈]|挨家挨户|去了一?趟|刚从[^，。；\s]{1,12}回来|"
    rf"(?:去了?|{RESULT_TO}到了?|赴|来到)[^，。；!?！？]{{1,16}}?(?:看|转|了解|走|调研|检查|聊|座谈|值守|蹲点|送|陪|慰问)|"
    r"查[^，。；\s]{1,6}(?:栋|楼|寝)|"
    # a time and a going: "今天去绿源生物", "3月13日去了现代学徒制合作企业", "周六去了技能大赛集训室"
    r"(?:今天|昨天|前天|今早|今晚|昨晚|上午|下午|中午|晚上|周[一二三四五六日天]|[0-9]{1,2}[月.][0-9]{1,2}[日号]?)"
    rf"[^，。；\s]{{0,8}}?(?:去了?|{RESULT_TO}到了?){NOT_ARRIVAL}"
)
# the writer's going or meeting told with a verb that means nothing else (unlike 检查, 早餐, 交流,
# which also occur inside complaints): a weightier signal than has_visit
# where one works or lives is no going: 「我在外地工作」, 「我们在这住了三十年」, 「我在园区经营一家公司」
_LIVES_AT = (
    r"(?![^，。；\s]{0,8}?(?:工作|上班|打工|务工|居住|住了|住在|读书|上学|生活|养老|"
    r"经营|开店|开了一?[家间]|开了一?个(?![^，。；\s]{0,3}会)|做生意|办厂|开厂))"
)
WENT = re.compile(
    r"走访|家访|入户|查寝|走寝|共餐|座谈|听课|看望|慰问|调研|巡查|巡堤|坐窗口|进课堂|进宿舍|进食堂|回访|探访|蹲点|"
    r"值守|值班|执勤|站岗|坐班|踏勘|挨家挨户|转了转|转了一圈|走了一[遍趟圈]|去了一?趟|跟班|随堂|走流程|"
    rf"刚从[^，。；\s]{{1,12}}回来|走了走|^(?:我|我们)?(?:去了?|到了?|来到|前往){NOT_ARRIVAL}|"
    r"(?:我|我们|今天|昨天|前天|上午|下午|中午|晚上|今早|今晚|昨晚|周[一二三四五六日天]|[0-9]{1,2}[月.][0-9]{1,2}[日号]?)"
    rf"(?:[^，。；\s]{{0,6}}?(?:去了|去|{RESULT_TO}到了?|来到|前往|赴){NOT_ARRIVAL}|在(?![群线网]){_LIVES_AT})"
)
# a report that opens with its date and place, "3.30 兰苑2栋 …", "12.1 到青峰职教中心 …"
_STAMP = re.compile(
    r"^\s*(?:[0-9]{1,2}[./月][0-9]{1,2}[日号]?|今天|昨天|前天|昨晚|今晚|今早|周[一二三四五六日天])?"
    r"[\s，,]*(?:(?:上午|下午|中午|晚上|早上)[\s，,]*)?(?:到|去|在)?[\s]*[\u4e00-\u9fffA-Za-z0-9]{2,14}"
    r"(?:栋|楼|村|社区|小区|公司|厂|中心|学校|中学|小学|食堂|餐厅|宿舍|教室|窗口|点|站|园|馆|室|院|所)"
    # the place stands alone, as a heading: 「兰苑2栋302 热水…」, not the subject of what happened there
    # (「化学楼三楼冒烟了」, 「明德楼1号电梯…」)
    r"[0-9A-Za-z#\-]*(?=[\s，,：:。;；]|$)"
)
_MET_AFTER_STAMP = re.compile(
    r"[\s，,]*[0-9一二两三四五六七八九十]+\s*(?:人|名|位|个人|个(?:学生|同学|孩子|居民|村民|老人|职工|工人))"
)
# who goes, when it is not the writer: 「学生每天过马路去东区宿舍」; the writer goes along when 我, 带, 陪,
# 和, 跟 is in the same clause
# (not 书记, 辅导员, 老师: a formal report names the visiting cadre — often the writer — by title)
_OTHERS_GO = re.compile(r"学生|同学|孩子|居民|村民|老人|群众|家长|工人|员工|他们?|她们?|有[^，。；\s]{0,10}?人|大家")
_WITH_WRITER = re.compile(r"我(?!们?(?:的|小区|村|家|楼|单位|学校|学院|社区|这|那))|带|陪|和|跟|同|随")
_WISHED = re.compile(r"希望|盼望|恳请|请求|要求|建议|欢迎|能不能|能否|可否")
_MEETING_WORD = re.compile(r"参加|座谈|交流|开会|接待|[跟和与同]")
# the writer's own going, even after reported words: "…上说…，今天课间我去三教转了一圈"
FIRST_PERSON_VISIT = re.compile(rf"我[^，。；!?！？]{{0,8}}?(?:去了|去|到了|过去|上去|来到){NOT_ARRIVAL}")
_CLAUSE_END = re.compile(r"[，。；！？!?,;\n ]")


def writer_goes_at(text: str, pos: int, end: int | None = None) -> bool:
    """Whether the date written at `pos` is the day of the writer's own going: 「今天中午我去二食堂看了」,
    「…，我周六顺路去了一趟」 (a first-person going in the date's clause, which ends at a pause, a
    space or `end`, e.g. the next date)."""
    stop = _CLAUSE_END.search(text, pos)
    limit = min(stop.start() if stop else len(text), len(text) if end is None else end)
    return FIRST_PERSON_VISIT.search(text, max(0, pos - 2), limit) is not None


# a day or time said just before the going: 「今天在…」, 「上周四在…」, 「10号在…」, 「上个礼拜六克…」 (克: 去 in
# Hubei speech, only after a day, so 克扣 is never a going)
_WHEN = (
    r"今天|昨天|前天|上午|下午|中午|晚上|早上|今早|今晚|昨晚|上?周[一二三四五六日天末]|上?个?礼拜[一二三四五六日天]?|"
    r"[0-9一二三四五六七八九十]{1,3}[号日]"
)
MOTION = re.compile(
    rf"(?:去了?|到了?|赴|来到|前往|(?:^|[，, ])在|(?:{_WHEN}|我)(?:还|也|又|正|一直)?在|(?:{_WHEN})克)\s*"
)
REPORTED = re.compile(r"反映|说|提到|表示|了解到|抱怨|接到|收到")
# a lead-in that hands over someone else's words: "转一封学生写给校长信箱的信：", "工单标题：",
# "网格员转发的居民微信：", "家长在群里发的，我原样转过来：", "转业主群里的一条：", "收到一封群众来信，写信人是
# 老街的住户：" — what follows is the complainant's voice
RELAY = re.compile(
    r"^[^。！？!?\n]{0,48}?(?:信|留言|工单|单子|标题|原话|原文|消息|微信|意见|诉求|纸条|提案|来电|来信|摘录|帖子|"
    r"书面材料|语音|一段话|收集(?:上来)?的|"
    r"转来的?|转过来|转(?:给|发给?)?[^：:，,。]{1,8}|转发的?|(?:发|写|讲|说|留|贴|问)(?:给[^：:，,。]{0,8})?的|反映|投诉|求助|反馈)"
    r"[^：:。]{0,12}[：:]"
)


def relay_end(text: str) -> int:
    """End of a relay lead-in ("…写给校长信箱的信：") at the start of text, or 0 when there is none."""
    m = RELAY.match(text)
    return m.end() if m else 0


def find_resolve_ref(text: str) -> int | None:
    """The problem number a message names ("#88", "第105号", "三十六号问题", "问题编号47")."""
    for rx in _REFS:
        m = rx.search(text)
        if m:
            n = cn_to_int(m.group("n"))
            if n:
                return n
    return None


def is_resolve(text: str) -> bool:
    """Says that a numbered problem has been solved."""
    return (
        find_resolve_ref(text) is not None
        and bool(RESOLVED.search(text))
        and not re.search(r"怎么样了|进展|[吗？?]\s*$", text)
    )


def is_query(text: str) -> bool:
    """Asks the bot about records."""
    if HELP.search(text) or len(text) > 60 or _REPORT_DATE.search(text):
        return False
    if len(text) <= 15 and _STATUS.search(text) and not _DONE_STATEMENT.search(_PERIOD_WORDS.sub("", text)):
        return True
    if len(text) <= 30 and QUERY_PHRASE.search(text):
        return True
    return bool(QUERY_ASK.search(text) and QUERY_RECORD.search(text))


def own_words(text: str) -> str:
    """The writer's own words: text before the first words reported from someone else
    (「孩子们说下个月来面试」: 下个月 is the children's, not the writer's plan); 「我说…」 is the writer's."""
    for m in REPORTED.finditer(text):
        if "我" not in text[max(0, m.start() - 3) : m.start()]:
            return text[: m.start()]
    return text


def is_future_or_notice(text: str) -> bool:
    """A plan for later (a future time in the writer's own words and no past one), or a meeting
    notice: nothing to record yet."""
    if FUTURE.search(own_words(text)) and not PAST.search(text):
        return True
    if NOTICE.match(text):
        return True
    return bool(MEETING.search(text) and not VISIT_VERB.search(text) and not PAST.search(text))


# the writer asks the bot not to record the message: "这条不用记录", "就不单独记了", "不用转办"
DONT_RECORD = re.compile(r"(?:不用|不要|别|无需|不必|不需要|不用再|就不)(?:单独)?(?:记录?|登记|录入?|转办|建单|立项)")


def dont_record(text: str) -> bool:
    """The message closes by asking the bot not to record it (within its last 24 characters,
    where the writer's own remark follows whatever they passed on)."""
    return DONT_RECORD.search(text[-24:]) is not None


# the writer is the one served, not a cadre on a visit: 「窗口说我材料不全让我回去」「昨天我去区医院看病」
SERVED = re.compile(
    r"(?:让|叫|要)我们?(?:回去|等|再|重新|补|交|跑|先)"
    r"|我们?(?:一家)?(?:去|到)[^，。；！？!?]{0,10}?(?:办理|办事|看病|就诊|挂号|缴费|交费|取号|排队|领取|咨询)"
)
# ...unless a cadre tells how they tried the service themselves
_TRIED = re.compile(r"体验|跟岗|坐窗口|走流程|暗访|陪同|陪")


def served(text: str) -> bool:
    """Whether the writer speaks as a person served (a citizen's own errand), not as a visiting cadre."""
    return SERVED.search(text) is not None and _TRIED.search(text) is None


_ROUTE = re.compile(r"的?(?:那段|这段|一段|之间|路段|的路)")
_NEGATED = re.compile(r"(?:没有|没|无|未|不)$")


def _affirmed(rx: re.Pattern[str], text: str) -> bool:
    """Whether rx occurs in text other than negated (「晚上没有值班医生」 tells no one went on duty) and
    other than done by someone else (「有两个人挨家挨户敲门」; a meeting, 「学生座谈会」, 「学生代表10人参加」,
    is still one the writer sat in)."""
    return any(
        not _NEGATED.search(text, max(0, m.start() - 2), m.start())
        and (
            _MEETING_WORD.match(m.group())
            or text[m.end() : m.end() + 1] in ("会", "：", ":")  # 座谈会; a report's heading 「…走访：」
            or not _someone_else_goes(text, m.start())
        )
        for m in rx.finditer(text)
    )


def went(text: str) -> bool:
    """The writer says, outside reported speech, that they went somewhere or met people
    with a verb that names a visit (走访, 座谈, 今天去了…): see WENT."""
    cut = REPORTED.search(text)
    return _affirmed(WENT, text[: cut.start()] if cut else text)


def _someone_else_goes(text: str, pos: int) -> bool:
    """Whether the going at `pos` has another subject in its clause (「学生每天过马路去…」), with
    nothing saying the writer went along, or is wished for (「希望领导来我家看看」)."""
    start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, pos)), default=0)
    before = text[start:pos]
    if _WISHED.search(before):
        return True
    return _OTHERS_GO.search(before) is not None and _WITH_WRITER.search(before) is None


def has_visit(text: str, date_found: bool, places: list[PlaceMatch] | None = None) -> bool:
    """Describes a visit that happened (outside reported speech). `places` may be the message's
    place mentions from find_places, to avoid finding them twice."""
    cut = REPORTED.search(text)
    own = text[: cut.start()] if cut else text
    if _affirmed(VISIT_VERB, own) or FIRST_PERSON_VISIT.search(text):
        return True
    places = find_places(own) if places is None else [p for p in places if p.end <= len(own)]
    for m in MOTION.finditer(own):
        if any(p.end == m.start() for p in places):
            continue  # 「梅园到竹园」: from one place to another is a route, not a going
        if _someone_else_goes(own, m.start()):
            continue
        # 「到新画室看了看」, but not 「…到新画室那段路」
        # the place may begin within the going word when the place finder took it in (「克铁炉村」)
        if any(
            m.start() < p.end
            and 0 <= p.start - m.start() <= m.end() - m.start() + 2
            and p.end > m.end()
            and not _ROUTE.match(own, p.end)
            for p in places
        ):
            return True
    stamp = _STAMP.match(text) if places else None
    # a dated stamp, or a stamp and the people met: 「梅园3栋 5人 热水又没了」 is a visit log
    return stamp is not None and (date_found or _MET_AFTER_STAMP.match(text, stamp.end()) is not None)
