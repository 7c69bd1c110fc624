"""Masking personal data of students and residents before text reaches a group or a public list.

`mask` is the one function every group and public output goes through (replies in group
chats, digests, reports); its behaviour is pinned by tests/handlers/privacy_cases.jsonl.

What is masked:
- e-mail addresses → （邮箱已隐去）; licence plates (鄂A·12345, 京AD12345) → 鄂A*****.
- 学号 / 工号 / 学籍号 / 准考证号 after their label → ****; any other run of 10–14 digits
  starting 19 or 20 (how student numbers look) → （号码已隐去）.
- bank cards written in groups (6222 0212 3456 7890 123) → （号码已隐去）.
- ID numbers: 18-digit (last may be X) resident ID numbers → （证件号已隐去）; any other run
  of 15–19 digits (old 15-digit IDs, bank cards) → （号码已隐去）.
- Phone numbers: mainland mobiles (optionally +86) → 138****5678; landlines (0xx-xxxxxxx)
  → 0xx-****; digits right after 电话/手机/联系方式/微信/QQ → ****.
- Full personal names in person contexts → surname + 某 per given-name character
  (张三 → 张某, 王建国 → 王某某): after a role word (学生/居民/村民/家长/…), after a label
  (姓名：/联系人), before a person verb or marker (反映/表示/说/家/一家/夫妇/…), before
  同学 (周杰同学 → 周某同学), and both names of a pair or list (冯小刚和李四 → 冯某某和李某).

What is kept, because it does not identify a person on its own and reads naturally in
reports: surname + title (王老师, 李同学, 张师傅), 小X / 老X nicknames, and names that are
already masked (刘某, 张某某). Cadres' names outside item text are not passed here.
A pattern approach cannot find every name in free text; it is tuned to miss rather than to
mangle ordinary words (周末, 林业, 高数).
"""

from __future__ import annotations

import re

# Common single-character surnames (the ~200 most frequent) and compound surnames.
_SINGLE = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古"
    "吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫"
    "寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "端木",
    "独孤",
    "南宫",
    "西门",
    "百里",
    "呼延",
    "澹台",
)
_SURNAME = "(?:" + "|".join(_COMPOUND) + f"|[{_SINGLE}])"
# Characters that end a given name: verbs, particles and markers that follow names.
_STOP = (
    "说讲称问反表提家的地得了和与及跟同在是于向对把被给为也都就还已要会来去到从等某师同学先女夫妇一户发吵打因没不很又再"
)
_GIVEN = f"(?![{_STOP}])[\u4e00-\u9fff]"
_NAME = f"(?P<sur>{_SURNAME})(?P<given>{_GIVEN}(?:{_GIVEN})?)"
_ROLE = (
    "学生|同学|新生|老生|研究生|本科生|毕业生|学员|居民|村民|群众|家长|租户|住户|业主|职工|员工|"
    "老人|患者|病人|户主|农户|商户|摊主|联系人|当事人|反映人|申请人|来访人|投诉人|孩子|儿子|女儿|"
    "母亲|父亲|丈夫|妻子|爷爷|奶奶|外婆|外公|困难户|低保户|五保户|留守儿童"
)
_AFTER = "反映|表示|说|称|提出|诉求|来电|来访|投诉|家|一家|夫妇|等人|的家长|的孩子|老人|本人|同志"

_RE_ID18 = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[0-9Xx](?![0-9A-Za-z])")
_RE_LONG = re.compile(r"(?<![0-9A-Za-z])\d{15,19}(?![0-9A-Za-z])")
_RE_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?![0-9])")
_RE_LANDLINE = re.compile(r"(?<![0-9])(0\d{2,3})[- ]\d{7,8}(?![0-9])")
_RE_LABELLED = re.compile(r"(电话|手机|联系方式|手机号|微信|QQ|qq|座机)(号码?)?([:：\s]*)([0-9A-Za-z_\-]{5,})")
_RE_ROLE_NAME = re.compile(f"(?P<pre>(?:{_ROLE})[:：是叫为]?){_NAME}")
_RE_LABEL_NAME = re.compile(f"(?P<pre>(?:姓名|名字|联系人)[:：]\\s*){_NAME}")
_RE_NAME_VERB = re.compile(f"{_NAME}(?=(?:{_AFTER}))")

# Surname-initial words that are not names, and titles after a surname (kept as they are).
_WORDS = frozenset(
    "马上 高层 高校 高中 高年级 周边 周围 周末 方面 方便 方案 于是 常常 常年 安全 路上 路面 时间 时候 文化 "
    "金额 江边 黄色 白天 石头 成本 成绩 任课 任务 向上 关于 全部 全体 全校 全村 明天 明年 龙头 林业 田间 "
    "程序 程度 万元 钱款 应该 应急 车辆 车位 水电 温度 温暖 康复 宁可 单独 单位 连续 商家 商店 商量 师生 "
    "和谐 宋体 余额 黎明 雷雨 包括 包干 邢台 孔洞 门口 左右 左边 上下 卫生 宫颈 古镇 简单 项目 景区 党员 "
    "党组 党支 费用 冷水 席位 米饭 柏油 宗教 池塘 查看 查询 麻烦 苑区 迟到 司机 管理 管道 柴油 蒙古 "
    "华中 华南 祁连 蒲公 房屋 房间 房租 屈指 饶有 解决 艾滋 尤其 阳台 阳光 时常 穆斯 农业 农村 司法 卓越 "
    "古城 吉祥 简易 车库 项目 麦田 褚色 娄底 窦性 戚属 岑溪 景色 宫廷 费心 卜卦 冷库 晏起 卫星 米面 "
    "柏林 宗旨 桂花 全家 全员 应当 边上 边缘 卞庄 姬妾 师傅 和平 仇视 商户 沙发 荣誉 巫山 寇准 桑树 "
    "郎中 甄别 丛林 仲裁 虞城 巩固 明白 明确 佘山 查处 麻将 苑内 全班 全院 全系 全年级 全宿舍 毕业 毕业班 "
    "应届 师范 路灯 路口 房东 房卡 门卫 程序员 钱包 水房 安保 金融 文科 文学 石油 江夏 洪山 武昌".split()
)
_TITLES = (
    "老师",
    "同学",
    "师傅",
    "阿姨",
    "大爷",
    "大妈",
    "大娘",
    "奶奶",
    "爷爷",
    "书记",
    "主任",
    "先生",
    "女士",
    "医生",
    "校长",
    "院长",
    "经理",
    "老板",
    "村长",
    "组长",
    "班长",
    "会计",
    "叔叔",
    "婶婶",
    "姐姐",
    "哥哥",
    "总",
    "工",
    "姐",
    "哥",
    "叔",
    "婶",
    "伯",
    "姨",
    "嫂",
    "某",
)

_RE_NAME_LIST = re.compile(f"{_NAME}(?=[、和与及][\u4e00-\u9fff]{{1,2}}某)")
_NAME2 = _NAME.replace("?P<sur>", "?P<sur2>").replace("?P<given>", "?P<given2>")
_RE_NAME_PAIR = re.compile(f"{_NAME}(?P<conj>[、和与及跟]){_NAME2}")
_RE_NAME_CLASSMATE = re.compile(f"{_NAME}(?=同学)")
_RE_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_RE_PLATE = re.compile(
    r"(?P<pre>[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z])[·•.\s]?[A-HJ-NP-Z0-9]{5,6}"
    r"(?![A-Za-z0-9])"
)
_RE_STUDENT_LABEL = re.compile(r"(学号|学籍号|工号|准考证号|考生号)([:：\s]*)([0-9A-Za-z]{4,})")
_RE_STUDENT_NO = re.compile(r"(?<![0-9A-Za-z])(?:19|20)\d{8,12}(?![0-9A-Za-z])")
_RE_CARD_GROUPS = re.compile(r"(?<![0-9])\d{4}(?:[ \-]\d{4}){3}(?:[ \-]?\d{1,3})?(?![0-9])")

ID_MASK = "（证件号已隐去）"
NUMBER_MASK = "（号码已隐去）"
EMAIL_MASK = "（邮箱已隐去）"


def _is_word(sur: str, given: str) -> bool:
    """True when surname + given name is an ordinary word or a title, not a name."""
    return sur + given in _WORDS or given.startswith(_TITLES) or sur + given[:1] in _WORDS


def _mask_name(m: re.Match[str]) -> str:
    sur, given = m.group("sur"), m.group("given")
    if _is_word(sur, given):
        return m.group(0)
    return (m.groupdict().get("pre") or "") + m.group("sur") + "某" * len(m.group("given"))


def _mask_pair(m: re.Match[str]) -> str:
    """冯小刚和李四 → 冯某某和李某, only when both sides look like names."""
    a, b = (m.group("sur"), m.group("given")), (m.group("sur2"), m.group("given2"))
    if _is_word(*a) or _is_word(*b):
        return m.group(0)
    return f"{a[0]}{'某' * len(a[1])}{m.group('conj')}{b[0]}{'某' * len(b[1])}"


def mask(text: str) -> str:
    """`text` with ID numbers, phone numbers and personal names of the people served masked."""
    text = _RE_EMAIL.sub(EMAIL_MASK, text)
    text = _RE_PLATE.sub(lambda m: m.group("pre") + "*****", text)
    text = mask_numbers(text)
    text = _RE_LABEL_NAME.sub(_mask_name, text)
    text = _RE_CARD_GROUPS.sub(NUMBER_MASK, text)
    text = _RE_LONG.sub(NUMBER_MASK, text)
    text = _RE_STUDENT_NO.sub(NUMBER_MASK, text)
    text = _RE_MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _RE_LANDLINE.sub(lambda m: f"{m.group(1)}-****", text)
    text = _RE_ROLE_NAME.sub(_mask_name, text)
    text = _RE_NAME_VERB.sub(_mask_name, text)
    text = _RE_NAME_CLASSMATE.sub(_mask_name, text)
    for _ in range(5):  # 冯小刚和李四, 张三、李四: pairs until none is left
        masked = _RE_NAME_PAIR.sub(_mask_pair, text)
        if masked == text:
            break
        text = masked
    for _ in range(5):  # 张三、李四反映: mask the earlier names of a list, last first
        masked = _RE_NAME_LIST.sub(_mask_name, text)
        if masked == text:
            break
        text = masked
    return text


def mask_numbers(text: str) -> str:
    """`text` with ID, student, card and phone numbers masked (names kept): the 台账's default."""
    text = _RE_STUDENT_LABEL.sub(lambda m: f"{m.group(1)}{m.group(2)}****", text)
    text = _RE_ID18.sub(ID_MASK, text)
    text = _RE_CARD_GROUPS.sub(NUMBER_MASK, text)
    text = _RE_LONG.sub(NUMBER_MASK, text)
    text = _RE_STUDENT_NO.sub(NUMBER_MASK, text)
    text = _RE_MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _RE_LANDLINE.sub(lambda m: f"{m.group(1)}-****", text)
    return _RE_LABELLED.sub(
        lambda m: f"{m.group(1)}{m.group(2) or ''}{m.group(3)}****" if "*" not in m.group(4) else m.group(0), text
    )
