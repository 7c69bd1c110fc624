"""Two complaints in one sentence, and the visit's place as context for categories."""

import json

import pytest

from handlers.nlu.learn import CORPUS_DIR
from handlers.nlu.segmenter import Segmenter

from .conftest import TODAY


def texts(parsed):
    return [i.text for i in parsed.items]


@pytest.mark.parametrize(
    "text, parts",
    [
        # commas, spaces (voice input), no punctuation at all, a 、 list
        ("今天去竹园5栋走访，学生反映洗衣机经常坏，楼道灯不亮", ["洗衣机", "楼道灯"]),
        ("有同学反映热水不稳定 晚上网络很卡", ["热水", "网络"]),
        ("中午在三食堂吃饭，同学说饭菜太咸窗口开得太少", ["太咸", "窗口"]),
        ("学生反映空调漏水、插座松动", ["漏水", "插座"]),
        ("老师反映实验室通风橱坏了，投影仪也很暗", ["通风橱", "投影仪"]),
        ("今天去梅园3栋走访，5名同学反映热水不稳定，晚上宿舍网络很卡", ["热水不稳定", "网络很卡"]),
    ],
)
def test_distinct_complaints_in_one_sentence(parser, text, parts):
    p = parser.parse(text, TODAY)
    assert len(p.items) == len(parts), texts(p)
    for item, part in zip(p.items, parts, strict=True):
        assert part in item.text


@pytest.mark.parametrize(
    "text",
    [
        "学生说热水器坏了，导致没法洗澡",  # consequence
        "学生反映宿舍网络很卡，因为带宽不够",  # cause
        "学生说饭菜太贵，希望多开平价窗口",  # remedy
        "学生反映自习室座位太少，期末的时候学生只能去图书馆",  # what it does to people
        "学生说网速太慢，打游戏都卡",  # its reach
        "学生反映快递点太远，学生有意见",  # reaction
        "学生说门禁系统经常失灵，晚上进不去",  # predicate first: the same thing
        "学生反映饭菜太贵，一份小炒要二十多",  # an example in numbers
    ],
)
def test_one_complaint_with_its_cause_consequence_or_remedy(parser, text):
    p = parser.parse(text, TODAY)
    assert len(p.items) == 1, texts(p)


def test_people_met_who_speak_are_counted(parser):
    p = parser.parse("今天去梅园3栋走访，5名同学反映热水不稳定，晚上宿舍网络很卡", TODAY)
    assert p.visit is not None and p.visit.people == 5


@pytest.mark.parametrize(
    "text, place_type, category",
    [
        ("窗口开得少排队太久", "食堂", "食堂"),
        ("信号不好", "宿舍", "宿舍"),  # without the place: 办事
        ("空调不制冷", "课堂", "教学"),
        ("最近有点焦虑睡不好", "宿舍", "心理"),  # no dorm word: the place does not override
        ("有同学被冒充客服的骗了两千", "宿舍", "安全"),
        ("窗口排队太久", "窗口", "办事"),
        ("窗口开得少排队太久", "食堂", "食堂"),
    ],
)
def test_place_type_is_context(parser, text, place_type, category):
    assert parser.classify(text, "campus", place_type) == category


@pytest.mark.parametrize(
    "text, category",
    [
        ("今天中午在二食堂和学生共餐，学生说窗口开得少排队太久", "食堂"),
        ("今天去博学楼B202听课，教室空调不制冷", "教学"),
        ("走访松园2栋，有个同学最近很焦虑，晚上睡不着", "心理"),
    ],
)
def test_parse_uses_the_visit_place(parser, text, category):
    p = parser.parse(text, TODAY)
    assert p.intent == "visit" and [i.category for i in p.items] == [category]


def test_segmenter_matches_jieba(parser):
    corpus = CORPUS_DIR / "dev.jsonl"
    lines = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines()[:60]]
    lines += ["N1考试 GPA3.5 app打不开", "WiFi 很卡\r\n好", "", "  "]
    seg = Segmenter(parser.tokenizer)
    for text in lines:
        want = [t for t in parser.tokenizer.cut(text, HMM=False) if t.strip()]
        assert seg.tokens(text) == want
        assert all(text[pos : pos + len(tok)] == tok for pos, tok in seg.spans(text))


def test_trie_pattern_prefers_the_longest_word():
    import re

    from handlers.nlu.split import trie_pattern

    rx = re.compile(trie_pattern(["房", "房租", "房租补贴", "a.b"]))
    assert rx.match("房租补贴没发").group(0) == "房租补贴"
    assert rx.match("房子").group(0) == "房"
    assert rx.match("axb") is None
