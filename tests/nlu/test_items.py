"""Splitting, negation, praise, fixed-on-the-spot, and intents, through the parser."""

from datetime import date

import pytest

from .conftest import TODAY


def texts(parsed):
    return [i.text for i in parsed.items]


def has(parsed, *words):
    return all(any(w in t for t in texts(parsed)) for w in words)


def test_yi_shi_er_shi(parser):
    text = "今天走访荷园2栋，学生反映：一是热水经常不热；二是快递点太远；三是希望多开几场招聘会。"
    p = parser.parse(text, TODAY)
    assert p.intent == "visit" and len(p.items) == 3
    assert has(p, "热水", "快递点太远", "招聘会")


def test_numbered_points(parser):
    p = parser.parse("座谈会上老师们提了几点：1、职称名额少 2、报销跑好几个部门 3、停车难", TODAY)
    assert len(p.items) == 3


def test_no_punctuation_voice_input(parser):
    p = parser.parse("今天去荷园2栋 学生说洗衣机坏了 另外宿舍网络晚上很卡", TODAY)
    assert p.intent == "visit" and len(p.items) == 2 and has(p, "洗衣机坏了", "很卡")


def test_ling_wai_splits(parser):
    p = parser.parse("有学生反映自习室座位太少，另外图书馆闭馆太早", TODAY)
    assert p.intent == "issue" and len(p.items) == 2


def test_a_consequence_told_with_genben_stays_with_its_cause(parser):
    # "根本…" tells how bad the problem before is, not another problem
    p = parser.parse("这周实验楼又停水了 事先没有通知 二楼厕所根本冲不了", TODAY)
    assert len(p.items) == 1 and has(p, "停水", "根本冲不了")


def test_english_punctuation(parser):
    p = parser.parse("昨天去三食堂吃饭,学生说菜太咸了;另外排队太久.", TODAY)
    assert p.visit is not None and p.visit.date == date(2026, 11, 17)
    assert len(p.items) == 2


def test_complaint_and_remedy_are_one_item(parser):
    p = parser.parse("今天在三食堂共餐，学生说饭菜偏贵，希望多一些平价窗口", TODAY)
    assert len(p.items) == 1 and "平价" in p.items[0].text


@pytest.mark.parametrize(
    "text",
    [
        "今天去三食堂看了看，卫生没发现问题",
        "走访荷园5栋，同学们没有反映什么问题",
        "中午和学生共餐，大家对食堂服务表示满意",
        "今天去明德楼听课，老师讲得很好，学生很投入",
        "宿舍走访，无问题",
        "查寝发现荷园3栋有学生使用热得快，已当场没收",
        "去荷园3栋查寝，有同学用电热毯，跟他们讲了用电安全",
        "今天去光明村，两户村民因为排水沟吵起来了，当场调解好了",
    ],
)
def test_not_items(parser, text):
    p = parser.parse(text, TODAY)
    assert p.intent == "visit" and p.items == ()


@pytest.mark.parametrize(
    "text",
    [
        "走访荷园3栋，卫生间下水道堵了，已报修",
        "河堤有一处渗水，已上报镇水利站",
        "检查三食堂后厨，发现生熟不分，要求整改",
    ],
)
def test_passed_on_is_still_an_item(parser, text):
    assert len(parser.parse(text, TODAY, "community" if "河堤" in text else "campus").items) == 1


def test_praise_then_problem(parser):
    p = parser.parse("今天三食堂共餐，菜品挺丰富的，就是价格有点贵", TODAY)
    assert len(p.items) == 1 and "贵" in p.items[0].text


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("谢谢", "other"),
        ("收到，辛苦了", "other"),
        ("大家早上好", "other"),
        ("下周三我再去荷园5栋回访", "other"),
        ("明天上午开会，请准时参加", "other"),
        ("刚才那条发错了，不用记录", "other"),
        ("这个机器人怎么用", "other"),
        ("有学生反映明德楼电梯坏了", "issue"),
        ("昨天去光明村走访", "visit"),
    ],
)
def test_intents(parser, text, intent):
    assert parser.parse(text, TODAY).intent == intent


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("#88 已解决", 88),
        ("三十六号问题已办结", 36),
        ("第105号处理好了", 105),
        ("问题编号47，已经修好了", 47),
        ("12号问题解决了，换了新的", 12),
    ],
)
def test_resolve_refs(parser, text, ref):
    p = parser.parse(text, TODAY)
    assert p.intent == "resolve" and p.resolve_ref == ref


def test_visit_fields(parser):
    p = parser.parse("上周五中午在三食堂和6名同学、2位老师共餐，学生反映菜凉了", TODAY)
    assert p.visit.date == date(2026, 11, 13)
    assert (p.visit.place_type, p.visit.place, p.visit.people) == ("食堂", "三食堂", 8)


def test_to_json_shape(parser):
    row = parser.parse("#9 已解决", TODAY).to_json("x1")
    assert row == {"id": "x1", "intent": "resolve", "visit": None, "items": [], "query": None, "resolve": {"ref": 9}}
    row = parser.parse("今天去荷园5栋，热水器坏了", TODAY).to_json("x2")
    assert row["visit"]["date"] == "2026-11-18" and row["items"][0]["category"] == "宿舍"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("今天去食堂，12名同学说米饭夹生", "米饭夹生"),  # any reporting verb after a counted group met
        ("下午到桂园2栋，7名同学反映楼下快递柜只有一台", "楼下快递柜只有一台"),  # a complaint verb
        ("上午去李庄走访，几位村民提到村里小学明年要撤并", "村里小学明年要撤并"),
    ],
)
def test_what_people_raised_is_an_item_even_without_a_problem_word(parser, text, want):
    """What the people met raised (反映/吐槽 …, or 说/提到 after a counted group of them) is an
    item even when it holds no problem word; a plain 说 alone is not enough (chat is full of it)."""
    p = parser.parse(text, TODAY)
    assert p.intent == "visit" and len(p.items) == 1 and want in texts(p)[0]


def test_how_long_a_visit_took_and_a_list_lead_in_are_not_items(parser):
    p = parser.parse("昨天到梅园5栋跟寝室长们聊了挺久的，主要有这么几件事：1. 洗衣机经常坏 2. 热水不稳定", TODAY)
    assert texts(p) == ["洗衣机经常坏", "热水不稳定"]
    p = parser.parse("今天在实训楼和学生座谈了很长时间，大家提了这么几点：1、实训设备老旧 2、耗材不够用", TODAY)
    assert texts(p) == ["实训设备老旧", "耗材不够用"]
    assert texts(parser.parse("晚上去研究生公寓坐了好一会儿，聊了挺久的", TODAY)) == []
    assert texts(parser.parse("今天去梅园3栋，同学们说最近一切都挺好的", TODAY)) == []  # praise: no item


def test_each_item_sees_its_message_as_faint_context(parser):
    """A terse point of a list or a visit (「价格涨了」 in the canteen) is read with the message's
    other words at CONTEXT_WEIGHT, its own words at full weight."""
    from handlers.nlu.parser import CONTEXT_WEIGHT

    text = "中午在二食堂吃饭，同学说价格涨了不少，另外宿舍晚上热水不稳定"
    groups = parser._groups(text, parser.taxonomies["campus"])
    assert len(groups) == 2
    for words, segments in groups:
        context = [s for s in segments if s[1] == CONTEXT_WEIGHT and "二食堂" in s[0]]
        assert context and "热水" in context[0][0]  # the whole message, the other item included
        assert any(w == 1.0 and any(tok in words for tok in toks) for toks, w in segments)
