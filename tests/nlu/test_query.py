import pytest

from .conftest import TODAY


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("本月未办结的有哪些", ("items", "open", "this_month", None, False)),
        ("我还有哪些待办", ("items", "open", "all", None, True)),
        ("上周走访情况", ("visits", "any", "last_week", None, False)),
        ("宿舍的问题有哪些没解决", ("items", "open", "all", "宿舍", False)),
        ("本月逾期的", ("items", "overdue", "this_month", None, False)),
        ("这个月我走访了几次", ("visits", "any", "this_month", None, True)),
        ("上个月办结了多少问题", ("items", "resolved", "last_month", None, False)),
        ("我提交的问题处理得怎么样了", ("items", "any", "all", None, True)),
        ("帮我查一下本周新增的安全问题", ("items", "any", "this_week", "安全", False)),
        # who raised the problems is no category: 实习生 / 住宿生 are the people, not the topic
        ("实习生们提的问题处理得怎么样了", ("items", "any", "all", None, False)),
        ("住宿生反映的事还有几个没办", ("items", "open", "all", None, False)),
        ("实习方面的问题还有几个没办", ("items", "open", "all", "就业", False)),
    ],
)
def test_query_fields(parser, text, want):
    p = parser.parse(text, TODAY)
    assert p.intent == "query"
    q = p.query
    assert (q.subject, q.status, q.period, q.category, q.mine) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("上周心理健康方面的问题还有没关掉的吗", ("items", "open", "last_week", "心理", False)),
        ("本月以办结的问题有几个", ("items", "resolved", "this_month", None, False)),  # 以 for 已
        ("这个月安全这块销了几个号", ("items", "resolved", "this_month", "安全", False)),
        ("帮我查一下这个礼拜走访的情况", ("visits", "any", "this_week", None, False)),
        ("其他类的问题还有多少为办结", ("items", "open", "all", "其他", False)),
        ("走访台账从头到尾调出来看看", ("visits", "any", "all", None, False)),
        ("我这周下了几次村", ("visits", "any", "this_week", None, True)),
        ("我名下的有愈期没", ("items", "overdue", "all", None, True)),
        ("我手上还剩几个", ("items", "open", "all", None, True)),
    ],
)
def test_query_language(text, want):
    from handlers.nlu.query import parse_query

    q = parse_query(text, TODAY, ("心理", "安全", "宿舍", "其他"), {})
    assert (q["subject"], q["status"], q["period"], q["category"], q["mine"]) == want


NAMES = ["张伟", "张老师", "李院长", "王书记", "赵敏"]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("张老师本月走访了几次", "张老师"),
        ("赵敏老师本月走访了几次", "赵敏"),
        ("赵某某的待办", "赵敏"),  # one 赵 in the roster
        ("张某某的待办", None),  # two 张: no guess
        ("本月走访了几次", None),
    ],
)
def test_person_in_a_question(text, want):
    from handlers.nlu.query import find_person

    assert find_person(text, NAMES) == want


def test_unit_in_a_question_longest_name_wins():
    from handlers.nlu.query import find_unit_name

    units = {"计算机学院": ["计算机"], "学生工作处": ["学工处", "学工"], "后勤处": []}
    assert find_unit_name("计算机学院逾期问题", units) == "计算机学院"
    assert find_unit_name("学工处本月走访", units) == "学生工作处"
    assert find_unit_name("本月逾期问题", units) is None


@pytest.mark.parametrize(
    "text",
    [
        "我手里还剩几件没办的",
        "这个月我下了几次乡",
        "上周销了几个号",
        "我报的那几个诉求啥状态了",
        "食堂那块处理得么样了",
        "查下本月心理类的问题",
        "走访记录 全部",
        "我提的那几条有回音没",
        "老师们反映的宿舍问题处理到哪一步了",
    ],
)
def test_asks_about_records(text):
    from handlers.nlu.query import asks_about_records

    assert asks_about_records(text)


@pytest.mark.parametrize(
    "text",
    [
        "学生反映食堂窗口排队要好几次才打到饭",  # a report with a count in it
        "几个社团反映活动经费还没下拨",
        "走访记录可以发这里吗",  # a usage question
        "补贴能领多少？",  # a policy question
        "明天准备去二食堂看看有没有问题",  # a plan
        "今天去了梅园3栋，同学说热水还有没修好的",  # a report
    ],
)
def test_not_asking_about_records(text):
    from handlers.nlu.query import asks_about_records

    assert not asks_about_records(text)


@pytest.mark.parametrize(
    ("text", "profile", "want"),
    [
        ("停水停电这些问题还有多少没办", "community", "基础设施"),
        ("关于打架斗殴的问题有哪些", "community", "治安"),
        ("拖欠工资的问题办结了几个", "community", "权益"),
        ("关于助学金的问题还有没办完的吗", "campus", "资助"),
        ("上个月的问题", "campus", None),  # a period, not a topic
        ("那几个同学的问题", "campus", None),  # people, not a topic
    ],
)
def test_a_question_names_its_category_by_the_problem(parser, text, profile, want):
    """「拖欠工资的问题…」: the topic is told by the problem's own words, not a category name."""
    q = parser.parse(text, TODAY, profile).query
    assert q is not None and q.category == want
