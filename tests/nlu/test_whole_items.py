"""Whole items: one complaint told at length stays one item; marked further points split.

Invented sentences, one rule family per test group (see handlers/nlu/split.py)."""

import pytest

from handlers.nlu.split import ENUM, STRONG, WEAK, Clause, normalize, promote_points, segment

from .conftest import TODAY


def texts(parsed):
    return [i.text for i in parsed.items]


@pytest.fixture
def rules_only_clauses(parser):
    """The cue kind of a clause on its own (the rules, without the clause model)."""

    def kind(clause: str) -> str:
        clauses, _, _ = parser.clauses(clause, parser.taxonomies["campus"], learned=False)
        assert len(clauses) == 1
        return clauses[0].kind

    return kind


# --- one voice: a writer's own complaint, however many sentences, is one item -------------------


def test_own_complaint_over_several_sentences_is_one_item(parser):
    text = (
        "我家住在幸福巷5号楼，楼下的洗车店每天早上六点就开始冲水。水流得满路都是，冬天结冰老人摔倒过。"
        "我找过物业好几次，都说管不了。希望有关部门来看看。"
    )
    p = parser.parse(text, TODAY, "community")
    assert p.intent == "issue"
    assert texts(p) == [text.rstrip("。")]


def test_own_complaint_with_a_marked_further_point_splits(parser):
    p = parser.parse("我孩子在二小上学，校门口早上车特别乱。另外学校食堂的饭菜太贵了。", TODAY)
    assert texts(p) == ["我孩子在二小上学，校门口早上车特别乱", "学校食堂的饭菜太贵了"]


@pytest.mark.parametrize(
    "text",
    [
        # 俺/咱 speak for the writer as 我 does
        "俺家住在河东村，俺村那口井的水一天就来两个钟头，还是浑的。村里说是管子老了。俺们这大热天的咋弄。",
        # 而且 piles onto the same complaint; 还有 inside a sentence goes on with the story; hearsay
        "我每天坐19路上班，原来十分钟一班，现在半小时一班，而且经常晚点。上周还有人挤不上去迟到了。也有人说要撤线。",
    ],
)
def test_own_voice_in_any_person_word_and_no_further_point_is_one_item(parser, text):
    p = parser.parse(text, TODAY, "community")
    assert p.intent == "issue" and len(p.items) == 1


@pytest.mark.parametrize("plea", ["麻烦相关部门管一管", "希望学校能统筹考虑", "恳请领导尽快解决"])
def test_a_plea_that_names_nothing_is_no_item_of_its_own(parser, plea):
    p = parser.parse(f"今天去梅园3栋走访，澡堂的水龙头坏了一半。图书馆晚上十点就闭馆。{plea}！", TODAY)
    assert len(p.items) == 2 and texts(p)[0] == "澡堂的水龙头坏了一半"
    assert texts(p)[1].startswith("图书馆晚上十点就闭馆") and plea not in texts(p)


def test_a_plea_that_names_its_own_thing_is_kept(parser):
    p = parser.parse("今天去梅园3栋走访。麻烦学校多搞点文体活动。", TODAY)
    assert any("多搞点文体活动" in t for t in texts(p))


def test_what_others_told_the_writer_is_not_their_own_voice(parser):
    # "跟我说": the writer passes on other people's points, each its own item
    p = parser.parse("几个同学跟我说，自习室空调坏了。图书馆晚上闭馆太早。", TODAY)
    assert texts(p) == ["自习室空调坏了", "图书馆晚上闭馆太早"]


# --- lists: glued ordinals, announced lists, points without a problem word, section titles ------


def test_ordinals_told_without_a_pause_are_points(parser):
    p = parser.parse("村民反映一是村口的路灯坏了好几盏二是垃圾池满了没人清三是想问问医保怎么交", TODAY, "community")
    assert texts(p) == ["村口的路灯坏了好几盏", "垃圾池满了没人清", "想问问医保怎么交"]


def test_a_list_announced_as_problems_keeps_points_without_a_problem_word(parser):
    # 问题如下：the writer calls every point a problem, though none uses a problem word
    text = "今天下午开了学生座谈会，汇总问题如下：（一）个别老师上课照着课件念；（二）晚上的专业课排到九点以后；（三）选修课考核就是交一篇报告。"
    assert texts(parser.parse(text, TODAY)) == [
        "个别老师上课照着课件念",
        "晚上的专业课排到九点以后",
        "选修课考核就是交一篇报告",
    ]


def test_an_ordinal_number_inside_a_point_cuts_nothing(parser):
    # 第一年 is "the first year", not a point 第一
    p = parser.parse("新来的老师反映：一是周转房只能住三年；二是安家费分三年发放，第一年到手的少。", TODAY)
    assert texts(p) == ["周转房只能住三年", "安家费分三年发放，第一年到手的少"]
    assert [c.enumerated for c in segment("第一，宿舍热水不稳；第二，网络卡")] == [True, True]


def test_a_lone_yi_shi_is_no_list(parser):
    # "唯一是" and a 一是 with no 二是 after it cut nothing
    p = parser.parse("学生反映唯一是热水不稳定的问题，晚上洗澡经常凉", TODAY)
    assert texts(p) == ["唯一是热水不稳定的问题，晚上洗澡经常凉"]


def test_the_sentences_after_an_announced_list_are_its_points(parser):
    text = "今天到石桥村开了院坝会，村民提了几个事：村里的老祠堂年久失修；小学的校舍空了好几年；晚上有外地车来偷狗。"
    p = parser.parse(text, TODAY, "community")
    assert texts(p) == ["村里的老祠堂年久失修", "小学的校舍空了好几年", "晚上有外地车来偷狗"]


def test_what_a_reporter_raised_in_semicolon_stretches_is_one_item_per_stretch(parser):
    # after 反映：each stretch up to a semicolon is a point, though 值班 reads like a visit word
    text = (
        "今天去松园5栋走访，老师们反映：值班室只有一张折叠床，晚上休息不好；每人带的学生超过三百人；评职称的名额太少。"
    )
    assert texts(parser.parse(text, TODAY)) == [
        "值班室只有一张折叠床，晚上休息不好",
        "每人带的学生超过三百人",
        "评职称的名额太少",
    ]
    tax = parser.taxonomies["campus"]
    clauses, _, _ = parser.clauses(normalize(text), tax)
    assert [c.text for c in clauses if c.enumerated] == [
        "值班室只有一张折叠床",
        "每人带的学生超过三百人",
        "评职称的名额太少",
    ]


def test_a_reporter_colon_with_one_stretch_marks_no_points(parser):
    clauses, _, _ = parser.clauses("老师们反映：值班室只有一张折叠床，晚上休息不好。", parser.taxonomies["campus"])
    assert not any(c.enumerated for c in clauses)


def test_an_announced_list_has_as_many_points_as_it_announces(parser):
    # 两块 (two things): the sentence after the second point is no point; 投诉 names the points
    text = "今天在社区约谈了物业，居民的投诉主要是两块：单元门的门禁坏了。垃圾清运不及时。物业经理表示会尽快整改。"
    assert texts(parser.parse(text, TODAY, "community")) == ["单元门的门禁坏了", "垃圾清运不及时"]
    clauses, _, _ = parser.clauses(normalize(text), parser.taxonomies["community"])
    assert [c.text for c in clauses if c.enumerated] == ["单元门的门禁坏了", "垃圾清运不及时"]


@pytest.mark.parametrize("again", ["还说", "也提到", "另外说"])
def test_what_people_said_again_is_a_further_point(parser, again):
    # no problem word in 快递点要走二十分钟: that they said it again makes it a point they raised
    p = parser.parse(f"今天去竹园3栋，学生反映热水不稳定 {again}快递点要走二十分钟", TODAY)
    assert texts(p) == ["热水不稳定", "快递点要走二十分钟"]


def test_a_plain_said_is_no_further_point_by_itself(parser):
    clauses, _, _ = parser.clauses(
        "学生反映热水不稳定 他说快递点要走二十分钟", parser.taxonomies["campus"], learned=False
    )
    assert [c.kind for c in clauses] == ["P", "N"]


def _clause(text: str, kind: str, opener: int, enumerated: bool = False, start: int = 0) -> Clause:
    return Clause(start, start + len(text), opener, text, kind, content_start=start, enumerated=enumerated)


def test_a_point_is_stated_by_any_of_its_clauses():
    # 1、想搞光伏，问政策 (a request in its second clause) 2、路灯不亮 3、狗不拴，咬伤了学生
    clauses = [
        _clause("村里想搞个光伏", "N", ENUM, True),
        _clause("问政策", "R", WEAK),
        _clause("路灯不亮", "P", ENUM, True),
        _clause("有户人家的狗不拴", "N", ENUM, True),
        _clause("咬伤了过路的学生", "N", WEAK),
    ]
    promote_points(clauses)
    assert [c.kind for c in clauses] == ["P", "R", "P", "P", "N"]


def test_a_section_title_is_no_point():
    clauses = [
        _clause("（一）基本情况", "N", STRONG, True),
        _clause("本月走访困难群众12户", "V", STRONG),
        _clause("（二）主要诉求", "P", STRONG, True),
        _clause("一是取暖费负担重", "P", STRONG, True),
        _clause("二是报销手续麻烦", "P", ENUM, True),
    ]
    promote_points(clauses)
    assert [c.kind for c in clauses] == ["N", "V", "N", "P", "P"]


def test_a_list_of_mostly_non_problems_is_left_alone():
    clauses = [
        _clause("1.今天去了三个村", "N", ENUM, True),
        _clause("2.见了十个人", "N", ENUM, True),
        _clause("3.路灯不亮", "P", ENUM, True),
    ]
    promote_points(clauses)
    assert [c.kind for c in clauses] == ["N", "N", "P"]


# --- problems told without a listed problem word: grammar, not vocabulary ----------------------


@pytest.mark.parametrize(
    "clause",
    [
        "卡口的栏杆太矮了拦不住车",  # V不住: cannot hold
        "那几个娃儿成绩差得很",  # a bad quality and its degree after it
        "屋里挤得要命",
        "他家的低保今年被取消了",  # suffered, passive
        "申请交上去又被退回了",
    ],
)
def test_problem_grammar(parser, clause):
    assert parser.cues.problem.search(clause)


@pytest.mark.parametrize("clause", ["大家都住在村里", "孩子们玩得很开心", "这个名额被他拿到了"])
def test_no_problem_without_the_grammar(parser, clause):
    assert not parser.cues.problem.search(clause)


def test_a_reporter_announcing_a_list_is_no_item(parser):
    # "反映了几个情况：" announces the points; it is no problem of its own
    text = "今天去了松柏苑 宿管阿姨反映了几个情况：晚上十二点以后还有学生翻门回来 劝也不听 还有五楼有个寝室往楼下扔垃圾"
    p = parser.parse(text, TODAY)
    assert texts(p) == ["晚上十二点以后还有学生翻门回来 劝也不听", "五楼有个寝室往楼下扔垃圾"]


@pytest.mark.parametrize(
    "lead",
    ["同学们主要反映以下情况：", "发现如下问题：", "存在以下几个问题：", "大家提出下面几点意见："],
)
def test_a_lead_in_announcing_the_list_is_no_item(parser, lead):
    """「反映以下情况：」「发现如下问题：」 announce the points that follow; they state no problem."""
    p = parser.parse(f"今天去桃园6栋走访，见到5名同学，{lead}1. 热水不稳 2. 楼道灯坏了 3. 快递站太远", TODAY, "campus")
    assert texts(p) == ["热水不稳", "楼道灯坏了", "快递站太远"]


# --- two things joined by a comma: each names its own subject, or opens at its own place ----------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # the subject runs into its predicate in one word (灯不亮) and still names another thing
        ("今天去了3教，投影仪坏了两台，走廊灯不亮", ["投影仪坏了两台", "走廊灯不亮"]),
        # each problem opens at its own place
        ("今天去了梅园3栋，宿舍没热水，食堂菜太贵", ["宿舍没热水", "食堂菜太贵"]),
    ],
)
def test_comma_joined_problems_of_two_things_are_two_items(parser, text, want):
    assert texts(parser.parse(text, TODAY)) == want


def test_a_letter_numbering_its_points_with_di_yi_has_one_item_per_point(parser):
    text = (
        "转一封居民来信：领导好。第一，小区门口的路灯坏了快两个月；第二，垃圾站就在窗户底下，夏天臭气熏天。请领导做主。"
    )
    p = parser.parse(text, TODAY, "community")
    assert [t[:6] for t in texts(p)] == ["小区门口的路", "垃圾站就在窗"]


@pytest.mark.parametrize("clause", ["物业不管事", "我家的低保突然停了", "养老金停发两个月了"])
def test_neglect_and_stopped_benefits_are_problems(parser, clause):
    p = parser.parse(f"12号在东湖小区走访了，居民说{clause}", TODAY, "community")
    assert texts(p) == [clause]


def test_a_letters_salutation_and_closing_are_no_part_of_its_item(parser):
    text = "尊敬的街道领导您好！我家住在幸福巷7号楼，楼下的垃圾桶三天没人清了，味道很大。恳请尽快处理，谢谢！"
    p = parser.parse(text, TODAY, "community")
    assert texts(p) == ["我家住在幸福巷7号楼，楼下的垃圾桶三天没人清了，味道很大。恳请尽快处理"]


@pytest.mark.parametrize(
    "text",
    [
        "转一封居民来信：领导好，我们楼的电梯三天两头停，上周我爸被关了半小时，物业一直拖着。还有就是小区垃圾站臭得不行，"
        "物业也不清运。希望领导督促一下。",
        "我家住在河湾村，修路时施工队把我家门口的排水沟填了，一下雨水就往屋里灌，找村里说了好几次。另外我母亲的低保今年"
        "突然停了，也没人告诉为啥。恳请领导帮帮我们。",
    ],
)
def test_a_letter_whose_next_point_opens_a_sentence_has_one_item_per_point(parser, text):
    p = parser.parse(text, TODAY, "community")
    assert p.intent == "issue" and len(p.items) == 2
    assert not any(t.startswith(("还有就是", "另外", "领导好")) for t in texts(p))


def test_a_day_and_a_going_open_the_visit_not_the_item(parser):
    p = parser.parse("10号在梅园食堂，饭菜偏咸", TODAY)
    assert p.intent == "visit" and texts(p) == ["饭菜偏咸"]


@pytest.mark.parametrize(
    ("clause", "kind"),
    [
        ("篮筐也歪了", "P"),  # another thing that also goes wrong
        ("快递员也不送上门了", "P"),
        ("发函催了也不回", "N"),  # 也 after a deed: the same complaint goes on
        ("年轻人宁愿送外卖也不进厂", "N"),
        ("担心又拖", "N"),
    ],
)
def test_another_thing_that_also_goes_wrong_is_a_problem(rules_only_clauses, clause, kind):
    assert rules_only_clauses(clause) == kind


def test_a_lead_in_naming_what_follows_is_no_item_and_one_sentence_no_list(parser):
    text = "今天走访了松园2栋,见到学生8人,反映的问题:洗衣房的烘干机坏了,自习室空调不制冷."
    assert texts(parser.parse(text, TODAY)) == ["洗衣房的烘干机坏了", "自习室空调不制冷"]
    clauses, _, _ = parser.clauses(normalize(text), parser.taxonomies["campus"])
    kinds = {c.text: (c.kind, c.enumerated) for c in clauses}
    assert kinds["反映的问题"] == ("N", False)  # it names the problems, it states none
    assert kinds["洗衣房的烘干机坏了"] == ("P", False)  # a single sentence after it is no list of points


@pytest.mark.parametrize(
    ("clause", "kind"),
    [
        ("上次同学们反映的问题都解决了", "X"),  # news that what they raised is solved: no problem
        ("上次同学们反映的问题还没解决", "P"),
        ("12名同学反映米饭夹生", "P"),  # what they raised, no problem word needed
    ],
)
def test_what_people_raised_is_a_problem_unless_it_is_solved(rules_only_clauses, clause, kind):
    assert rules_only_clauses(clause) == kind
