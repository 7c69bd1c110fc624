"""Issue 9's rule families through the real parser with the learned models: intents that never do
harm, whole items, people and places as language."""

from __future__ import annotations

import pytest

from tests.nlu.conftest import TODAY


@pytest.mark.parametrize(
    "text",
    [
        "按劳动保障监察条例第29条，已解决部分拖欠工资，但还有11名工人的工钱没结",  # an article number
        "302宿舍的灯已经修好了",  # a room number
        "2025年的问题已经解决了",  # a year
        "3栋的热水器已经换好了",  # a building
        "走访了12个寝室，问题都解决了",  # a count
        "上个月反映的15个问题已经处理完了",
        "9号楼的热水已经解决了",  # a building
        "20号宿舍的网络好了",  # a dorm room
        "15号那天食堂的事已经处理了",  # a day of the month
        "14号上午去了食堂，排队问题已解决",
        "302 已解决",  # a bare number with 解决 may be a room
        "2026 已办结 12项",  # a year
        "今年全镇已解决群众诉求218件，还有一部分在办",  # a count after 诉求
        "这个月问题3个已经处理完了",
        "问题14个已经办结了",  # the bot's own closing word after a count
    ],
)
def test_numbers_that_name_no_item_never_resolve(parser, text):
    from handlers.commands import parse_command

    assert parser.parse(text, TODAY).intent != "resolve"
    command = parse_command(text, parser.categories("campus"), TODAY)
    assert command is None or command.name != "resolve"


@pytest.mark.parametrize(
    "text, ref",
    [
        ("12号问题已解决，换了新热水器", 12),
        ("第12个问题已经办结", 12),
        ("编号12 已处理", 12),
        ("#12 修好了", 12),
        ("三十六号问题已经解决了", 36),
        ("9号问题洗衣机已经换新的了", 9),
        ("那个17号的灯已经修好了", 17),
        ("64 已办结 换了新的", 64),  # a bare number and the bot's own closing word
    ],
)
def test_item_numbers_in_done_wording_resolve(parser, text, ref):
    p = parser.parse(text, TODAY)
    assert (p.intent, p.resolve_ref) == ("resolve", ref)


@pytest.mark.parametrize(
    "text",
    [
        "我还有哪些没办",
        "这个月食堂的问题",
        "各单位走访情况怎么样",
        "本月各学院走访完成情况",
        "张老师本月走访了几次",
        "计算机学院逾期问题",
        "张老师负责的宿舍问题",
        "计算机学院本月走访",
        "上月各单位走访",  # terse leader questions: a period and/or every unit, a rate
        "各学院走访完成率",
        "走访完成率",
        "本周各村的走访情况",
        "哪个学院走访最少",  # who went least, who has not gone
        "谁还没走访",
        "学院里谁还没下去",
        "各单位本周走访谁没去",
        "走访率",
        "各单位走访率",
    ],
)
def test_queries_in_any_wording_are_queries(parser, text):
    assert parser.parse(text, TODAY).intent == "query"


@pytest.mark.parametrize("text", ["本月去各宿舍走访", "各位老师本月走访要抓紧"])
def test_visits_to_every_place_or_urged_on_everyone_are_no_question(parser, text):
    assert parser.parse(text, TODAY).intent != "query"


@pytest.mark.parametrize(
    "text",
    [
        "下周三我再去荷园5栋回访",  # a plan
        "明天上午开会，请准时参加",  # a notice
        "刚才那条发错了，不用记录",  # a correction of one's own message
        "这个机器人怎么用",  # a usage question
    ],
)
def test_plans_notices_and_corrections_are_other(parser, text):
    assert parser.parse(text, TODAY).intent == "other"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("中午在二食堂和同学们一起吃饭，同学说下周要期中考试，晚上自习室不够用", "visit"),
        ("学生说下个月要考四级，图书馆座位不够", "issue"),
        ("我说明天再去看看", "other"),  # the writer's own 说 keeps the plan theirs
    ],
)
def test_a_future_time_in_reported_words_is_no_plan_of_the_writer(parser, text, intent):
    assert parser.parse(text, TODAY).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # where one runs a business is no going: a citizen's own complaint
        ("我在物流园经营一家小公司，员工15人。园区承诺的房租减半一直不兑现", "issue"),
        ("我在老街开了一家面馆，员工5人，门口天天堵车", "issue"),
        ("我在学校门口开了个小饭馆，员工3人，城管不让在门口摆桌子", "issue"),
        ("今天在二食堂开了个座谈会，学生说菜太咸", "visit"),  # a meeting held there is a going
        # a report's heading 「…走访：」 is the writer's visit, whoever it was about
        ("暑期留校学生走访：到竹园3栋看了看，6名同学，都挺好", "visit"),
    ],
)
def test_a_business_one_runs_is_no_going_and_a_heading_is_a_visit(parser, text, intent):
    assert parser.parse(text, TODAY, "community").intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "转一条家长在群里的话：“食堂的饭菜越来越好了，谢谢！”这条不用记录",
        "有位大爷问社区老年大学什么时候开学，我已经回复他了，就不单独记了",
        "居民打电话说楼下的井盖已经盖好了，告诉我一声，不用转办",
    ],
)
def test_a_message_that_asks_not_to_be_recorded_records_nothing(parser, text):
    p = parser.parse(text, TODAY, "community")
    assert p.intent == "other" and p.items == ()


@pytest.mark.parametrize(
    ("text", "went"),
    [
        ("今天下午去了梧桐苑看望独居老人", True),
        ("上午在二食堂和学生共餐", True),
        ("昨天晚上到荷园3栋查寝", True),
        ("食堂早餐七点半就收了，早上根本来不及吃", False),  # a meal named inside a complaint
        ("教学楼厕所又停水了，学生说要去别的楼上", False),  # someone else's going, after 说
        ("电梯上周修好了，今天又坏了", False),
        ("刚从医务室回来，流感的学生特别多", True),
        ("上午在街道社保窗口帮忙，来办事的人很多", True),
        ("去校医院看了，晚上没医生", True),
        ("今天在群里看到有人说路灯坏了", False),  # being in a chat group is going nowhere
        ("卫生院晚上没有值班医生", False),  # a negated duty is nobody's going
        ("楼下烧烤店每天从下午四点到凌晨两点都开着", False),  # 到 a time of day is "until"
        ("从早上八点到十点在食堂值守", True),
        ("前天晚上又有个骑摩托的摔到坎下去了", False),  # 摔到 tells where he fell
    ],
)
def test_the_writers_own_going_is_told_by_visit_verbs(text, went):
    from handlers.nlu.intent import went as writer_went

    assert writer_went(text) is went


@pytest.mark.parametrize(
    "text",
    [
        "转一个12345的单子：小区门口的路灯坏了一个月了",
        "学生会收集上来的：图书馆三楼的空调一直不制冷",
        "一位老师在接待日留的书面材料：孩子入学的事希望学校协调",
        "转家长群里的一条：校车每天晚到二十分钟",  # 转 + where it came from
        "收到一封居民来信，写信的是东苑小区的老住户：楼道灯坏了半年",  # the sender described first
        "同学们在年级群里问的，转教务处：补考时间和实习冲突",
    ],
)
def test_relay_lead_ins_hand_over_someone_elses_words(text):
    from handlers.nlu.intent import relay_end

    assert text[relay_end(text) - 1] == "："


@pytest.mark.parametrize(
    "text",
    [
        "请问上周的走访可以补录吗",
        "能不能修改昨天发的那条记录",
        "寒假期间还要每周报走访吗？",
        "怎么删除发错的问题",
        "下周三计划去东村几户看看，有一起的吗",  # a plan, not a question about records
    ],
)
def test_questions_about_using_the_bot_are_no_record_queries(parser, text):
    assert parser.parse(text, TODAY).intent == "other"


def test_a_result_told_is_no_question(parser):
    assert parser.parse("302宿舍的热水器已解决了", TODAY).intent != "query"
    assert parser.parse("本月已解决", TODAY).intent == "query"


def test_a_relayed_letter_is_one_issue_in_the_complainants_voice(parser):
    text = (
        "转一位家长在校长信箱的留言：我儿子住在松园2栋一楼，宿舍常年潮湿，墙皮一块块往下掉，墙角全是黑霉，"
        "衣服晾三天都不干，被子也是潮的。孩子已经咳嗽一个多月了，我去学校看过两次，希望学校能给换个楼层。"
    )
    p = parser.parse(text, TODAY)
    assert p.intent == "issue" and p.visit is None
    assert len(p.items) == 1 and p.items[0].category == "宿舍"
    assert "潮湿" in p.items[0].text and not p.items[0].text.startswith("转")


def test_a_relayed_letter_keeps_its_main_complaint(parser):
    p = parser.parse(
        "转一封学生写给校长信箱的信：校长您好，我今天去了二食堂吃饭，发现饭菜里有头发，"
        "而且服务员态度很差，希望学校重视。",
        TODAY,
    )
    assert p.intent == "issue" and len(p.items) == 1
    assert "头发" in p.items[0].text and p.items[0].category == "食堂"


def test_spaces_used_as_punctuation_keep_problems_apart(parser):
    p = parser.parse("刚从竹园7栋回来跟十来个学生聊了聊 热水还是不稳定 然后有人说门禁老坏 还有楼下自行车棚漏雨", TODAY)
    texts = [i.text for i in p.items]
    assert any("门禁" in t for t in texts) and any("漏雨" in t for t in texts)
    assert not any("门禁" in t and "热水" in t for t in texts)


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("快递驿 站太远", "快递驿站太远"),  # a typo space inside a word goes
        ("黑板反光看不清 空调不制热", "黑板反光看不清 空调不制热"),  # 看不清 | 空调 are words, 清空 or not
    ],
)
def test_a_space_between_two_words_stays(parser, raw, want):
    from handlers.nlu.split import normalize

    assert normalize(raw, parser._is_word) == want


def test_a_subject_line_is_one_item(parser):
    p = parser.parse("工单标题：青山路17号小区自来水发黄有异味", TODAY, "community")
    assert p.intent == "issue"
    assert [(i.category, i.text) for i in p.items] == [("基础设施", "青山路17号小区自来水发黄有异味")]


def test_a_numbered_list_gives_one_item_per_point(parser):
    p = parser.parse("1. 热水不稳 2. 网络卡 3. 楼道灯坏了", TODAY)
    assert [i.text for i in p.items] == ["热水不稳", "网络卡", "楼道灯坏了"]


@pytest.mark.parametrize("text, key", [("菜里吃出头发了!!!", "头发"), ("同学食物中毒，上吐下泻", "食物中毒")])
def test_terse_and_emotional_problems_are_items(parser, text, key):
    p = parser.parse(text, TODAY)
    assert p.intent == "issue" and len(p.items) == 1 and key in p.items[0].text


def test_an_item_is_the_problem_without_the_visit_story(parser):
    p = parser.parse("今天晚上去了梅园三栋跟十二个同学聊了一下主要是说热水时有时无，晚上网络很卡", TODAY)
    assert p.visit is not None and p.visit.people == 12 and p.visit.place == "梅园三栋"
    assert [i.text for i in p.items] == ["热水时有时无", "晚上网络很卡"]


@pytest.mark.parametrize(
    "text, people",
    [
        ("今天去梅园3栋和十五个学生聊了聊，热水不稳定", 15),
        ("本周一在男生4栋跟12个寝室长座谈，阳台排水管堵了", 12),
        ("今天上午去数控实训室看技能大赛集训 四个参赛选手都在练", 4),
        ("今天到2栋看了看寒假留校的学生 一共11个 集中住在三楼", 11),
        ("走访6户，见到村民9人", 9),
        ("今天去了桂花巷，赵爷爷九十一了一个人住", None),  # alone, not a count of people met
        ("走访松园1栋，有两个学生反映热水不稳", None),  # people heard about
    ],
)
def test_people_met_as_numeral_classifier_and_person_word(parser, text, people):
    p = parser.parse(text, TODAY)
    assert p.visit is not None and p.visit.people == people


@pytest.mark.parametrize(
    "text, place_type",
    [
        ("清明前在桂花村防火卡口值守，进山的车很多", "点位"),  # the post inside the village
        ("上周三晚上去了辖区一个快递公司的员工宿舍，空调坏了没人修", "宿舍"),
        ("今天到新港社区困难职工小张家里慰问", "家庭"),
        ("今天去杨家垸村走访了3户村民", "农户"),
    ],
)
def test_place_type_is_what_the_place_is(parser, text, place_type):
    profile = "campus" if "宿舍" in text else "community"
    p = parser.parse(text, TODAY, profile)
    assert p.visit is not None and p.visit.place_type == place_type


@pytest.mark.parametrize(
    "visit_place, point, named",
    [
        ("梅园三栋", "梅园3栋", True),
        ("东区梅园 三 栋", "梅园3栋", True),
        ("梅园３栋", "梅园3栋", True),
        ("梅园十二栋", "梅园12栋", True),
        ("东区13号楼", "3号楼", False),
        ("梅园3栋", "梅园13栋", False),
    ],
)
def test_a_visit_names_a_point_whatever_the_numerals(visit_place, point, named):
    from handlers.nlu.places import names_place

    assert names_place(visit_place, point) is named


def test_from_one_place_to_another_is_a_route_not_a_going():
    from handlers.nlu.intent import has_visit

    assert not has_visit("美院到新画室那段路 坑坑洼洼的 下雨全是水坑", False)
    assert has_visit("下午到新画室看了看", False)


@pytest.mark.parametrize(
    ("text", "dated", "went"),
    [
        # a place standing alone at the head of a log line is where the writer was
        ("3.30 兰苑2栋 热水又不热了", True, True),
        ("桂园5栋302 两个人 空调漏水", False, True),
        # a place that is the subject of what happened there is no heading
        ("今天下午实验楼三楼冒烟了 烟感没响", True, False),
        ("暑期小学期还有不少学生在 今天全校又停水了", True, False),
        ("东苑2号电梯上周修好了，结果今天又坏了", True, False),
        # a day, then where the writer was: 「周三在…」, 「5号在…」, 「今天还在…」, dialect 克 = 去
        ("上周三在图书馆自习室看了看 插座不够用", True, True),
        ("5号在社区服务窗口跟班，群众说排队太久", True, True),
        ("今天周日还在办公室值班 小王跑来找我说寝室吵", True, True),
        ("昨天克张湾村转了一哈，路灯不亮", True, True),
        # 克扣 is never a going; 去哪 asks, nobody goes; 「转给您看看」 asks the reader to look
        ("工资被克扣村里也不管", False, False),
        ("学生问我档案去哪了 查不到", False, False),
        ("群里的吐槽转给您看看：食堂太贵", False, False),
        # someone else's going is not the writer's; a meeting is still one the writer sat in
        ("学生每天过马路去东区宿舍都很危险", False, False),
        ("我们小区有两个穿工作服的人挨家挨户敲门推销", False, False),
        ("家里就靠我种二亩地，希望领导来我家看看", False, False),  # a wish, not a going
        ("学生座谈会上大家说选课系统老崩", False, True),
        # 直到 is until; where one works is no going
        ("他摔了一跤，直到第二天早上送牛奶的才发现", False, False),
    ],
)
def test_a_going_is_the_writers_and_a_heading_stands_alone(text, dated, went):
    from handlers.nlu.intent import has_visit

    assert has_visit(text, dated) is went


@pytest.mark.parametrize(
    "text",
    [
        "我今天去人社局办理失业登记，窗口说我材料不全让我回去，已经跑了三趟了",
        "昨天我去区医院看病，挂号排了两个小时，医生五分钟就打发了",
    ],
)
def test_a_citizens_own_errand_is_an_issue_not_a_visit(parser, text):
    assert parser.parse(text, TODAY, "community").intent == "issue"


def test_a_cadre_trying_the_service_is_still_a_visit(parser):
    text = "今天去政务中心坐窗口体验办理流程，群众排队要一个多小时"
    assert parser.parse(text, TODAY, "community").intent == "visit"


def test_a_place_and_the_people_met_make_a_visit_log(parser):
    p = parser.parse("梅园3栋 5人 热水又没了", TODAY)
    assert p.intent == "visit" and p.visit is not None and p.visit.people == 5
    assert parser.parse("梅园3栋的热水又没了", TODAY).intent == "issue"


def test_working_somewhere_is_no_going():
    from handlers.nlu.intent import went

    assert not went("我在外地工作每月只能回来一次")
    assert went("我今天在三食堂吃的午饭")


@pytest.mark.parametrize(("text", "intent"), [("要求解决孩子就近入学问题", "issue"), ("工资问题", "query")])
def test_a_demand_to_solve_is_a_subject_line_not_a_search(parser, text, intent):
    assert parser.parse(text, TODAY, "community").intent == intent
