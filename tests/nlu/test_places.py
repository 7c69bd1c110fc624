from datetime import date

import pytest

from handlers.nlu.places import detect_place, place_cues
from handlers.nlu.split import normalize


@pytest.mark.parametrize(
    ("text", "ptype", "place"),
    [
        ("今天去荷园5栋走访", "宿舍", "荷园5栋"),
        ("下午到松苑2栋、松苑3栋查寝", "宿舍", "松苑2栋、松苑3栋"),
        ("中午在三食堂共餐", "食堂", "三食堂"),
        ("在明德楼302听课", "课堂", "明德楼302"),
        ("去电气学院实训室看了看", "课堂", "电气学院实训室"),
        ("到光明村入户走访", "农户", "光明村"),
        ("去赵家庄入户走访，村口到小学那段路坑坑洼洼", "农户", "赵家庄"),  # a village named for a family
        ("去学生小赵家家访", "家庭", None),
        ("到青山职业技术学校走访", "学校", "青山职业技术学校"),
        ("到开发区一家电子公司调研", "企业", None),
        ("去恒通物流有限公司走访", "企业", "恒通物流有限公司"),
        ("在北门值守", "点位", "北门"),
        ("在政务服务中心坐窗口", "窗口", None),
        ("去阳光社区看望老人", "社区", "阳光社区"),
        ("去校医院走访", "其他", "校医院"),
        ("到图书馆二楼阅览室看了看", "其他", "图书馆"),
        # campus shorthand: 3教 is the third teaching block, 二食 the second canteen
        ("今天去了3教，投影仪坏了两台", "课堂", "3教"),
        ("下午在西区二食转了一圈 饭菜偏咸", "食堂", "西区二食"),
    ],
)
def test_detect_place(text, ptype, place):
    got_type, got_place = detect_place(text)
    assert got_type == ptype
    if place is None:
        assert got_place is None
    else:
        assert got_place is not None and place in got_place


@pytest.mark.parametrize(
    ("text", "profile", "ptype", "place"),
    [
        # an urban village and a residents' property office are neighbourhoods, not farms or windows
        ("下午到河湾城中村排查出租屋", "community", "社区", "河湾城中村"),
        ("到翠竹小区物业服务中心座谈", "community", "社区", "翠竹小区物业服务中心"),
        ("到东风社区党群服务中心看了看", "community", "社区", "东风社区党群服务中心"),
        # a community clinic is a clinic (其他), whatever 社区 in its name says
        ("去东风社区卫生服务中心走访", "community", "其他", "东风社区卫生服务中心"),
        # in a town a …苑 is a housing estate; on campus it is a dorm block
        ("下午去了趟丹桂苑看望独居老人", "community", "社区", "丹桂苑"),
        ("下午去了趟丹桂苑看望生病的同学", "campus", "宿舍", "丹桂苑"),
        # words after the place are not part of it: "跟着燃气公司" names 燃气公司
        ("今天跟着燃气公司入户安检", "community", "企业", "燃气公司"),
    ],
)
def test_what_kind_of_place_it_is(text, profile, ptype, place):
    got_type, got_place = detect_place(text, profile=profile)
    assert got_type == ptype
    assert got_place == place


# --- what the place is: the head noun of its name ----------------------------------------------


@pytest.mark.parametrize(
    "text, place_type, place",
    [
        ("今天到宏达纺织回访，老板说用工紧张", "企业", "宏达纺织"),
        ("周六去了蓝天光电看了下，厂里说订单不错", "企业", "蓝天光电"),
        ("东方生物 3.2 走访，企业反映蒸汽压力不稳", "企业", "东方生物"),
        # who the writer went with is not where they went
        ("今天跟着自来水公司入户查表，走了幸福新村12户，见到居民15人", "社区", "幸福新村"),
        ("在实验楼考场巡考，秩序正常", "点位", None),
        ("今天去了人才市场的春季招聘会，企业要的技工多", "点位", "人才市场的春季招聘会"),
        ("去了校企合作企业恒通机械 学徒班的同学说排班跟上课冲突", "企业", "恒通机械"),
        # an activity at a building is no building's name: 巡楼 is a dorm round here
        ("周三晚上跟宿管一起巡楼 桂园5栋一楼消防门被锁了", "宿舍", "桂园5栋"),
        ("寒假去竹山县看了两户困难学生家 一户房子漏雨", "家庭", None),
    ],
)
def test_place_type_by_head_noun(text, place_type, place):
    profile = "campus" if any(w in text for w in ("学徒", "宿管", "学生")) else "community"
    found_type, found_place = detect_place(normalize(text), profile=profile)
    assert found_type == place_type
    if place is not None:
        assert found_place == place


def test_a_trade_word_inside_other_words_names_no_firm():
    # 电子商务 / 食品经营许可证 are no firm names
    assert detect_place(normalize("今天去电子商务实训室听课"), profile="campus")[0] == "课堂"
    assert detect_place(normalize("今天走访美食街，老板们说办食品经营许可证要跑三趟"), profile="community")[1] is None


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("今天走访了城关镇向阳社区，见到几位居民", "向阳社区"),  # 向: a name's first character here
        ("下午去向阳社区看了看", "向阳社区"),
        ("今天在和平村入户走访", "和平村"),
        ("到阳光小区走访", "阳光小区"),  # 到阳 is no word: 到 is not part of the name
    ],
)
def test_a_place_name_may_begin_with_a_function_character(parser, text, place):
    visit = parser.parse(text, date(2026, 11, 20), "community").visit
    assert visit is not None and visit.place == place


# --- issue 9, held out: what the place is, whom the writer met, what was done there ------------


def _place(text: str, profile: str) -> tuple[str, str | None]:
    return detect_place(normalize(text), profile=profile)


@pytest.mark.parametrize(
    ("text", "profile", "ptype", "place"),
    [
        # the head of a place phrase is its last place noun; the name keeps the whole phrase
        ("今天在城关二小门口的护学岗值勤，接孩子的车停得很乱", "community", "点位", "城关二小门口的护学岗"),
        ("中午到光谷园四期工地防暑降温点位检查", "community", "点位", "光谷园四期工地防暑降温点位"),
        ("去了青山社区的苗木种植基地，老板说苗子卖不动", "community", "企业", "青山社区的苗木种植基地"),
        ("今天 去 李家湾村 养鸡场 看了下", "community", "企业", "李家湾村 养鸡场"),
        ("去了社区里的红星幼儿园，和两位老师聊了聊", "community", "学校", "红星幼儿园"),
        # a village's land and its clinic are no household
        ("周六去了石门村后山看偷倒的垃圾", "community", "其他", "石门村后山"),
        ("顺路去桃花村卫生室看了一下药柜", "community", "其他", "桃花村卫生室"),
        # two places joined by a verb are two places: the first is where the writer was
        ("在镇信访接待室接待了柳树村的两名村民", "community", "其他", "镇信访接待室"),
    ],
)
def test_the_head_of_a_place_phrase_is_its_last_place_noun(text, profile, ptype, place):
    assert _place(text, profile) == (ptype, place)


@pytest.mark.parametrize(
    ("text", "ptype"),
    [
        # staff housing is where staff families live
        ("到教工宿舍区看望了两户老教授，楼里没有电梯", "家庭"),
        ("今天去人才公寓走访，几位青年博士说厨房太小", "家庭"),
        ("到西区公寓看望了3位新来的外籍教师", "家庭"),
        ("看望了离休干部、退休教师陈老师，老人身体还好", "家庭"),
        # the same housing with students met is a dorm visit
        ("到西区公寓看望了3位生病的同学", "宿舍"),
    ],
)
def test_who_the_writer_met_decides(text, ptype):
    assert _place(text, "campus")[0] == ptype


@pytest.mark.parametrize(
    ("text", "profile", "ptype"),
    [
        ("今天去县福利院看望孩子们，护理员人手紧", "community", "其他"),
        ("到区残联康复中心陪两名残疾人做鉴定", "community", "其他"),
        ("到园区党群服务中心开了个企业座谈会", "community", "其他"),
        ("到桂花社区党群服务中心看了新装修的活动室", "community", "社区"),
        ("到长江社区就业服务站看了看，在推宝妈岗", "community", "社区"),
        ("今天在镇就业服务站坐窗口，来咨询的多是返乡的", "community", "窗口"),
        ("到镇粮站看秋粮收购，种粮大户说压价", "community", "企业"),
        ("今天去滨江新城二期工地排查欠薪", "community", "其他"),
        ("下午去化学实验中心和实验员座谈", "campus", "课堂"),
        ("去美院的陶艺工作室转了转，窑炉排烟不好", "campus", "课堂"),
        ("周六去了数控大赛集训室，学生练到晚上十点", "campus", "课堂"),
        ("到南漳县职教中心送教，学生基础薄", "campus", "学校"),
        ("到房县一中宣讲招生政策", "campus", "学校"),
        ("昨晚参加了会计2402班的班会，同学们说评优不透明", "campus", "课堂"),
        ("到酒店专业的校外实训基地看了看实习的学生", "campus", "企业"),
        ("在老街的李记面馆和老板聊了聊，围挡影响生意", "community", "企业"),
        ("到新华商场走访，店员说节日加班没有加班费", "community", "企业"),
        ("今天去财务处报账，顺便体验一下报销流程", "campus", "窗口"),
    ],
)
def test_institutions_and_workplaces_by_their_head_noun(text, profile, ptype):
    assert _place(text, profile)[0] == ptype


@pytest.mark.parametrize(
    ("text", "profile", "ptype"),
    [
        ("30号在柳树村防汛值守，水位平稳", "community", "点位"),  # a post in a village
        ("今天沿着江堤巡查防汛，水位平稳", "community", "点位"),  # a flood watch names no site
        ("下午去了翠湖花园，几位业主说车库漏水", "community", "社区"),  # an estate is named …花园 too
        ("去桂园看了看，留校的同学说空调坏了", "campus", "宿舍"),  # a campus quarter named for a plant
        ("上午在临江社区，反诈宣传点位摆了个摊", "community", "点位"),
        ("到城北的长青社区走访，走了4户菜农，都说大棚减产", "community", "农户"),  # who was met
        ("今天网格巡查，8栋三单元楼道里堆了杂物", "community", "社区"),  # a town's block is no dorm
        ("周三晚上去了竹园8栋，两个寝室在用大功率电器", "campus", "宿舍"),
        ("晚自习去教五楼巡了巡，几间教室灯管闪", "campus", "课堂"),
        ("去看了老校区的翠柏楼，住在这栋的同学说下雨跳闸", "campus", "宿舍"),
        # the people a place houses are not where they were met
        ("中午约了竹园3栋4个寝室长在二食堂一起吃饭", "campus", "食堂"),
        # a place only in what others said is no place visited
        ("今天去学生小吴家走访，家长主要担心复学以后住回宿舍不适应", "campus", "家庭"),
        # the writer's own going, even after what others said, is where the visit was
        ("上周有村民打电话说村卫生室的药过期了，我周日顺路去青石村卫生室看了看", "community", "其他"),
        ("居民在留言板说路灯坏了半个月，今晚我和城管去现场看了", "community", "其他"),
        # sending or taking someone elsewhere is not going there
        ("下午去竹园6栋看了几个考研的同学，有个同学失眠，我让他明天去心理中心看看", "campus", "宿舍"),
    ],
)
def test_what_was_done_and_who_was_met_there(text, profile, ptype):
    assert _place(text, profile)[0] == ptype


@pytest.mark.parametrize(
    ("text", "profile", "ptype"),
    [
        # households gone through, whoever lives there: fishers, herders, farmers
        ("昨天坐船去了海岛，走访了5户渔民，渔民说：码头那边的冷库坏了", "community", "农户"),
        ("周二跟兽医站的同志去牧区走了3户，牧民家里的羊圈漏风", "community", "农户"),
        # a place only in what others said is no visit's place when the writer's words say where
        # they went (「…渔民说：…码头冷库…」 is not a visit to a cold store)
        ("上午入户走访，村民反映：村卫生室周末没人", "community", "农户"),
        # a college's training workshop is a classroom; a class at a partner school is the school
        ("下午去焊接实训车间看了看，学员说排风扇坏了", "campus", "课堂"),
        ("周四去附属实验小学听课，见习生说备课时间不够", "campus", "学校"),
        # a title names no place
        ("今天听了208教室的《小学语文教学法》课，投影仪看不清", "campus", "课堂"),
    ],
)
def test_households_workshops_partner_schools_and_titles(text, profile, ptype):
    assert _place(text, profile)[0] == ptype


@pytest.mark.parametrize(
    ("text", "profile", "place"),
    [
        ("在实验楼值班室坐了一晚上", "campus", "实验楼值班室"),  # 值班 is the room's name here
        ("康宁小区5栋楼上空调滴水，两家吵到社区来了，上门调解", "community", "康宁小区"),
        ("今天跟街道一起去青龙山高新区光谷园三期工地讨薪", "community", "青龙山高新区光谷园三期工地"),
        ("下午去了机械系，老师们说作弊多，建议考场装屏蔽仪", "campus", None),
        ("今天去学生小吴家走访，家长主要担心复学以后住回宿舍不适应", "campus", None),
        ("到安远县龙布镇学生小陈家家访，家里四口人", "campus", "安远县"),
        ("今天跟实训中心主任一起检查电工实训室的灭火器", "campus", "电工实训室"),
        ("今天在学生事务大厅坐了半天窗口，来了十几个同学", "campus", "学生事务大厅"),
        ("昨天中午在学生食堂跟几个同学吃饭", "campus", "学生食堂"),
        ("走访了县里的某职教中心，老师说课程重复", "campus", None),
        ("清明在北山公墓交通疏导点值守了三天", "community", "北山公墓交通疏导点"),
        ("下午去了趟丁香苑，王奶奶说前几天在小区门口被骗了", "community", "丁香苑"),  # 去了趟: gone to
        ("今天去看了槐树巷的李爷爷，一个人住", "community", "槐树巷"),
        ("今晚在开放大学城西教学点听了一节面授课，学员说教材没发", "campus", "开放大学城西教学点"),
        ("周二跟兽医站的同志去乌兰牧民定居点走访，走了3户", "community", "乌兰牧民定居点"),
    ],
)
def test_the_place_name_is_the_place_written(text, profile, place):
    got = _place(text, profile)[1]
    if place is None:
        assert got is None
    else:
        assert got is not None and place in got


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("本周一在大学生就业指导中心坐窗口，接待毕业生", "大学生就业指导中心"),  # 就业 is a word here
        ("上周五到和谐里小区走访", "和谐里小区"),  # …里 names a city block
        ("今天在县信访接待中心值了一天班", "县信访接待中心"),  # 信访 is no going word
    ],
)
def test_a_name_runs_through_words_that_hold_a_function_character(parser, text, place):
    visit = parser.parse(text, date(2026, 11, 20), "campus").visit
    assert visit is not None and visit.place is not None and place in visit.place


def test_a_counted_site_names_no_particular_one(parser):
    visit = parser.parse("今天去辖区3个在建工地转了转", date(2026, 11, 20), "community").visit
    assert visit is not None and visit.place is None


def test_place_cues_name_what_was_done_and_whom_the_writer_met():
    cues = place_cues(normalize("今天到人才公寓看望了2位外籍教师，他们反映厨房太小"))
    assert {"staff", "who:教师"} <= cues
    assert "act:窗口" in place_cues(normalize("在政务服务中心坐窗口走流程"))
    # what others said is not what the writer did
    assert "act:课堂" not in place_cues(normalize("去老年活动中心讲反诈，老人说楼下天天有人让去听课"))


@pytest.mark.parametrize("text", ["三教室的灯坏了", "老师一教就会", "隔壁二食品厂排污"])
def test_shorthand_needs_a_going_or_pause_and_no_longer_word(text):
    from handlers.nlu.places import find_places

    assert not [p for p in find_places(text) if p.name in ("三教", "一教", "二食")]


def test_people_counted_by_their_work_are_no_place():
    from handlers.nlu.places import find_places

    assert not [p for p in find_places("和企业负责人、2名车间主任座谈") if "车间" in p.name]


@pytest.mark.parametrize(
    ("text", "place"),
    [("昨晚去杏林苑6栋查寝，楼道灯不亮", "杏林苑6栋"), ("周三到留学生集中住的博学苑15栋看了看", "博学苑15栋")],
)
def test_a_dorm_quarters_two_character_name_stays_whole(parser, text, place):
    """「杏林苑6栋」, not 「林苑6栋」: the character before 苑/园 joins when the two make a word."""
    assert parser.parse(text, date(2026, 11, 20), "campus").visit.place == place
